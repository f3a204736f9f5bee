/**
 * The accurate-rank route's bidiagonalisation (bidiagonalize.ts and its WebAssembly SIMD
 * twin, wasm/kernels.as.ts) against the route as it was before (unfused-svd.ts): the same
 * bidiagonal bit for bit (the same operations in the same order), so the same σᵢ² by QL; dqds
 * on it (the route since) agrees to rounding and gives exactly the same rank, on seeded
 * matrices at the rank threshold's edge: dead rows and columns, exact rank-k products,
 * duplicated rows, fp16-rounded entries, wide and tall shapes.
 */
import { describe, expect, it } from 'vitest';
import { accurateSquaredSingularValues, bidiagonal, golubKahanSquares } from '../../src/spectrum/singular-values.js';
import { wasmKernels } from '../../src/spectrum/wasm.js';
import { numericalRank } from '../../src/fit/metrics.js';
import { unfusedSquaredSingularValues } from './unfused-svd.js';
import { Rng } from '../generators/rng.js';
import { roundF16 } from '../generators/storage.js';
import { matmul } from '../generators/linalg.js';

function gaussian(rng: Rng, rows: number, cols: number): Float64Array {
  const W = new Float64Array(rows * cols);
  for (let i = 0; i < W.length; i++) W[i] = rng.normal();
  return W;
}

const SHAPES: [number, number][] = [
  [1, 1],
  [1, 9],
  [9, 1],
  [2, 2],
  [17, 5],
  [5, 17],
  [64, 64],
  [97, 130],
  [130, 97],
  [200, 200],
];

const FAMILIES: [string, (rng: Rng, rows: number, cols: number) => Float64Array][] = [
  ['Gaussian', gaussian],
  [
    'rank-k product',
    (rng, rows, cols) => {
      const k = Math.max(1, Math.floor(Math.min(rows, cols) / 3));
      return matmul(gaussian(rng, rows, k), gaussian(rng, k, cols), rows, k, cols);
    },
  ],
  [
    'dead rows and a dead column',
    (rng, rows, cols) => {
      const W = gaussian(rng, rows, cols);
      for (let i = 0; i < rows; i += 3) W.fill(0, i * cols, (i + 1) * cols);
      for (let i = 0; i < rows; i++) W[i * cols + (cols >> 1)] = 0;
      return W;
    },
  ],
  [
    'fp16-rounded with duplicated rows',
    (rng, rows, cols) => {
      const W = gaussian(rng, rows, cols).map((x) => roundF16(0.02 * x));
      for (let i = 1; i < rows; i += 4) W.copyWithin(i * cols, (i - 1) * cols, i * cols);
      return W;
    },
  ],
];

/**
 * The route (dqds on the bidiagonal) against the unfused one (QL on the Golub–Kahan matrix,
 * absolute error O(ε·σ_max) on σ): σᵢ² within 4·M·ε·σ²_max of each other, and the same rank.
 */
function agree(got: Float64Array, want: Float64Array, N: number): void {
  expect(got).toHaveLength(want.length);
  const top = want[want.length - 1] ?? 0;
  const tol = 4 * want.length * Number.EPSILON * top;
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `σ²[${i}]`).toBeLessThanOrEqual(tol);
  expect(numericalRank(got, N)).toBe(numericalRank(want, N));
}

describe('accurate-rank bidiagonalisation', () => {
  it('runs in WebAssembly here', () => {
    expect(wasmKernels('svd')).toBeDefined();
  });

  for (const [family, make] of FAMILIES) {
    it(`${family}: the twins' bidiagonals are identical; σ² agree with the unfused route, rank exactly`, () => {
      let seed = 1;
      for (const [rows, cols] of SHAPES) {
        const W = make(new Rng(seed++), rows, cols);
        const copy = W.slice();
        const want = unfusedSquaredSingularValues(W, rows, cols);
        const N = Math.max(rows, cols);
        agree(accurateSquaredSingularValues(W, rows, cols), want, N);
        const ts = bidiagonal(W, rows, cols, false);
        const wasm = bidiagonal(W, rows, cols, true);
        expect(wasm).toEqual(ts);
        expect(golubKahanSquares(ts.d, ts.e)).toEqual(want);
        expect(W).toEqual(copy); // W is not modified
      }
    });
  }

  it('a rank-7 product of 150×120: rank 7 on both sides', () => {
    const rng = new Rng(11);
    const W = matmul(gaussian(rng, 150, 7), gaussian(rng, 7, 120), 150, 7, 120);
    expect(numericalRank(accurateSquaredSingularValues(W, 150, 120), 150)).toBe(7);
    expect(numericalRank(accurateSquaredSingularValues(W, 150, 120), 150)).toBe(
      numericalRank(unfusedSquaredSingularValues(W, 150, 120), 150),
    );
  });

  it('a zero matrix and an empty one', () => {
    expect(Array.from(accurateSquaredSingularValues(new Float64Array(12), 3, 4))).toEqual([0, 0, 0]);
    expect(accurateSquaredSingularValues(new Float64Array(0), 0, 5)).toHaveLength(0);
  });
});
