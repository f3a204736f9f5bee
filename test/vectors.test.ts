/**
 * Issue 8, item 3: eigenvector localization (--vectors).
 *  - The eigen-solver: ‖Av − λv‖ ≤ 1e-12·‖A‖ and |VᵀV − I| ≤ 1e-12, both routes, with
 *    degenerate clusters and zero matrices.
 *  - Metrics: exact values on constructed vectors; random Gaussian vectors have
 *    PR = (Σv²)²/(MΣv⁴) ≈ 1/3 (E[Σv⁴] = 3/(M+2) for unit vectors): within 0.02 at M ≥ 200.
 *  - Gaussian W: bulk (and tail) eigenvectors delocalized: PR within 0.02 of the random
 *    reference, entropy within 0.01.
 *  - A planted spike on 4 input coordinates (W = G + θ u vᵀ, v on 4 coordinates, θ far above
 *    the BBP threshold) gives a localized top eigenvector: PR < 0.05 (4/M = 0.02 exactly
 *    localized), entropy < 0.5, while the bulk stays at ≈ 1/3.
 */
import { describe, expect, it } from 'vitest';
import { symmetricEigen, symmetricEigenSelected, type SymmetricEigen } from '../src/vectors/symmetric-eigen.js';
import { vectorMetrics, randomReference } from '../src/vectors/localization.js';
import { eigenvectorLocalization, estimateVectorSeconds, VECTORS_SLOW_SECONDS } from '../src/vectors/index.js';
import { digamma } from '../src/fit/special-functions.js';
import { createRng } from '../src/random.js';
import type { MatrixPlan } from '../src/matrices.js';
import { analyzeLayer } from '../src/layer.js';

const dense = (rows: number, cols: number): MatrixPlan => ({
  status: 'analyze',
  idSuffix: '',
  kind: 'dense',
  rows,
  cols,
  slices: 1,
  eigenScale: 1,
  extract: (v) => v,
});

function gaussian(n: number, seed: number): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: n }, () => rng.nextGaussian());
}

function symmetric(n: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const g = rng.nextGaussian();
      A[i * n + j] = g;
      A[j * n + i] = g;
    }
  }
  return A;
}

function checkEigen(A: Float64Array, n: number, r: SymmetricEigen): void {
  let norm = 0;
  for (const a of A) norm = Math.max(norm, Math.abs(a));
  const k = r.indices.length;
  for (let q = 0; q < k; q++) {
    const lambda = r.values[r.indices[q]!]!;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += A[i * n + j]! * r.vectors[q * n + j]!;
      expect(Math.abs(s - lambda * r.vectors[q * n + i]!)).toBeLessThanOrEqual(1e-12 * Math.max(norm, 1e-300) + 1e-300);
    }
    for (let p = 0; p < k; p++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += r.vectors[q * n + j]! * r.vectors[p * n + j]!;
      expect(Math.abs(s - (p === q ? 1 : 0))).toBeLessThanOrEqual(1e-12);
    }
  }
  for (let i = 1; i < n; i++) expect(r.values[i]!).toBeGreaterThanOrEqual(r.values[i - 1]!);
}

