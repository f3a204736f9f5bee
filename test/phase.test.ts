/**
 * Phase classification (DESIGN.md §3.6, issue 4): the reference tensors, precision-aware
 * rank collapse, α is not a phase, the BBP inversion, and the form of the reasons.
 * Accuracy on the seeded families is in phase-families-*.test.ts.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../src/analyze.js';
import { classifyPhase, decide, spikeStrength, type EdgeFeatures, type PhaseFeatures } from '../src/phase.js';
import { type DType } from '../src/types.js';
import { PHASE_NAMES, type AnalyzedLayer, type PhaseName } from '../src/schema/index.js';
import { fitPowerLaw } from '../src/fit/powerlaw.js';
import { fitMarchenkoPastur } from '../src/fit/mp.js';
import { computeMetrics } from '../src/fit/metrics.js';
import {
  EVALUATION_SEEDS,
  Rng,
  analyseMatrix,
  bbpOutlier,
  bulkSpikes,
  matmul,
  quantizeInt8,
  randomLike,
  roundSignificand,
  seedRange,
  storeAs,
} from './generators/index.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/reference/synthetic.safetensors', import.meta.url));

describe('the reference tensors', () => {
  let layers: AnalyzedLayer[] = [];
  beforeAll(async () => {
    layers = (await analyze([FIXTURE])).layers.filter((l): l is AnalyzedLayer => l.status === 'analyzed');
  });
  const phaseOf = (name: string) => layers.find((l) => l.name === name)?.phase.name;

  it('classifies the rank-50 float32 product as rank-collapse although its float64 rank loss is 0', () => {
    const layer = layers.find((l) => l.name === 'd_rank50_1000x500')!;
    expect(layer.metrics.rankLoss).toBe(0);
    expect(layer.phase.name).toBe('rank-collapse');
    expect(layer.phase.rule).toBe('excess-zero-mass');
    expect(layer.phase.evidence).toMatchObject({ zeroCount: 450, numEvals: 500, zeroFraction: 0.9, rankLoss: 0 });
  });

  it('classifies Gaussian matrices (every shape, both orientations, conv slices) as random-like', () => {
    for (const name of [
      'a_gauss_1000x500',
      'e_gauss_square_500x500',
      'i_gauss_transposed_500x1000',
      'f_conv2d_64x32x3x3',
    ]) {
      expect(phaseOf(name), name).toBe('random-like');
    }
  });

  it('classifies the rank-3 spike as bulk+spikes although its α is 4.0', () => {
    const layer = layers.find((l) => l.name === 'b_gauss_spike3_1000x500')!;
    expect(layer.powerLaw.status === 'ok' && layer.powerLaw.alpha).toBeCloseTo(4.03, 2);
    expect(layer.phase.name).toBe('bulk+spikes');
    expect(layer.phase.rule).toBe('separated-spikes');
    const edge = layer.phase.evidence.edge!;
    expect([edge.outliers, edge.far]).toEqual([3, 3]);
    expect(edge.topRatio).toBeGreaterThanOrEqual(8);
    expect(edge.topRatio).toBeLessThan(9);
  });

  it('classifies entrywise tails with μ = 1 (Pareto, Student-t) as heavy-tailed', () => {
    expect(phaseOf('c_pareto_mu1_1500x500')).toBe('heavy-tailed');
    expect(phaseOf('c_student_t_nu1_1500x500')).toBe('heavy-tailed');
  });

  it('does not call μ = 3 or 5 entrywise tails heavy-tailed, whatever their α', () => {
    for (const name of [
      'c_pareto_mu3_1500x500',
      'c_pareto_mu5_1500x500',
      'c_student_t_nu3_1500x500',
      'c_student_t_nu5_1500x500',
    ]) {
      expect(['random-like', 'bleeding-out', 'bulk-decay']).toContain(phaseOf(name));
    }
  });

  it('gives every analysed layer a phase and a one-line reason with numbers', () => {
    for (const l of layers) {
      expect(PHASE_NAMES).toContain(l.phase.name);
      expect(l.phase.reason).not.toMatch(/\n/);
      expect(l.phase.reason).toMatch(/\d/);
    }
  });
});

describe('rank collapse is precision-aware', () => {
  /** N×M low-rank product A·B (rank r), row-major, float64 before storage rounding. */
  function lowRank(seed: number, N: number, M: number, r: number): Float64Array {
    const rng = new Rng(seed);
    const A = Float64Array.from({ length: N * r }, () => rng.normal() * 0.02);
    const B = Float64Array.from({ length: r * M }, () => rng.normal());
    return matmul(A, B, N, r, M);
  }
  function gaussian(seed: number, N: number, M: number): Float64Array {
    const rng = new Rng(seed);
    return Float64Array.from({ length: N * M }, () => rng.normal() * 0.05);
  }

  it.each<DType>(['F32', 'F16', 'BF16'])(
    'a rank-30 product of size 240×150 stored as %s is rank-collapse',
    async (dtype) => {
      const values = storeAs(lowRank(11, 240, 150, 30), dtype);
      const layer = await analyseMatrix(values, 240, 150, dtype);
      expect(layer.phase.name).toBe('rank-collapse');
      expect(layer.phase.rule).toBe('excess-zero-mass');
      expect(layer.phase.evidence).toMatchObject({ zeroCount: 120, numEvals: 150, zeroFraction: 0.8 });
    },
  );

  it('counts float32 rounding as zero: rank loss 0 at float64 precision, yet collapse', async () => {
    const values = storeAs(lowRank(12, 300, 200, 40), 'F32');
    const layer = await analyseMatrix(values, 300, 200, 'F32');
    expect(layer.metrics.rankLoss).toBe(0);
    expect(layer.phase.name).toBe('rank-collapse');
  });

  it.each<DType>(['F16', 'BF16'])(
    'a full-rank square Gaussian stored as %s is not rank-collapse (Q = 1 has small σ by nature)',
    async (dtype) => {
      for (const seed of [1, 2, 3]) {
        const values = storeAs(gaussian(seed, 200, 200), dtype);
        const layer = await analyseMatrix(values, 200, 200, dtype);
        expect(layer.phase.name).toBe('random-like');
      }
    },
  );

  it('8-bit formats: a square Gaussian is not collapsed (MP predicts its small σ), a rank-30 product is', async () => {
    const fp8 = gaussian(31, 200, 200).map((x) => roundSignificand(x, 4));
    expect((await analyseMatrix(fp8, 200, 200, 'F8_E4M3')).phase.name).not.toBe('rank-collapse');
    const int8 = quantizeInt8(gaussian(32, 200, 200));
    expect((await analyseMatrix(int8, 200, 200, 'I8')).phase.name).not.toBe('rank-collapse');
    const lowInt8 = quantizeInt8(lowRank(33, 240, 150, 30));
    const layer = await analyseMatrix(lowInt8, 240, 150, 'I8');
    expect(layer.phase.name).toBe('rank-collapse');
    expect(layer.phase.rule).toBe('excess-zero-mass');
  });

  it('does not let a few huge entries raise the floor (μ = 0.5 entrywise tails are heavy-tailed, not collapsed)', async () => {
    const rng = new Rng(5);
    const values = storeAs(
      Float64Array.from({ length: 250 * 250 }, () => rng.sign() * rng.pareto(0.5)),
      'F32',
    );
    const layer = await analyseMatrix(values, 250, 250, 'F32');
    expect(layer.phase.name).toBe('heavy-tailed');
  });

  it('dead units (20 % zero columns) are rank-collapse; 5 % are not', async () => {
    for (const [dead, expected] of [
      [30, 'rank-collapse'],
      [7, 'random-like'],
    ] as const) {
      const values = gaussian(21, 300, 150);
      for (let i = 0; i < 300; i++) for (let j = 0; j < dead; j++) values[i * 150 + j] = 0;
      const layer = await analyseMatrix(storeAs(values, 'F32'), 300, 150, 'F32');
      expect(layer.phase.name).toBe(expected);
    }
  });
});

