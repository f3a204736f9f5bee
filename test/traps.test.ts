/**
 * Issue 8, item 2: correlation traps (--randomize). Seeded Gaussian matrices have none; a few
 * planted 50σ elements are found, each at the eigenvalue the BBP formula predicts for a
 * rank-one perturbation θ of an N×M unit-variance matrix, λ = (θ² + N)(θ² + M)/θ² (within
 * 6%); a spike made by correlations (a rank-one signal spread over all elements) is not a
 * trap; the same seed gives the same result.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCorrelationTraps, jensenShannonDistance, ksDistance, shuffledEdge, TRAP_TW_MARGIN } from '../src/traps.js';
import { computeEsd } from '../src/esd.js';
import { createRng } from '../src/random.js';
import { analyze, type AnalyzedLayer } from '../src/index.js';
import type { MatrixPlan } from '../src/matrices.js';
import { gramEigenvalues } from '../src/spectrum/index.js';
import { REFERENCE } from './helpers.js';

const dense = (rows: number, cols: number, slices = 1, eigenScale = 1): MatrixPlan => ({
  status: 'analyze',
  idSuffix: '',
  kind: slices > 1 ? 'conv2d' : 'dense',
  rows,
  cols,
  slices,
  eigenScale,
  extract: slices > 1 ? (v, s) => v.slice(s * rows * cols, (s + 1) * rows * cols) : (v) => v,
});

function gaussian(n: number, seed: number, sigma = 1, mean = 0): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: n }, () => mean + sigma * rng.nextGaussian());
}

async function traps(W: Float64Array, plan: MatrixPlan, seed = 0) {
  const esd = await computeEsd(W, plan);
  return findCorrelationTraps(W, plan, esd.evals, { seed });
}

describe('correlation traps', () => {
  it('Gaussian matrices have none (4 shapes × 5 data seeds × shuffle seeds, conv slices included)', async () => {
    for (const [rows, cols] of [
      [200, 100],
      [300, 300],
      [150, 400],
      [500, 250],
    ] as const) {
      for (let s = 0; s < 5; s++) {
        const t = await traps(gaussian(rows * cols, 10 + s, 0.02), dense(rows, cols), s);
        expect(t.numTraps, `${rows}×${cols} seed ${s}`).toBe(0);
        expect(t.trapEigenvalues).toEqual([]);
        expect(t.lambdaMaxRandom).toBeLessThan(t.threshold);
        // The edge from the variance: v(√N + √M)² with v = 0.02² (bulk mean, within 3%).
        const edge = 0.0004 * (Math.sqrt(rows) + Math.sqrt(cols)) ** 2;
        expect(Math.abs(t.lambdaPlusRandom - edge) / edge).toBeLessThan(0.03);
      }
    }
    const conv = await traps(gaussian(64 * 32 * 9, 3), dense(64, 32, 9, 0.5), 1);
    expect(conv.numTraps).toBe(0);
  });

  it('finds three planted 50σ elements in a 500×500 Gaussian matrix, at the BBP eigenvalue', async () => {
    const n = 500;
    const W = gaussian(n * n, 7);
    W[3 * n + 10] = 50;
    W[100 * n + 200] = -50;
    W[400 * n + 499] = 50;
    const bbp = (2500 + n) ** 2 / 2500; // 3600; the MP edge is (√500 + √500)² = 2000
    for (const seed of [0, 1, 2]) {
      const t = await traps(W, dense(n, n), seed);
      expect(t.numTraps).toBe(3);
      expect(t.trapEigenvalues).toHaveLength(3);
      for (const lambda of t.trapEigenvalues) expect(Math.abs(lambda - bbp) / bbp).toBeLessThan(0.06);
      expect(t.lambdaMaxRandom).toBe(t.trapEigenvalues[0]);
      expect(Math.abs(t.lambdaPlusRandom - 2000) / 2000).toBeLessThan(0.03);
    }
  });

  it('finds a single planted element in a rectangular matrix (300×200, one 50σ entry)', async () => {
    const W = gaussian(300 * 200, 8);
    W[5] = 50;
    const t = await traps(W, dense(300, 200));
    expect(t.numTraps).toBe(1);
    const bbp = ((2500 + 300) * (2500 + 200)) / 2500;
    expect(Math.abs(t.trapEigenvalues[0]! - bbp) / bbp).toBeLessThan(0.06);
  });

  it('a spike made by correlations is not a trap, but moves the ESD away from its shuffle', async () => {
    // W = G + θ u vᵀ with unit u, v spread over all coordinates: a strong spike in the ESD,
    // no large element (θ/√(NM) per element).
    const rows = 400;
    const cols = 200;
    const W = gaussian(rows * cols, 9);
    const rng = createRng(99);
    const u = Float64Array.from({ length: rows }, () => rng.nextGaussian());
    const v = Float64Array.from({ length: cols }, () => rng.nextGaussian());
    const nu = Math.hypot(...u);
    const nv = Math.hypot(...v);
    const theta = 100;
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) W[i * cols + j]! += (theta * u[i]! * v[j]!) / (nu * nv);
    const esd = await computeEsd(W, dense(rows, cols));
    const t = await findCorrelationTraps(W, dense(rows, cols), esd.evals, { seed: 0 });
    expect(esd.evals[esd.evals.length - 1]!).toBeGreaterThan(2 * t.threshold);
    expect(t.numTraps).toBe(0);
    const pure = await traps(gaussian(rows * cols, 9), dense(rows, cols));
    expect(t.distance).toBeGreaterThan(5 * pure.distance);
  });

  it('a non-zero mean is not a trap (the shuffled slice is centred)', async () => {
    const t = await traps(gaussian(300 * 150, 4, 1, 0.8), dense(300, 150));
    expect(t.numTraps).toBe(0);
  });

  it('is deterministic for a seed and changes with it', async () => {
    const W = gaussian(200 * 120, 5);
    const a = await traps(W, dense(200, 120), 42);
    const b = await traps(W, dense(200, 120), 42);
    const c = await traps(W, dense(200, 120), 43);
    expect(b).toEqual(a);
    expect(c.lambdaMaxRandom).not.toBe(a.lambdaMaxRandom);
    expect(a.seed).toBe(42);
    // The tensor itself is left alone (dense plans hand out the tensor's own array).
    expect(W).toEqual(gaussian(200 * 120, 5));
  });

  it('shuffledEdge: TW-calibrated threshold, traps removed from the variance estimate', () => {
    const rows = 300;
    const cols = 100;
    const W = gaussian(rows * cols, 12);
    const ev = Float64Array.from(gramEigenvalues(W, rows, cols)).sort();
    const e = shuffledEdge(ev, rows, cols);
    expect(Math.abs(e.variance - 1)).toBeLessThan(0.02);
    const tw = (Math.sqrt(rows) + Math.sqrt(cols)) * Math.cbrt(1 / Math.sqrt(rows) + 1 / Math.sqrt(cols));
    expect(e.threshold).toBeCloseTo(e.variance * ((Math.sqrt(rows) + Math.sqrt(cols)) ** 2 + TRAP_TW_MARGIN * tw), 6);
    // Turn the two largest bulk eigenvalues into huge ones: the estimate must not follow them
    // (it loses those two from the bulk, ≈ 2·1.9/M of its mass: within 4%).
    const spiked = Float64Array.from(ev);
    spiked[cols - 1] = 50 * e.lambdaPlus;
    spiked[cols - 2] = 40 * e.lambdaPlus;
    spiked.sort();
    const f = shuffledEdge(spiked, rows, cols);
    expect(f.numTraps).toBe(2);
    expect(Math.abs(f.variance - e.variance) / e.variance).toBeLessThan(0.04);
    const naive = spiked.reduce((a, b) => a + b, 0) / (rows * cols);
    expect(naive / e.variance).toBeGreaterThan(1.5);
  });

  it('distances: 0 for equal spectra, positive otherwise; KS is the sup of the CDF gap', () => {
    const a = Float64Array.from([1, 2, 3, 4]);
    expect(jensenShannonDistance(a, a)).toBe(0);
    expect(ksDistance(a, a)).toBe(0);
    expect(jensenShannonDistance(a, Float64Array.from([0.1, 0.1, 0.1, 9.7]))).toBeGreaterThan(0.3);
    expect(jensenShannonDistance(a, Float64Array.from([0.1, 0.1, 0.1, 9.7]))).toBeLessThanOrEqual(Math.sqrt(Math.LN2));
    expect(ksDistance(a, Float64Array.from([5, 6, 7, 8]))).toBe(1);
    expect(ksDistance(a, Float64Array.from([1.5, 2.5, 3.5, 4.5]))).toBe(0.25);
  });
});

describe('--randomize through the pipeline', () => {
  it('adds traps only when asked, agrees with WeightWatcher where it must (0 traps on Gaussians and the correlation spike)', async () => {
    const file = join(REFERENCE, 'synthetic.safetensors');
    const plain = await analyze([file], { layers: ['a_gauss*'] });
    expect((plain.layers[0] as AnalyzedLayer).traps).toBeUndefined();
    const report = await analyze([file], {
      randomize: true,
      seed: 3,
      layers: ['a_gauss*', 'b_gauss*', 'c_pareto_mu3*'],
    });
    const by = (name: string) => report.layers.find((l) => l.name.startsWith(name)) as AnalyzedLayer;
    expect(by('a_gauss').traps?.numTraps).toBe(0);
    expect(by('b_gauss').traps?.numTraps).toBe(0);
    // WeightWatcher's rand_num_spikes is 4 on this matrix (one shuffle of its own).
    expect(by('c_pareto_mu3').traps?.numTraps).toBeGreaterThanOrEqual(2);
    expect(by('c_pareto_mu3').traps?.seed).toBe(3);
  });
});
