/**
 * The tall QR of the accurate route (src/spectrum/tall-qr.ts): R is upper triangular, keeps
 * A's Frobenius norm and singular values (to the accuracy a Householder QR promises,
 * absolute O(N·ε·σ²_max)), and RᵀR = AᵀA to rounding; the two-stage route through it counts
 * a tall matrix's rank as the one-stage route does. Onnxruntime with one thread; skipped where
 * it does not load.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { OrtBackend } from '../../src/spectrum/ort.js';
import { tallQrTriangle } from '../../src/spectrum/tall-qr.js';
import {
  accurateSquaredSingularValues,
  accurateSquaredSingularValuesOrt,
  TALL_QR_RATIO,
} from '../../src/spectrum/singular-values.js';
import { numericalRank } from '../../src/fit/metrics.js';
import { matmul } from '../generators/linalg.js';
import { Rng } from '../generators/rng.js';

const ort = OrtBackend.load(1);
const backend = ort instanceof OrtBackend ? ort : undefined;
afterAll(() => backend?.close());

function gaussian(rng: Rng, rows: number, cols: number): Float64Array {
  const W = new Float64Array(rows * cols);
  for (let i = 0; i < W.length; i++) W[i] = rng.normal();
  return W;
}

/** AᵀA (M×M) of a row-major N×M A. */
function gram(A: Float64Array, N: number, M: number): Float64Array {
  const G = new Float64Array(M * M);
  for (let i = 0; i < N; i++)
    for (let p = 0; p < M; p++) for (let q = 0; q < M; q++) G[p * M + q]! += A[i * M + p]! * A[i * M + q]!;
  return G;
}

describe.skipIf(!backend)('tallQrTriangle', () => {
  for (const [N, M, b] of [
    [1, 1, 4],
    [7, 3, 2],
    [50, 9, 4], // b does not divide M
    [400, 70, 32],
    [900, 130, 32],
  ] as const) {
    it(`${N}×${M}, b = ${b}: R upper triangular, RᵀR = AᵀA, σ² kept`, async () => {
      const A = gaussian(new Rng(N + 7 * M), N, M);
      const R = await tallQrTriangle(backend!, A.slice(), N, M, b);
      for (let i = 0; i < M; i++) for (let j = 0; j < i; j++) expect(R[i * M + j]).toBe(0);
      const GA = gram(A, N, M);
      const GR = gram(R, M, M);
      let top = 0;
      for (let i = 0; i < M; i++) top = Math.max(top, GA[i * M + i]!);
      // Measured worst 0.08·N·ε·max(AᵀA)ᵢᵢ (this Gram's rounding included); a Householder QR
      // promises O(N·ε). The σ² below: measured worst 0.26·N·ε·σ²_max.
      for (let k = 0; k < M * M; k++)
        expect(Math.abs(GR[k]! - GA[k]!)).toBeLessThanOrEqual(4 * N * Number.EPSILON * top);
      const want = accurateSquaredSingularValues(A, N, M);
      const got = accurateSquaredSingularValues(R, M, M);
      const unit = N * Number.EPSILON * want[M - 1]!;
      for (let k = 0; k < M; k++) expect(Math.abs(got[k]! - want[k]!)).toBeLessThanOrEqual(4 * unit);
    });
  }

  it('the route through it: a tall rank-40 matrix and a tall one with a dead column, ranks as one-stage', async () => {
    const rng = new Rng(77);
    const N = 700;
    const M = 150;
    expect(N > TALL_QR_RATIO * M).toBe(true);
    const L = matmul(gaussian(rng, N, 40), gaussian(rng, 40, M), N, 40, M);
    const D = gaussian(rng, N, M);
    for (let i = 0; i < N; i++) D[i * M + 17] = 0;
    for (const [W, rank] of [
      [L, 40],
      [D, M - 1],
    ] as const) {
      const got = await accurateSquaredSingularValuesOrt(backend!, W, N, M);
      const want = accurateSquaredSingularValues(W, N, M);
      expect(numericalRank(got, N)).toBe(rank);
      expect(numericalRank(want, N)).toBe(rank);
      // Measured worst 0.02·N·ε·σ²_max.
      const unit = N * Number.EPSILON * want[M - 1]!;
      for (let k = 0; k < M; k++) expect(Math.abs(got[k]! - want[k]!)).toBeLessThanOrEqual(8 * unit);
    }
  });

  it('refuses a wide matrix or a wrong length', async () => {
    await expect(tallQrTriangle(backend!, new Float64Array(6), 2, 3, 2)).rejects.toThrow(RangeError);
    await expect(tallQrTriangle(backend!, new Float64Array(5), 3, 2, 2)).rejects.toThrow(RangeError);
  });
});
