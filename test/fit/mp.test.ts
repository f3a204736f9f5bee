/**
 * Marchenko–Pastur fit (DESIGN.md §3.5): agreement with the reference tool on
 * fixtures/reference (σ within 5 %, λ₊ within 10 %, spike count within ±1), the law's own
 * moments, accuracy on seeded noise, and robustness on the spectra real layers produce.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, beforeAll } from 'vitest';
import { analyze } from '../../src/analyze.js';
import { fitMarchenkoPastur, MpWalk, mpCdf, mpCdfTable, mpQuantile, tracyWidomWidth } from '../../src/fit/mp.js';
import { gramEigenvalues } from '../../src/spectrum/index.js';
import type { AnalyzedLayer, MpOk, MpResult } from '../../src/schema/index.js';
import { Rng, addLowRank, orthonormalColumns } from '../generators/index.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/reference/synthetic.safetensors', import.meta.url));
const REFERENCE = JSON.parse(
  readFileSync(new URL('../../fixtures/reference/synthetic.ww.json', import.meta.url), 'utf8'),
) as {
  layers: Record<string, Record<string, number | boolean | string>>;
};

function ok(r: MpResult): MpOk {
  if (r.status !== 'ok') throw new Error(`MP fit failed: ${r.reason}`);
  return r;
}

/** Eigenvalues of XᵀX for an N×M Gaussian X with N(0, 1/N) entries, plus Σ θᵢuᵢvᵢᵀ. */
function noiseEvals(seed: number, N: number, M: number, thetas: readonly number[] = []): Float64Array {
  const rng = new Rng(seed);
  const X = new Float64Array(N * M);
  for (let i = 0; i < X.length; i++) X[i] = rng.normal() / Math.sqrt(N);
  if (thetas.length > 0) {
    addLowRank(
      X,
      N,
      M,
      orthonormalColumns(rng, N, thetas.length),
      thetas,
      orthonormalColumns(rng, M, thetas.length),
      thetas.length,
    );
  }
  return gramEigenvalues(X, N, M);
}

describe('agreement with the reference tool (synthetic.ww.json mp.*)', () => {
  let layers: AnalyzedLayer[] = [];
  beforeAll(async () => {
    const report = await analyze([FIXTURE]);
    layers = report.layers.filter((l): l is AnalyzedLayer => l.status === 'analyzed');
  });

  it('analyses every tensor the reference analyses', () => {
    const expected = Object.entries(REFERENCE.layers)
      .filter(([, v]) => v.skipped !== true)
      .map(([k]) => k)
      .sort();
    expect(layers.map((l) => l.name).sort()).toEqual(expected);
  });

  it.each(
    Object.entries(REFERENCE.layers)
      .filter(([, v]) => v.skipped !== true)
      .map(([k]) => k),
  )('%s', (name) => {
    const ref = REFERENCE.layers[name]!;
    const layer = layers.find((l) => l.name === name)!;
    const mp = ok(layer.mp);
    const sigmaRef = ref['mp.sigma_mp'] as number;
    const bulkMaxRef = ref['mp.bulk_max'] as number;
    const spikesRef = ref['mp.num_spikes'] as number;
    expect(Math.abs(mp.sigma / sigmaRef - 1)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(mp.lambdaPlus / bulkMaxRef - 1)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(mp.numSpikes - spikesRef)).toBeLessThanOrEqual(1);
    // Internal consistency of the reported numbers.
    expect(mp.softRank).toBeCloseTo(mp.lambdaPlus / layer.metrics.lambdaMax, 12);
    const Q = layer.Q;
    expect(mp.lambdaMinus / mp.lambdaPlus).toBeCloseTo(((1 - 1 / Math.sqrt(Q)) / (1 + 1 / Math.sqrt(Q))) ** 2, 12);
    expect(mp.twWidth * mp.scale).toBeCloseTo(tracyWidomWidth(mp.lambdaPlus * mp.scale, Q, layer.M), 12);
  });

  it('flags the fits that sit on the reference tool’s lower σ bound', () => {
    const atBound = layers
      .filter((l) => l.mp.status === 'ok' && l.mp.atBound === 'lower')
      .map((l) => l.name)
      .sort();
    expect(atBound).toEqual(['c_pareto_mu1_1500x500', 'c_student_t_nu1_1500x500', 'd_rank50_1000x500']);
  });
});

