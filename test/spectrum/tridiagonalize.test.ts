/**
 * The one-stage tridiagonalisation (spectrum/tridiagonalize.ts): the WebAssembly kernel gives
 * the TypeScript reduction's d and e to the bit — every size up to the two-stage cut (the
 * kernel's four-row blocks and their tails), reflectors that vanish (zero columns, a block
 * diagonal matrix: the kernel's look-ahead with and without a next step), entries
 * so small that dlarfg rescales (householder.ts tinyReflector), magnitudes far apart — and
 * keeps the spectrum: Σd = trace, Σd² + 2Σe² = ‖A‖²_F (a similarity transform).
 */
import { describe, expect, it } from 'vitest';
import { eigenvaluesTs, ONE_STAGE_MAX_N, TWO_STAGE_MIN_N } from '../../src/spectrum/eigen.js';
import { gramLowerTs } from '../../src/spectrum/gram.js';
import { tridiagonalEigenvalues } from '../../src/spectrum/tridiagonal-eigenvalues.js';
import { tridiagonalize, tridiagonalizeTs } from '../../src/spectrum/tridiagonalize.js';
import { wasmKernels } from '../../src/spectrum/wasm.js';
import { Rng } from '../generators/rng.js';

/** The full symmetric Gram matrix of a seeded (n+3)×n matrix, lower triangle as the path gives it. */
function gram(rng: Rng, n: number, kind: string): Float64Array {
  const rows = n + 3;
  const W = new Float64Array(rows * n);
  for (let i = 0; i < W.length; i++) W[i] = rng.normal() * (kind === 'range' && i % 7 === 0 ? 1e7 : 1);
  if (kind === 'zero columns') for (let i = 0; i < rows; i++) for (const j of [0, 2]) if (j < n) W[i * n + j] = 0;
  // Columns j < n/2 and j ≥ n/2 on disjoint rows: G is block diagonal, so a step with a
  // reflector is followed by one without (the first block's last column) and then by more.
  if (kind === 'blocks')
    for (let i = 0; i < rows; i++) for (let j = 0; j < n; j++) if (i % 2 !== +(2 * j >= n)) W[i * n + j] = 0;
  const { G } = gramLowerTs(W, rows, n);
  if (kind === 'tiny') for (let i = 0; i < G.length; i++) G[i]! *= 1e-300;
  return G;
}

describe('tridiagonalize', () => {
  it('runs the WebAssembly kernel here', () => {
    expect(wasmKernels('sync')).toBeDefined();
  });

  const rng = new Rng(611);
  // Up to the largest matrix the one-stage path takes beside onnxruntime (eigen.ts usesTwoStage).
  const sizes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 31, 32, 33, 64, TWO_STAGE_MIN_N - 1, 131, ONE_STAGE_MAX_N];
  for (const kind of ['gaussian', 'range', 'zero columns', 'blocks', 'tiny']) {
    it(`${kind}: the kernel's d and e are the TypeScript reduction's, bit for bit`, () => {
      for (const n of sizes) {
        const A = gram(rng, n, kind);
        const got = tridiagonalize(A.slice(), n);
        const twin = tridiagonalizeTs(A.slice(), n);
        expect(Array.from(got.d), `n = ${n}`).toEqual(Array.from(twin.d));
        expect(Array.from(got.e), `n = ${n}`).toEqual(Array.from(twin.e));
        if (n >= 1) expect(got.e[n - 1]).toBe(0);
        // A similarity transform: the trace and the Frobenius norm are kept (to rounding;
        // the tiny case's squares underflow).
        if (kind === 'tiny') continue;
        let trace = 0;
        let frob = 0;
        for (let i = 0; i < n; i++) {
          trace += A[i * n + i]!;
          for (let j = 0; j < n; j++) {
            const a = i >= j ? A[i * n + j]! : A[j * n + i]!;
            frob += a * a;
          }
        }
        let sd = 0;
        let sq = 0;
        for (let i = 0; i < n; i++) {
          sd += got.d[i]!;
          sq += got.d[i]! ** 2 + (i < n - 1 ? 2 * got.e[i]! ** 2 : 0);
        }
        expect(Math.abs(sd - trace)).toBeLessThanOrEqual(1e-12 * frob ** 0.5 * Math.max(1, n));
        expect(Math.abs(sq - frob)).toBeLessThanOrEqual(1e-12 * frob);
      }
    });
  }
});

describe('the one-stage path in kernel memory (eigen.ts eigenvaluesTs)', () => {
  // Tall and wide, several kernel chunks of the Gram product (3 000 rows of 40), sizes that
  // are and are not multiples of the kernels' four-row blocks, and the empty matrix.
  const shapes: [number, number][] = [
    [0, 5],
    [7, 5],
    [5, 7],
    [3000, 40],
    [40, 3000],
    [131, 130],
    [256, 256],
  ];
  it("gives the TypeScript twins' eigenvalues bit for bit, the Gram product never copied out", () => {
    const rng = new Rng(2027);
    for (const [rows, cols] of shapes) {
      const W = new Float64Array(rows * cols);
      for (let i = 0; i < W.length; i++) W[i] = rng.normal() * (i % 11 === 0 ? 1e5 : 1);
      const { G, n } = gramLowerTs(W, rows, cols);
      const { d, e } = tridiagonalizeTs(G, n);
      const want = n === 0 ? new Float64Array(0) : tridiagonalEigenvalues(d, e);
      expect(Array.from(eigenvaluesTs(W, rows, cols)), `${rows}×${cols}`).toEqual(Array.from(want));
    }
  });
});
