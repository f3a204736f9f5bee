/**
 * The small Gram product (spectrum/gram.ts gramLower): the WebAssembly kernel gives the
 * TypeScript loop's G to the bit — tall and wide, shapes that cross the kernel's chunks, its
 * 4×4 tiles and the rows of G past the last whole tile, zero entries (which the loop skips and the kernel adds), magnitudes
 * far apart — and both agree with the plain definition to rounding.
 */
import { describe, expect, it } from 'vitest';
import { gramLower, gramLowerTs } from '../../src/spectrum/gram.js';
import { wasmKernels } from '../../src/spectrum/wasm.js';
import { Rng } from '../generators/rng.js';

function matrix(rng: Rng, rows: number, cols: number, zeros: number): Float64Array {
  const W = new Float64Array(rows * cols);
  for (let i = 0; i < W.length; i++) {
    if (rng.uniform() < zeros) continue;
    // Mostly O(1), some entries 1e6 larger or smaller: sums whose order matters.
    const u = rng.uniform();
    W[i] = rng.normal() * (u < 0.05 ? 1e6 : u < 0.1 ? 1e-6 : 1);
  }
  return W;
}

describe('gramLower', () => {
  it('runs the WebAssembly kernel here', () => {
    expect(wasmKernels('sync')).toBeDefined();
  });

  const shapes: [number, number][] = [
    [1, 1],
    [1, 9],
    [9, 1],
    [2, 3],
    [5, 4],
    [4, 5],
    [7, 7],
    [576, 64],
    [64, 576],
    [95, 96],
    [96, 95],
    [1031, 65], // 1031 rows: chunks of 1008 (65,536 / 65) and a tail of 23, not a multiple of 4
    [65, 1031],
    [8, 8], // one diagonal tile
    [130, 131], // tiles, and three rows of G past the last whole tile
    [40_001, 3],
    [3, 40_001],
  ];
  const rng = new Rng(20261206);
  for (const [rows, cols] of shapes) {
    it(`${rows}×${cols}: the kernel's G is the TypeScript loop's, bit for bit, and WᵀW to rounding`, () => {
      for (const zeros of [0, 0.4]) {
        const W = matrix(rng, rows, cols, zeros);
        const got = gramLower(W, rows, cols);
        const twin = gramLowerTs(W, rows, cols);
        expect(got.n).toBe(Math.min(rows, cols));
        expect(Array.from(got.G)).toEqual(Array.from(twin.G));
        // The plain definition, summed in another order: equal to a few ulps of Σ|terms|.
        const n = got.n;
        const tall = rows >= cols;
        for (let i = 0; i < n; i++) {
          for (let j = 0; j <= i; j++) {
            let s = 0;
            let size = 0;
            const len = tall ? rows : cols;
            for (let k = len - 1; k >= 0; k--) {
              const t = tall ? W[k * cols + i]! * W[k * cols + j]! : W[i * cols + k]! * W[j * cols + k]!;
              s += t;
              size += Math.abs(t);
            }
            expect(Math.abs(got.G[i * n + j]! - s)).toBeLessThanOrEqual(4 * len * Number.EPSILON * size);
          }
        }
      }
    });
  }
});
