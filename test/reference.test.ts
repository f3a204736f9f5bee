/**
 * WeightWatcher parity (issue 2 acceptance): the reference matrices, read through the CLI's
 * own loader and pipeline, give every default metric and the power-law fit to relative 1e-9
 * of WeightWatcher 0.7.5.5 + powerlaw 1.5 (fixtures/reference/README.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze, type AnalysisReport, type AnalyzedLayer } from '../src/index.js';
import { REFERENCE, expectRelClose } from './helpers.js';

interface WwLayer {
  readonly skipped?: boolean;
  readonly [key: string]: number | string | boolean | undefined;
}
const ww = JSON.parse(readFileSync(join(REFERENCE, 'synthetic.ww.json'), 'utf8')).layers as Record<string, WwLayer>;
const REL = 1e-9;

let report: AnalysisReport;
beforeAll(async () => {
  report = await analyze([join(REFERENCE, 'synthetic.safetensors')]);
});

const layer = (name: string) => report.layers.find((l) => l.name === name);

describe('reference matrices vs WeightWatcher', () => {
  it('lists all 13 tensors, the 8×5 one skipped', () => {
    expect(report.layers.map((l) => l.name).sort()).toEqual(Object.keys(ww).sort());
    const tiny = layer('h_tiny_8x5');
    expect(tiny?.status).toBe('skipped');
    expect(ww.h_tiny_8x5?.skipped).toBe(true);
  });

  for (const [name, ref] of Object.entries(ww)) {
    if (ref.skipped) continue;
    it(`${name}: dimensions, eigenvalue metrics and power-law fit`, () => {
      const l = layer(name) as AnalyzedLayer;
      expect(l.status).toBe('analyzed');
      const num = (k: string) => ref[k] as number;
      expect([l.N, l.M, l.Q, l.slices, l.numEvals]).toEqual([
        num('N'),
        num('M'),
        num('Q'),
        num('rf'),
        num('num_evals'),
      ]);
      const m = l.metrics;
      expectRelClose(m.lambdaMax, num('lambda_max'), REL, 'lambda_max');
      expectRelClose(m.lambdaMax, num('spectral_norm'), REL, 'spectral_norm');
      expectRelClose(m.norm, num('norm'), REL, 'norm');
      expectRelClose(m.logNorm, num('log_norm'), REL, 'log_norm');
      expectRelClose(m.logSpectralNorm, num('log_spectral_norm'), REL, 'log_spectral_norm');
      expectRelClose(m.stableRank, num('stable_rank'), REL, 'stable_rank');
      expectRelClose(m.entropy, num('entropy'), REL, 'entropy');
      expect(m.rank).toBe(num('matrix_rank'));
      expect(m.rankLoss).toBe(num('rank_loss'));
      expectRelClose(m.alphaWeighted, num('alpha_weighted'), REL, 'alpha_weighted');
      expectRelClose(m.logAlphaNorm, num('log_alpha_norm'), REL, 'log_alpha_norm');
      const pl = l.powerLaw;
      expect(pl.status).toBe('ok');
      if (pl.status !== 'ok') return;
      expectRelClose(pl.alpha, num('alpha'), REL, 'alpha');
      expectRelClose(pl.D, num('D'), REL, 'D');
      expectRelClose(pl.xmin, num('xmin'), REL, 'xmin');
      expectRelClose(pl.xmax, num('xmax'), REL, 'xmax');
      expectRelClose(pl.sigma, num('sigma'), REL, 'sigma');
      expect(pl.numTail).toBe(num('num_pl_spikes'));
    });
  }
});