describe('symmetric eigen-decomposition with vectors', () => {
  it('random symmetric matrices, n = 1 … 120, both routes agree on the eigenvalues', () => {
    for (const n of [1, 2, 3, 7, 40, 120]) {
      const A = symmetric(n, n);
      const full = symmetricEigen(A.slice(), n);
      checkEigen(A, n, full);
      const sel = symmetricEigenSelected(A.slice(), n, (v) => Array.from(v, (_, i) => i));
      checkEigen(A, n, sel);
      for (let i = 0; i < n; i++) expect(Math.abs(sel.values[i]! - full.values[i]!)).toBeLessThan(1e-12 * n);
    }
  });

  it('degenerate clusters (eigenvalues 0 ×20, 1 ×20, 2.5 ×10, and 1e-9-spaced ones), all or a subset', () => {
    const n = 60;
    const basis = symmetricEigen(symmetric(n, 3), n).vectors;
    const lam = Array.from({ length: n }, (_, i) => (i < 20 ? 0 : i < 40 ? 1 : i < 50 ? 2.5 : 3 + i * 1e-9));
    const A = new Float64Array(n * n);
    for (let k = 0; k < n; k++)
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) A[i * n + j]! += lam[k]! * basis[k * n + i]! * basis[k * n + j]!;
    checkEigen(A, n, symmetricEigen(A.slice(), n));
    checkEigen(
      A,
      n,
      symmetricEigenSelected(A.slice(), n, (v) => Array.from(v, (_, i) => i)),
    );
    checkEigen(
      A,
      n,
      symmetricEigenSelected(A.slice(), n, () => [0, 5, 19, 20, 21, 39, 45, 50, 51, 59]),
    );
  });

  it('diagonal, identity and zero matrices', () => {
    for (const A of [
      Float64Array.from([2, 0, 0, 0, 1, 0, 0, 0, 3]),
      Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]),
      new Float64Array(9),
    ]) {
      checkEigen(A, 3, symmetricEigen(A.slice(), 3));
      checkEigen(
        A,
        3,
        symmetricEigenSelected(A.slice(), 3, () => [0, 1, 2]),
      );
    }
  });
});

describe('localization metrics', () => {
  it('exact values: one coordinate, k equal coordinates, flat', () => {
    const M = 100;
    const basis = new Float64Array(M);
    basis[7] = -3;
    expect(vectorMetrics(basis)).toEqual({ participationRatio: 1 / M, localizationRatio: 1 / M, entropy: 0 });
    const four = new Float64Array(M);
    [1, 20, 33, 90].forEach((i) => (four[i] = 0.5));
    const m4 = vectorMetrics(four);
    expect(m4.participationRatio).toBeCloseTo(4 / M, 14);
    expect(m4.localizationRatio).toBeCloseTo(4 / M, 14);
    expect(m4.entropy).toBeCloseTo(Math.log(4) / Math.log(M), 14);
    const flat = vectorMetrics(new Float64Array(M).fill(0.1));
    expect(flat.participationRatio).toBeCloseTo(1, 14);
    expect(flat.localizationRatio).toBeCloseTo(1, 14);
    expect(flat.entropy).toBeCloseTo(1, 14);
  });

  it('random vectors: PR ≈ 1/3 and the Porter–Thomas entropy (ψ(M/2+1) − ψ(3/2))/ln M', () => {
    for (const M of [200, 1000]) {
      const r = randomReference(M);
      expect(Math.abs(r.participationRatio - 1 / 3)).toBeLessThan(0.02);
      const h = (digamma(M / 2 + 1) - digamma(1.5)) / Math.log(M);
      expect(Math.abs(r.entropy - h)).toBeLessThan(0.005);
      // ‖v‖₁/(M‖v‖∞) ≈ √(2/π)/E max|gᵢ|, E max|g| over M ≈ 2.7–3.3 here.
      expect(r.localizationRatio).toBeGreaterThan(0.2);
      expect(r.localizationRatio).toBeLessThan(0.32);
    }
  });
});

