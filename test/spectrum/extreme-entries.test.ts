/**
 * Matrices the 100,000-case fuzz campaign of issue 12 found to break the accurate-rank route
 * after the numerics toolkit was unified (issue 11): a 1e38 dynamic range (QL did not
 * converge) and subnormal entries beside O(1) ones (a NaN reflector, then QL stalling on
 * subnormal couplings). Each must give finite squared singular values that agree with the
 * Gram route's largest eigenvalue, which is exact to rounding here.
 */
import { describe, expect, it } from 'vitest';
import { accurateSquaredSingularValues } from '../../src/spectrum/singular-values.js';
import { eigenvaluesTs } from '../../src/spectrum/eigen.js';

function check(W: Float64Array, rows: number, cols: number): Float64Array {
  const sv = accurateSquaredSingularValues(W, rows, cols);
  expect(sv).toHaveLength(Math.min(rows, cols));
  for (const x of sv) expect(Number.isFinite(x)).toBe(true);
  const gram = eigenvaluesTs(W, rows, cols);
  const top = gram[gram.length - 1]!;
  expect(Math.abs(sv[sv.length - 1]! - top) / top).toBeLessThan(1e-12);
  return sv;
}

describe('accurate-rank route on extreme entries', () => {
  it('a 12×10 matrix of 0.25 with entries 3.2e29 and −3.4e38 (a 1e38 range)', () => {
    const W = new Float64Array(120).fill(0.25);
    W[12] = 3.1691265005705735e29;
    W[13] = -3.3961256062618747e38;
    W[14] = 0.25000378489494324;
    check(W, 12, 10);
  });

  it('a sparse 10×12 matrix of small integers with two subnormal-range entries', () => {
    const W = new Float64Array(120);
    for (const [i, v] of [
      [9, 7],
      [19, -8],
      [30, -9],
      [36, 1],
      [53, -8.187579174409236e-306],
      [54, 8.256793e-317],
      [71, -2],
      [74, 4],
      [89, 6],
      [99, -5],
      [112, -10],
    ] as const)
      W[i] = v;
    const sv = check(W, 10, 12);
    // The integer entries sit in distinct rows and columns: σ² are their squares.
    expect(Array.from(sv.slice(-9)).map(Math.round)).toEqual([1, 4, 16, 25, 36, 49, 64, 81, 100]);
  });
});