describe('the MP law', () => {
  it.each([1, 1.5, 2, 4, 10])('Q = %s: CDF from 0 to 1, quantile inverts it, mean 1 and variance 1/Q', (Q) => {
    const table = mpCdfTable(Q);
    const K = table.cdf.length - 1;
    expect(table.cdf[0]).toBe(0);
    expect(table.cdf[K]).toBe(1);
    for (let j = 1; j <= K; j++) expect(table.cdf[j]!).toBeGreaterThanOrEqual(table.cdf[j - 1]!);
    for (const p of [0.01, 0.1, 0.5, 0.9, 0.99]) expect(mpCdf(table, mpQuantile(table, p))).toBeCloseTo(p, 6);
    // Moments by the quantile transform: E[λ] = 1, Var[λ] = y = 1/Q for σ = 1.
    let m1 = 0;
    let m2 = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const x = mpQuantile(table, (i + 0.5) / n);
      m1 += x / n;
      m2 += (x * x) / n;
    }
    expect(m1).toBeCloseTo(1, 3);
    expect(m2 - m1 * m1).toBeCloseTo(1 / Q, 2);
  });

  it.each([1, 1.5, 4, 1e6, 1e300])('Q = %s: MpWalk gives the bisections’ values, bit for bit', (Q) => {
    const table = mpCdfTable(Q);
    const K = table.cdf.length - 1;
    const same = (a: number, b: number) => expect(Object.is(a, b), `${a} ${b}`).toBe(true);
    // Plotting positions, the table's own nodes (ties with the search's ≤), and the ends.
    const ps: number[] = [-1, 0, 1e-300];
    for (let i = 0; i < 997; i++) ps.push((i + 0.5) / 997);
    for (let j = 0; j <= K; j += 7) ps.push(table.cdf[j]!, table.cdf[j]!);
    ps.push(1 - 1e-16, 1, 2, NaN);
    const xs: number[] = [table.lambda[0]! - 1, table.lambda[0]!];
    for (let j = 0; j <= K; j += 5) xs.push(table.lambda[j]!, table.lambda[j]! * (1 + 1e-15), table.lambda[j]!);
    xs.push(table.lambda[K]!, table.lambda[K]! + 1, Infinity);
    const up = (a: number[]) => a.filter((v) => !Number.isNaN(v)).sort((u, v) => u - v);
    const walk = new MpWalk(table);
    for (const p of up(ps)) same(walk.quantile(p), mpQuantile(table, p));
    for (const x of up(xs)) same(walk.cdf(x), mpCdf(table, x));
    // An argument below the last one: the walk starts over, with the same answers.
    for (const p of [0.9, 0.2, 0.7, 0.01, NaN]) same(walk.quantile(p), mpQuantile(table, p));
    for (const x of [...up(xs)].reverse()) same(walk.cdf(x), mpCdf(table, x));
  });
});

describe('accuracy on seeded spectra', () => {
  it.each([
    [600, 300],
    [300, 300],
    [1200, 300],
    [400, 100],
  ])('pure noise %i×%i: σ = 1 within 1 %%, λ_max − λ₊ within the Tracy–Widom range, no spikes', (N, M) => {
    const evals = noiseEvals(N + M, N, M);
    const mp = ok(fitMarchenkoPastur(evals, { N, M, Q: N / M, slices: 1 }));
    expect(Math.abs(mp.sigma - 1)).toBeLessThan(0.01);
    expect(mp.numSpikes).toBe(0);
    // TW₁ has mean −1.2 and sd 1.3: λ_max − λ₊ in (−5, 3) TW for all but ~1e-3 of samples.
    const s = (evals[M - 1]! - mp.lambdaPlus) / mp.twWidth;
    expect(s).toBeGreaterThan(-5);
    expect(s).toBeLessThan(3);
    expect(mp.bulkKS).toBeLessThan(0.05);
    expect(mp.atBound).toBeUndefined();
  });

  it('counts strong spikes exactly and keeps λ₊ at the noise edge', () => {
    const N = 600;
    const M = 200;
    const thetaC = Math.pow(M / N, 0.25);
    const evals = noiseEvals(7, N, M, [4 * thetaC, 5 * thetaC, 6 * thetaC]);
    const mp = ok(fitMarchenkoPastur(evals, { N, M, Q: N / M, slices: 1 }));
    expect(mp.numSpikes).toBe(3);
    // The bulk is the N(0, 1/N) noise: λ₊ = (1 + √(M/N))² in original units, within a few TW.
    const edge = (1 + Math.sqrt(M / N)) ** 2;
    expect(Math.abs(mp.lambdaPlus - edge) / mp.twWidth).toBeLessThan(4);
  });
});

