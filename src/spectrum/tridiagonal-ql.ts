/**
 * Eigenvalues, and optionally eigenvectors, of a symmetric tridiagonal matrix by the
 * implicit QL method with Wilkinson shifts and explicit square roots: EISPACK tql1 (values)
 * and tql2 (vectors) — Bowdler, Martin, Reinsch & Wilkinson, "The QR and QL algorithms for
 * symmetric matrices", Numer. Math. 11 (1968), Handbook for Automatic Computation II/3;
 * Golub & Van Loan, Matrix Computations, 4th ed., §8.3. The sweep is the rotation-by-rotation
 * form that carries the shifted diagonal in g and the accumulated change in p.
 *
 * The one root-based QL of the project. The main eigenvalue path uses the faster root-free
 * QL (tridiagonal-eigenvalues.ts, LAPACK dsterf); this one serves
 *  - the Golub–Kahan matrices of singular-values.ts: a zero diagonal and eigenvalues ±σ,
 *    where working with e² (root-free) deflates σ ≲ √ε·σ_max to zero — exactly the range
 *    that route exists to resolve;
 *  - `--vectors` (vectors/symmetric-eigen.ts), which needs the rotations (tql2).
 */

import { hypot2 } from './hypot.js';
import { wasmKernels, wasmScratch } from './wasm.js';

/**
 * Overwrites `d` (the diagonal) with the eigenvalues, unsorted. `e[i]` couples i and i+1
 * (e[n−1] is not read); it is used as workspace and destroyed. With `Z` (n×n row-major),
 * every rotation of rows i, i+1 of the matrix is applied to rows i, i+1 of Z, so that
 * starting from Z = Qᵀ (T = QᵀAQ) row i of Z ends as the unit eigenvector of A for d[i].
 * Throws when 60·n sweeps do not converge. Without Z, by the WebAssembly kernel when this
 * thread has it (wasm.ts tridiagonalQlValues: the same operations in the same order, so the
 * same values to the bit).
 */
export function tridiagonalQl(d: Float64Array, e: Float64Array, Z?: Float64Array): void {
  const n = d.length;
  const k = Z === undefined ? wasmKernels('sync') : undefined;
  if (k) {
    // e may hold n − 1 values (e[n−1] is never read).
    const ne = Math.min(n, e.length);
    const mem = wasmScratch(k, 2 * n);
    mem.set(d);
    mem.set(e.subarray(0, ne), n);
    const failed = k.tridiagonalQlValues(0, n * 8, n);
    d.set(mem.subarray(0, n));
    e.set(mem.subarray(n, n + ne));
    if (failed !== 0) throw new Error(`tridiagonal QL did not converge in ${60 * Math.max(1, n)} sweeps`);
    return;
  }
  tridiagonalQlTs(d, e, Z);
}

/** tridiagonalQl in TypeScript: the kernel's twin and fallback, and the one that turns Z. */
export function tridiagonalQlTs(d: Float64Array, e: Float64Array, Z?: Float64Array): void {
  const n = d.length;
  const maxSweeps = 60 * Math.max(1, n);
  let sweeps = 0;
  for (let l = 0; l < n; l++) {
    for (;;) {
      // The first m ≥ l whose coupling is negligible against its two diagonal neighbours, or
      // below the safe minimum: subnormal couplings (a zero Golub–Kahan diagonal next to
      // them) carry too few bits for the sweep to converge, and lie far below any σ the
      // route resolves (entries reach the solver scaled to ≥ 2^-250: spectrum-scale.ts).
      let m = l;
      while (m < n - 1 && !negligible(e[m]!, d[m]!, d[m + 1]!)) m++;
      if (m === l) break;
      if (++sweeps > maxSweeps) throw new Error(`tridiagonal QL did not converge in ${maxSweeps} sweeps`);
      sweep(d, e, l, m, Z);
    }
  }
}

/** LAPACK's safe minimum (dlamch('S')/dlamch('E')), as in householder.ts. */
const SAFE_MIN = 2 ** -1022 / Number.EPSILON;

function negligible(e: number, d0: number, d1: number): boolean {
  const a = Math.abs(e);
  return a <= Number.EPSILON * (Math.abs(d0) + Math.abs(d1)) || a < SAFE_MIN;
}

/**
 * One implicit QL sweep over the block l … m, from the bottom up. A rotation that
 * underflows (r = 0) splits the block there and ends the sweep early; the caller searches again.
 */
function sweep(d: Float64Array, e: Float64Array, l: number, m: number, Z: Float64Array | undefined): void {
  const n = d.length;
  // Wilkinson shift from the leading 2×2 block, folded into g = d_m − shift.
  let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
  let r = hypot2(g, 1);
  g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? r : -r));
  let s = 1;
  let c = 1;
  let p = 0;
  for (let i = m - 1; i >= l; i--) {
    const f = s * e[i]!;
    const b = c * e[i]!;
    r = hypot2(f, g);
    e[i + 1] = r;
    if (r === 0) {
      d[i + 1]! -= p;
      e[m] = 0;
      return;
    }
    s = f / r;
    c = g / r;
    g = d[i + 1]! - p;
    r = (d[i]! - g) * s + 2 * c * b;
    p = s * r;
    d[i + 1] = g + p;
    g = c * r - b;
    if (Z !== undefined) {
      // The eigenvector basis turns with the matrix: rows i and i+1 of Z.
      const ri = i * n;
      const rj = ri + n;
      for (let k = 0; k < n; k++) {
        const zi = Z[ri + k]!;
        const zj = Z[rj + k]!;
        Z[rj + k] = s * zi + c * zj;
        Z[ri + k] = c * zi - s * zj;
      }
    }
  }
  d[l]! -= p;
  e[l] = g;
  e[m] = 0;
}
