/**
 * accurate-first.ts without WebAssembly: the Gram product's diagonal and a square W's rows'
 * squared norms then come from the TypeScript path (gram.ts gramLower, squaredRowNorms), and
 * a slice with a nearly dead row still skips the reduction, with the answer resolveSlice
 * gives after the full Gram route.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../generators/rng.js';

process.env.RMT_ANALYZE_NO_WASM = '1';
const { resolveSliceOf } = await import('../../src/spectrum/accurate-first.js');
const { eigenvaluesTs, eigenvaluesTsUnless } = await import('../../src/spectrum/eigen.js');
const { accurateSquaredSingularValues } = await import('../../src/spectrum/singular-values.js');
const { resolveSlice } = await import('../../src/spectrum/slice-rank.js');
const { wasmKernels } = await import('../../src/spectrum/wasm.js');

describe('accurate route first without WebAssembly', () => {
  it('really runs without the kernels', () => {
    expect(wasmKernels('sync')).toBeUndefined();
  });

  for (const [rows, cols, side] of [
    [90, 90, 'row'],
    [120, 70, 'column'],
    [60, 150, 'row'],
  ] as const) {
    it(`${rows}×${cols}, a ${side} at 1e-30: stopped after the Gram product, the same σᵢ² and rank`, async () => {
      const rng = new Rng(rows * cols);
      const W = new Float64Array(rows * cols);
      for (let i = 0; i < W.length; i++) W[i] = rng.normal();
      if (side === 'row') for (let j = 0; j < cols; j++) W[5 * cols + j]! *= 1e-30;
      else for (let i = 0; i < rows; i++) W[i * cols + 5]! *= 1e-30;
      let stopped = 0;
      const first = await resolveSliceOf(
        W,
        rows,
        cols,
        (stop) => {
          const ev = eigenvaluesTsUnless(W, rows, cols, stop);
          if (ev === undefined) stopped++;
          return ev;
        },
        accurateSquaredSingularValues,
      );
      const full = await resolveSlice(eigenvaluesTs(W, rows, cols), rows, cols, () => W, accurateSquaredSingularValues);
      expect(stopped).toBe(1);
      expect(first.rank).toBe(Math.min(rows, cols) - 1);
      expect([first.rank, first.nearSingular]).toEqual([full.rank, full.nearSingular]);
      expect(Array.from(first.ev).every((x, i) => Object.is(x, full.ev[i]))).toBe(true);
    });
  }
});