describe('α alone is not a phase', () => {
  it('bulk+spikes matrices with α < 4 stay bulk+spikes; noise with α from 3 to 30 stays random-like', async () => {
    let spikesLowAlpha = 0;
    for (const seed of seedRange(EVALUATION_SEEDS, 8)) {
      const layer = await analyseMatrix(...args(bulkSpikes(seed)));
      if (layer.powerLaw.status === 'ok' && layer.powerLaw.alpha < 4) {
        spikesLowAlpha++;
        expect(layer.phase.name).toBe('bulk+spikes');
      }
    }
    expect(spikesLowAlpha).toBeGreaterThan(2);
    const alphas: number[] = [];
    for (const seed of seedRange(EVALUATION_SEEDS, 8)) {
      const layer = await analyseMatrix(...args(randomLike(seed)));
      expect(layer.phase.name).toBe('random-like');
      if (layer.powerLaw.status === 'ok') alphas.push(layer.powerLaw.alpha);
    }
    expect(Math.max(...alphas) / Math.min(...alphas)).toBeGreaterThan(2);
  });
});

function args(g: ReturnType<typeof randomLike>): [Float64Array, number, number, DType] {
  return [g.values, g.rows, g.cols, g.dtype];
}

describe('BBP inversion', () => {
  it.each([0.25, 0.5, 1])('spikeStrength inverts λ(θ) at y = %s', (y) => {
    const thetaC = Math.pow(y, 0.25);
    for (const r of [1.2, 1.5, 2, 3, 8]) expect(spikeStrength(bbpOutlier(r * thetaC, y), y)).toBeCloseTo(r, 9);
    expect(spikeStrength((1 + Math.sqrt(y)) ** 2, y)).toBe(1);
    expect(spikeStrength(0.5, y)).toBe(1);
  });
});

