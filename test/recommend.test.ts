/**
 * Issue 16, item 5: AlphaPruning's layer-wise sparsities and TempBalance's learning-rate
 * factors, against a direct implementation of the formulas in the issue, on a real analysis.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../src/analyze.js';
import { learningRateRecommendation, pruningRecommendation } from '../src/recommend.js';
import type { AnalysisReport, AnalyzedLayer } from '../src/schema/index.js';
import { GENERATED } from './helpers.js';

let report: AnalysisReport;
let layers: AnalyzedLayer[];
beforeAll(async () => {
  report = await analyze([join(GENERATED, 'safetensors', 'sharded-lm')]);
  layers = report.layers.filter((l): l is AnalyzedLayer => l.status === 'analyzed');
});

const plAlpha = (l: AnalyzedLayer) => (l.powerLaw.status === 'ok' ? l.powerLaw.alpha : null);

describe('AlphaPruning (--prune S --prune-epsilon E)', () => {
  it.each([
    [0.5, 0.3],
    [0.7, 0.1],
  ])('S = %f, ε = %f: the issue’s formula, and Σnᵢsᵢ = S·Σnᵢ', (S, E) => {
    const rec = pruningRecommendation(report, S, E, 'power-law');
    const alphas = layers.map(plAlpha).filter((a): a is number => a !== null);
    const [lo, hi] = [Math.min(...alphas), Math.max(...alphas)];
    expect(hi).toBeGreaterThan(lo);
    const n = (l: AnalyzedLayer) => l.N * l.M * l.slices;
    const r = (a: number) => 1 - E + (2 * E * (a - lo)) / (hi - lo);
    const fitted = layers.filter((l) => plAlpha(l) !== null);
    const sumN = fitted.reduce((s, l) => s + n(l), 0);
    const sumNR = fitted.reduce((s, l) => s + n(l) * r(plAlpha(l)!), 0);
    expect(rec.layers).toHaveLength(layers.length);
    let budget = 0;
    let total = 0;
    for (const [i, l] of layers.entries()) {
      const a = plAlpha(l);
      const want = a === null ? S : (r(a) * S * sumN) / sumNR;
      expect(rec.layers[i]).toMatchObject({ id: l.id, name: l.name, alpha: a });
      expect(Math.abs(rec.layers[i]!.sparsity - want)).toBeLessThan(1e-12);
      budget += n(l) * rec.layers[i]!.sparsity;
      total += n(l);
    }
    expect(Math.abs(budget / total - S)).toBeLessThan(1e-12);
    // Heavier tails (smaller α) are pruned less.
    const byAlpha = rec.layers.filter((x) => x.alpha !== null).sort((x, y) => x.alpha! - y.alpha!);
    expect(byAlpha[0]!.sparsity).toBeLessThan(byAlpha[byAlpha.length - 1]!.sparsity);
  });

  it('ranks by Hill α with --prune-by hill', () => {
    const rec = pruningRecommendation(report, 0.5, 0.3, 'hill');
    expect(rec.alphaSource).toBe('hill');
    for (const [i, l] of layers.entries()) expect(rec.layers[i]!.alpha).toBe(l.hill!.alpha);
  });
});

describe('TempBalance (--lr-balance)', () => {
  it('fᵢ = 0.5 + (αᵢ − α_min)/(α_max − α_min) of Hill α, in [0.5, 1.5]', () => {
    const rec = learningRateRecommendation(report, 'hill');
    const alphas = layers.map((l) => l.hill!.alpha!);
    const [lo, hi] = [Math.min(...alphas), Math.max(...alphas)];
    for (const [i, l] of layers.entries()) {
      const want = 0.5 + (l.hill!.alpha! - lo) / (hi - lo);
      expect(Math.abs(rec.layers[i]!.factor - want)).toBeLessThan(1e-12);
    }
    const factors = rec.layers.map((x) => x.factor);
    expect(Math.min(...factors)).toBe(0.5);
    expect(Math.max(...factors)).toBe(1.5);
  });

  it('one layer, or every α equal: every factor 1 and every sparsity S', () => {
    const one = { ...report, layers: [layers[0]!] };
    expect(learningRateRecommendation(one, 'hill').layers[0]!.factor).toBe(1);
    expect(pruningRecommendation(one, 0.4, 0.3).layers[0]!.sparsity).toBeCloseTo(0.4, 15);
  });
});
