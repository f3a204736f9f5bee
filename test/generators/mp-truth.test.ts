/**
 * The MP ground-truth comparison (issue 16), on its small end: the reimplementation of
 * WeightWatcher's fit against WeightWatcher's own outputs, and our spike count against
 * planted BBP spikes (the cases `npm run calibrate` runs with M ≤ 256 and N ≤ 1024: 126). Thresholds
 * are the values measured on these seeds (in the comments) less a margin.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze, type AnalyzedLayer } from '../../src/index.js';
import { REFERENCE } from '../helpers.js';
import { score, runTruth, truthGrid } from './mp-scores.js';
import { truthMatrix, type TruthOutcome } from './mp-truth.js';
import { wwMpFit } from './ww-mp.js';

describe('WeightWatcher MP fit, reimplemented (test/generators/ww-mp.ts)', () => {
  const ww = JSON.parse(readFileSync(`${REFERENCE}/synthetic.ww.json`, 'utf8')).layers as Record<
    string,
    Record<string, number | boolean>
  >;
  let layers: AnalyzedLayer[] = [];
  beforeAll(async () => {
    const report = await analyze([`${REFERENCE}/synthetic.safetensors`], { eigenvalues: true });
    layers = report.layers.filter((l): l is AnalyzedLayer => l.status === 'analyzed');
  });

  it('gives WeightWatcher’s sigma_mp, bulk_max and num_spikes on all 12 reference layers', () => {
    expect(layers).toHaveLength(12);
    for (const l of layers) {
      const ref = ww[l.name]!;
      const fit = wwMpFit(l.eigenvalues!, l.N, l.M);
      // Measured: relative differences ≤ 3e-15 (same KDE, grid and Nelder–Mead path).
      expect(Math.abs(fit.sigma / (ref['mp.sigma_mp'] as number) - 1), l.name).toBeLessThan(1e-9);
      expect(Math.abs(fit.lambdaPlus / (ref['mp.bulk_max'] as number) - 1), l.name).toBeLessThan(1e-9);
      expect(fit.numSpikes, l.name).toBe(ref['mp.num_spikes']);
    }
  });
});

describe('spike count vs planted BBP spikes (M ≤ 256, N ≤ 1024: 126 matrices)', () => {
  let out: TruthOutcome[] = [];
  beforeAll(async () => {
    out = await runTruth(truthGrid().filter((c) => c.M <= 256 && Math.round(c.Q * c.M) <= 1024));
  });
  const clean = () => out.filter((o) => o.bulk !== 't3');

  it('builds the grid it says: 9 cases per (Q, M) cell, far spikes always detectable', () => {
    expect(out).toHaveLength(126);
    for (const o of out) {
      expect(o.detectable).toBeLessThanOrEqual(o.planted);
      if (o.mode === 'far') expect(o.detectable).toBe(o.planted);
    }
    const a = truthMatrix(out[7]!);
    const b = truthMatrix(out[7]!);
    expect(a.values).toEqual(b.values);
  });

  it('Gaussian and t(5) bulks: ours counts the detectable spikes, and no noise', () => {
    const ours = score(clean(), 'ours', 'detectable');
    expect(ours.recall).toBeGreaterThanOrEqual(0.98); // measured 1.000
    expect(ours.precision).toBeGreaterThanOrEqual(0.98); // 0.997
    expect(ours.exact).toBeGreaterThanOrEqual(0.95); // 0.988
    expect(ours.sigmaError).toBeLessThan(0.012); // 0.0080
    const ww = score(clean(), 'ww', 'detectable');
    // WeightWatcher's σ is high at small Q, and it misses detectable spikes: 0.968, 0.905, 0.032.
    expect(ours.recall).toBeGreaterThan(ww.recall);
    expect(ours.exact).toBeGreaterThan(ww.exact);
    expect(ww.sigmaError).toBeGreaterThan(2 * ours.sigmaError);
  });

  it('all bulks, planted truth: recall and precision of ours', () => {
    const ours = score(out, 'ours', 'planted');
    expect(ours.recall).toBeGreaterThanOrEqual(0.72); // measured 0.749 (near spikes under the rule's √TW)
    expect(ours.precision).toBeGreaterThanOrEqual(0.83); // 0.869
    expect(score(out, 'ours', 'detectable').recall).toBeGreaterThanOrEqual(0.98); // 1.000
  });

  it('Q = 1: WeightWatcher’s quarter-circle fit overshoots σ, ours does not', () => {
    const q1 = out.filter((o) => o.Q === 1);
    expect(score(q1, 'ww', 'planted').sigmaError).toBeGreaterThan(0.08); // measured 0.168
    expect(score(q1, 'ours', 'planted').sigmaError).toBeLessThan(0.03); // 0.013
  });

  it('t(3) bulks: the count rule itself counts heavy-tail outliers, even with the true σ', () => {
    const t3 = out.filter((o) => o.bulk === 't3');
    // Measured precision: ours 0.730, WeightWatcher 0.782, the rule with the true σ 0.798.
    expect(score(t3, 'oracle', 'planted').precision).toBeLessThan(0.85);
    expect(score(t3, 'ours', 'planted').precision).toBeGreaterThanOrEqual(0.68);
    expect(score(t3, 'ours', 'detectable').recall).toBeGreaterThanOrEqual(0.98); // 1.000
  });
});