describe('eigenvector localization of a layer', () => {
  it('Gaussian W (400×200): tail and bulk delocalized like random vectors', () => {
    const W = gaussian(400 * 200, 1);
    const v = eigenvectorLocalization(W, dense(400, 200), {
      split: { by: 'power-law-tail', threshold: 1000 },
      perVector: true,
    });
    expect(v.dimension).toBe(200);
    expect(v.numNull).toBe(0);
    expect(v.tail.count + v.bulk.count).toBe(200);
    expect(v.tail.count).toBeGreaterThan(0);
    expect(v.tail.computed).toBe(v.tail.count);
    for (const g of [v.tail, v.bulk]) {
      expect(Math.abs(g.participationRatio! - v.random.participationRatio)).toBeLessThan(0.02);
      expect(Math.abs(g.entropy! - v.random.entropy)).toBeLessThan(0.01);
      expect(Math.abs(g.localizationRatio! - v.random.localizationRatio)).toBeLessThan(0.03);
    }
    expect(v.perVector?.eigenvalue).toHaveLength(200);
  });

  it('a planted spike on 4 input coordinates is localized; the bulk is not', () => {
    const rows = 400;
    const cols = 200;
    const W = gaussian(rows * cols, 2);
    const rng = createRng(77);
    const u = Float64Array.from({ length: rows }, () => rng.nextGaussian());
    const nu = Math.hypot(...u);
    const support = [3, 50, 51, 160];
    const theta = 200; // BBP threshold (NM)^¼ ≈ 17: far above
    for (let i = 0; i < rows; i++) for (const j of support) W[i * cols + j]! += (theta * u[i]! * 0.5) / nu;
    const evalsTop = 1e4; // the spike's eigenvalue ≈ θ² = 40,000; the bulk edge ≈ 1166
    const v = eigenvectorLocalization(W, dense(rows, cols), {
      split: { by: 'mp-spikes', threshold: evalsTop },
      perVector: true,
    });
    expect(v.tail.count).toBe(1);
    expect(v.tail.participationRatio!).toBeLessThan(0.05);
    expect(v.tail.entropy!).toBeLessThan(0.5);
    expect(Math.abs(v.bulk.participationRatio! - v.random.participationRatio)).toBeLessThan(0.02);
    const last = v.perVector!.participationRatio.length - 1;
    expect(v.perVector!.participationRatio[last]).toBe(v.tail.participationRatio);
  });

  it('large M: an evenly spaced sample of vectors gives the same means (within 0.01)', () => {
    const W = gaussian(300 * 200, 3);
    const split = { by: 'power-law-tail' as const, threshold: 800 };
    const all = eigenvectorLocalization(W, dense(300, 200), { split });
    const some = eigenvectorLocalization(W, dense(300, 200), { split, maxVectorsPerSlice: 64 });
    expect(some.tail.computed + some.bulk.computed).toBe(64);
    expect(some.tail.count).toBe(all.tail.count);
    expect(Math.abs(some.bulk.participationRatio! - all.bulk.participationRatio!)).toBeLessThan(0.01);
  });

  it('null space (rank-deficient W) is left out', () => {
    // 200×100 of rank 30: a product of 200×30 and 30×100 Gaussians.
    const A = gaussian(200 * 30, 4);
    const B = gaussian(30 * 100, 5);
    const W = new Float64Array(200 * 100);
    for (let i = 0; i < 200; i++)
      for (let k = 0; k < 30; k++) for (let j = 0; j < 100; j++) W[i * 100 + j]! += A[i * 30 + k]! * B[k * 100 + j]!;
    const v = eigenvectorLocalization(W, dense(200, 100), { split: { by: 'none', threshold: null } });
    expect(v.numNull).toBe(70);
    expect(v.bulk.count).toBe(30);
    expect(v.tail.count).toBe(0);
    expect(v.tail.participationRatio).toBeNull();
  });

  it('predicts the time and warns through onWarning only when slow', async () => {
    const big: MatrixPlan = { ...dense(4096, 4096), extract: () => new Float64Array(0) };
    expect(estimateVectorSeconds(big)).toBeGreaterThan(VECTORS_SLOW_SECONDS);
    expect(estimateVectorSeconds(dense(256, 128))).toBeLessThan(1);
    const warnings: string[] = [];
    const W = gaussian(256 * 128, 6);
    const layer = await analyzeLayer(
      W,
      dense(256, 128),
      { id: 'w', model: 0, name: 'w', kind: 'dense', shape: [256, 128], dtype: 'F32' },
      {
        vectors: true,
        onWarning: (m) => warnings.push(m),
      },
    );
    expect(warnings).toEqual([]);
    expect(layer.vectors?.dimension).toBe(128);
    expect(layer.vectors?.split.by).toBe('power-law-tail');
    await analyzeLayer(
      W,
      dense(256, 128),
      { id: 'w', model: 0, name: 'w', kind: 'dense', shape: [256, 128], dtype: 'F32' },
      {
        vectors: true,
        onWarning: (m) => warnings.push(m),
        slowVectorsSeconds: 0,
      },
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^w: eigenvectors of 128×128 Gram matrix \(--vectors\) will take about \d+ s$/);
  });
});