describe('robustness: never throws, fails with a reason', () => {
  const ctx = (N: number, M: number, slices = 1) => ({ N, M, Q: N / M, slices });

  it('fails on too few, non-finite or all-zero eigenvalues', () => {
    const few = fitMarchenkoPastur(new Float64Array([1, 2, 3]), ctx(6, 3));
    expect(few).toMatchObject({ status: 'failed', code: 'too-few-eigenvalues' });
    const nan = fitMarchenkoPastur(
      Float64Array.from({ length: 20 }, (_, i) => (i === 5 ? NaN : i + 1)),
      ctx(40, 20),
    );
    expect(nan).toEqual({ status: 'failed', code: 'non-finite', reason: 'eigenvalues are not finite' });
    expect(fitMarchenkoPastur(new Float64Array(20), ctx(40, 20))).toEqual({
      status: 'failed',
      code: 'all-zero',
      reason: 'all eigenvalues are zero',
    });
  });

  it('handles Q = 1, tiny M, constant spectra, heavy tails and rank deficiency', () => {
    const rng = new Rng(3);
    const cases: Array<[Float64Array, ReturnType<typeof ctx>]> = [
      [noiseEvals(1, 10, 10), ctx(10, 10)],
      [noiseEvals(2, 12, 10), ctx(12, 10)],
      [new Float64Array(50).fill(2.5), ctx(50, 50)], // orthogonal matrix: all σ equal
      [Float64Array.from({ length: 200 }, () => rng.pareto(0.7)).sort(), ctx(400, 200)],
      [Float64Array.from({ length: 200 }, (_, i) => (i < 180 ? 0 : 1 + i)), ctx(400, 200)],
      [Float64Array.from({ length: 200 }, (_, i) => (i < 199 ? 1e-30 : 1)), ctx(200, 200)],
      [Float64Array.from({ length: 64 }, (_, i) => (i % 2 ? 1e300 : 1e-300)).sort(), ctx(64, 64)],
      [noiseEvals(4, 30, 10), ctx(30, 10, 3)],
    ];
    for (const [evals, c] of cases) {
      const r = fitMarchenkoPastur(evals, c);
      if (r.status === 'ok') {
        for (const v of [r.sigma, r.lambdaPlus, r.lambdaMinus, r.twWidth, r.softRank, r.bulkKS, r.scale])
          expect(Number.isFinite(v)).toBe(true);
        expect(r.numSpikes).toBeGreaterThanOrEqual(0);
        expect(r.numSpikes + r.bulkSize).toBe(evals.length);
        expect(r.bulkKS).toBeGreaterThanOrEqual(0);
        expect(r.bulkKS).toBeLessThanOrEqual(1);
      } else {
        expect(r.reason.length).toBeGreaterThan(0);
      }
    }
  });

  it('puts a rank-deficient spectrum on the lower σ bound, as the reference tool does', () => {
    const evals = Float64Array.from({ length: 200 }, (_, i) => (i < 180 ? 1e-14 * (i + 1) : 10 + i));
    const mp = ok(fitMarchenkoPastur(evals, ctx(400, 200)));
    expect(mp.atBound).toBe('lower');
    expect(mp.numSpikes).toBe(20);
    expect(mp.softRank).toBeCloseTo(0.0025, 10);
  });
});
