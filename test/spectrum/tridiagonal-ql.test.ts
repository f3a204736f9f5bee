/**
 * The root-based QL without vectors (spectrum/tridiagonal-ql.ts): the WebAssembly kernel
 * gives the TypeScript sweep's values to the bit — Golub–Kahan matrices (zero diagonal, the
 * accurate route's), symmetric ones, graded couplings, couplings below the safe minimum, an
 * off-diagonal one shorter than the diagonal — and with Z the TypeScript path turns it.
 */
import { describe, expect, it } from 'vitest';
import { tridiagonalQl, tridiagonalQlTs } from '../../src/spectrum/tridiagonal-ql.js';
import { wasmKernels } from '../../src/spectrum/wasm.js';
import { Rng } from '../generators/rng.js';

describe('tridiagonalQl', () => {
  it('runs the WebAssembly kernel here', () => {
    expect(wasmKernels('sync')).toBeDefined();
  });

  const rng = new Rng(77);
  for (const kind of ['Golub–Kahan', 'symmetric', 'graded', 'sub-safe-minimum couplings']) {
    it(`${kind}: the kernel's eigenvalues are the TypeScript sweep's, bit for bit`, () => {
      for (const n of [1, 2, 3, 4, 7, 16, 65, 256, 961]) {
        const d = new Float64Array(n);
        const e = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          d[i] = kind === 'Golub–Kahan' ? 0 : rng.normal();
          const scale = kind === 'graded' ? 10 ** -(i % 17) : kind.startsWith('sub') && i % 3 === 0 ? 1e-310 : 1;
          e[i] = rng.normal() * scale;
        }
        const [d1, e1, d2, e2] = [d.slice(), e.slice(), d.slice(), e.slice()];
        tridiagonalQl(d1, e1);
        tridiagonalQlTs(d2, e2);
        expect(Array.from(d1), `n = ${n}`).toEqual(Array.from(d2));
        expect(Array.from(e1), `n = ${n}`).toEqual(Array.from(e2));
        // Eigenvalues of a symmetric matrix: their sum is the trace.
        const trace = d.reduce((a, b) => a + b, 0);
        const size = d.reduce((a, b) => a + Math.abs(b), 0) + e.reduce((a, b) => a + Math.abs(b), 0);
        expect(Math.abs(d1.reduce((a, b) => a + b, 0) - trace)).toBeLessThanOrEqual(1e-12 * Math.max(1, size));
      }
    });
  }

  it('takes an off-diagonal of n − 1 values, and turns Z in TypeScript', () => {
    const d = Float64Array.from([2, -1, 0.5, 3]);
    const e = Float64Array.from([0.3, -0.7, 1.1]);
    const Z = new Float64Array(16);
    for (let i = 0; i < 4; i++) Z[i * 4 + i] = 1;
    const [a, b] = [d.slice(), d.slice()];
    tridiagonalQl(a, e.slice());
    tridiagonalQl(b, e.slice(), Z);
    expect(Array.from(a).sort()).toEqual(Array.from(b).sort());
    // Row i of Z is the unit eigenvector for b[i]: T·z = λ·z.
    for (let i = 0; i < 4; i++) {
      const z = Z.subarray(i * 4, i * 4 + 4);
      for (let r = 0; r < 4; r++) {
        const tz = d[r]! * z[r]! + (r > 0 ? e[r - 1]! * z[r - 1]! : 0) + (r < 3 ? e[r]! * z[r + 1]! : 0);
        expect(Math.abs(tz - b[i]! * z[r]!)).toBeLessThan(1e-13);
      }
    }
  });
});