describe('the decision table', () => {
  const base: PhaseFeatures = {
    numEvals: 200,
    zeroFloor: 1e-6,
    zeroCount: 0,
    zeroFraction: 0,
    expectedZeroFraction: 0,
    rankLoss: 0,
    lambdaMax: 10,
    alpha: 5,
    D: 0.1,
    numTail: 20,
  };
  const edge: EdgeFeatures = {
    threshold: 3,
    outliers: 0,
    near: 0,
    far: 0,
    few: 5,
    topRatio: 0.98,
    topTW: -1,
    topStrength: 1,
    outlierMass: 0,
    bulkKS: 0.02,
    ksLimit: 0.15,
    bulkFitsMp: true,
    scaleFree: false,
  };
  const mp = { status: 'ok' } as never;
  const name = (f: Partial<PhaseFeatures>, e: Partial<EdgeFeatures> = {}): PhaseName =>
    decide({ ...base, ...f, edge: { ...edge, ...e } }, { dtype: 'F32', mp }).name;

  it('walks the table top to bottom', () => {
    expect(name({ zeroCount: 40, zeroFraction: 0.2 }, { outliers: 3, far: 3 })).toBe('rank-collapse');
    expect(name({})).toBe('random-like');
    expect(name({}, { outliers: 2, near: 2 })).toBe('bleeding-out');
    expect(name({}, { outliers: 3, near: 1, far: 2 })).toBe('bulk+spikes');
    expect(name({}, { outliers: 12, near: 8, far: 4 })).toBe('bulk-decay');
    expect(name({ alpha: 2.5 }, { outliers: 12, near: 8, far: 4, bulkKS: 0.4, bulkFitsMp: false })).toBe(
      'heavy-tailed',
    );
    expect(name({ alpha: 2.5 }, { outliers: 30, near: 8, far: 22, topRatio: 50, scaleFree: true })).toBe(
      'heavy-tailed',
    );
    expect(name({ alpha: 5.5 }, { outliers: 12, near: 8, far: 4, bulkKS: 0.4, bulkFitsMp: false })).toBe('bulk-decay');
    // A poor fit with a few outliers is a smeared edge; with no MP scale at all it is heavy.
    expect(name({ alpha: 2.5 }, { outliers: 3, near: 2, far: 1, bulkKS: 0.4, bulkFitsMp: false })).toBe('bulk-decay');
    expect(name({ alpha: 3.3, numTail: 150 }, { outliers: 3, near: 2, far: 1, bulkKS: 0.5, bulkFitsMp: false })).toBe(
      'heavy-tailed',
    );
    expect(
      name({ alpha: 1.5 }, { outliers: 3, far: 3, topRatio: 400, bulkKS: 0.9, bulkFitsMp: false, atBound: 'lower' }),
    ).toBe('heavy-tailed');
    expect(name({ alpha: 5 }, { outliers: 0, bulkKS: 0.4, bulkFitsMp: false })).toBe('random-like');
  });

  it('names the branch that fired as phase.rule', () => {
    const rule = (f: Partial<PhaseFeatures>, e: Partial<EdgeFeatures> = {}) =>
      decide({ ...base, ...f, edge: { ...edge, ...e } }, { dtype: 'F32', mp }).rule;
    expect(rule({ zeroCount: 40, zeroFraction: 0.2 }, { outliers: 3, far: 3 })).toBe('excess-zero-mass');
    expect(rule({})).toBe('no-outliers');
    expect(rule({}, { outliers: 2, near: 2 })).toBe('outliers-not-separated');
    expect(rule({}, { outliers: 3, near: 1, far: 2 })).toBe('separated-spikes');
    expect(rule({}, { outliers: 12, near: 8, far: 4 })).toBe('outlier-continuum');
    expect(rule({ alpha: 2.5 }, { outliers: 12, near: 8, far: 4, bulkKS: 0.4, bulkFitsMp: false })).toBe(
      'power-law-tail',
    );
    expect(rule({ alpha: 5.5 }, { outliers: 12, near: 8, far: 4, bulkKS: 0.4, bulkFitsMp: false })).toBe(
      'not-heavy-tail',
    );
    const failed = { status: 'failed', code: 'too-few-eigenvalues', reason: 'too few' } as const;
    expect(decide({ ...base, alpha: 1.5 }, { dtype: 'F32', mp: failed }).rule).toBe('mp-failed-power-law');
  });

  it('is total: a failed MP fit still gets a phase', () => {
    const failed = { status: 'failed', code: 'too-few-eigenvalues', reason: 'only 3 eigenvalues (need 10)' } as const;
    expect(decide({ ...base }, { dtype: 'F32', mp: failed })).toEqual({
      name: 'random-like',
      rule: 'mp-failed',
      evidence: base,
      reason: 'MP fit failed (only 3 eigenvalues (need 10)), no evidence of structure; α 5 (D 0.1, 20 in tail)',
    });
    expect(decide({ ...base, alpha: 1.5 }, { dtype: 'F32', mp: failed }).name).toBe('heavy-tailed');
  });

  it('classifyPhase never throws on degenerate spectra', () => {
    const spectra = [
      new Float64Array(12),
      Float64Array.from({ length: 12 }, (_, i) => i),
      new Float64Array(12).fill(3),
    ];
    for (const evals of spectra) {
      const metrics = computeMetrics(evals, {
        rank: evals.filter((x) => x > 0).length,
        totalEvals: evals.length,
        alpha: null,
      });
      const ctx = { N: 24, M: 12, Q: 2, slices: 1 };
      const p = classifyPhase({
        evals,
        ...ctx,
        dtype: 'F32',
        metrics,
        powerLaw: fitPowerLaw(evals),
        mp: fitMarchenkoPastur(evals, ctx),
      });
      expect(PHASE_NAMES).toContain(p.name);
      expect(p.reason.length).toBeGreaterThan(0);
    }
  });
});
