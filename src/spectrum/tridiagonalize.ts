/**
 * Householder reduction of a symmetric matrix to tridiagonal form T = QᵀAQ, unblocked, lower
 * triangle: LAPACK dsytd2 (EISPACK tred1/tred2; Golub & Van Loan, Matrix Computations,
 * 4th ed., §8.3.1). Step k annihilates column k below the subdiagonal with the reflector
 * H_k = I − τ·v·vᵀ of householder.ts (dlarfg, v₀ = 1) and updates the trailing block
 * B ← H_k·B·H_k (symmetric-update.ts, dlarfy), reading and writing only its lower triangle.
 *
 * The one tridiagonal reduction of dense matrices: the one-stage eigenvalue path
 * (eigen.ts), and `--vectors` (vectors/symmetric-eigen.ts), which keeps the reflectors.
 * Large matrices take the two-stage route instead (band-reduce.ts, band-to-tridiagonal.ts).
 */
import { householder } from './householder.js';
import { reflectorCorrection, symvStretch, syr2Stretch } from './symmetric-update.js';
import { type KernelExports, wasmKernels, wasmScratch } from './wasm.js';

/** H_k = I − τ·v·vᵀ acting on indices k+1 … n−1 (v₀ = 1; τ = 0: the identity). */
export interface Reflector {
  readonly v: Float64Array;
  readonly tau: number;
}

export interface Tridiagonal {
  readonly d: Float64Array;
  /** e[i] couples rows i and i+1; e[n−1] = 0. */
  readonly e: Float64Array;
  /** H_0 … H_{n−3}, Q = H_0·H_1 ⋯ H_{n−3}; only when asked for. */
  readonly reflectors?: readonly Reflector[];
}

/**
 * Reduces the symmetric n×n row-major A, of which the lower triangle is read and
 * overwritten. With `keepReflectors`, returns the H_k as well. Without, by the WebAssembly
 * kernel when this thread has it (wasm.ts tridiagonalizeLower: the same operations in the
 * same order, so the same d and e to the bit; 3–4× faster on the small matrices of a model,
 * issue 14).
 */
export function tridiagonalize(A: Float64Array, n: number, keepReflectors = false): Tridiagonal {
  const k = keepReflectors ? undefined : wasmKernels('sync');
  if (k) {
    wasmScratch(k, n * n).set(A.subarray(0, n * n));
    return tridiagonalizeInKernel(k, n);
  }
  return tridiagonalizeTs(A, n, keepReflectors);
}

/**
 * tridiagonalize by the kernel on the n×n matrix at the start of its memory (lower triangle
 * read and overwritten): where gram.ts gramLowerInKernel leaves the Gram product.
 */
export function tridiagonalizeInKernel(k: KernelExports, n: number): Tridiagonal {
  // A, d, e, two steps' v and w, one double for β and four for dot products, in kernel memory.
  const mem = wasmScratch(k, n * n + 6 * n + 5);
  const at = (i: number) => i * 8;
  const nn = n * n;
  const v = at(nn + 2 * n);
  const w = at(nn + 4 * n);
  k.tridiagonalizeLower(0, n, at(nn), at(nn + n), v, w, v + 8 * n, w + 8 * n, at(nn + 6 * n), at(nn + 6 * n + 1));
  const d = mem.slice(nn, nn + n);
  const e = mem.slice(nn + n, nn + 2 * n);
  if (n >= 1) e[n - 1] = 0;
  return { d, e };
}

/** tridiagonalize in TypeScript: the kernel's twin and fallback, and the one that keeps reflectors. */
export function tridiagonalizeTs(A: Float64Array, n: number, keepReflectors = false): Tridiagonal {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const reflectors: Reflector[] = [];
  const out = { beta: 0 };
  const shared = new Float64Array(n);
  const w = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    d[k] = A[k * n + k]!;
    // x = A[k+1:n, k] into v (indexed from o = k+1), then v ← the reflector's vector.
    const o = k + 1;
    const m = n - o;
    const v = keepReflectors ? new Float64Array(m) : shared;
    for (let i = 0; i < m; i++) v[i] = A[(o + i) * n + k]!;
    const tau = householder(v, 0, m, out);
    v[0] = 1;
    e[k] = out.beta;
    if (keepReflectors) reflectors.push({ v, tau });
    if (tau === 0) continue;
    // p = τ·B·v from the lower triangle of B = A[o:, o:] (row i: Σ_{j<i} B_ij v_j to p_i, B_ij v_i to p_j),
    // w = p − (τ/2)(vᵀp)·v, then B ← B − v·wᵀ − w·vᵀ (symmetric-update.ts).
    w.fill(0, 0, m);
    for (let i = 0; i < m; i++) {
      const row = (o + i) * n + o;
      const vi = v[i]!;
      const acc = symvStretch(A, row, v, w, vi, 0, i, 0);
      w[i]! += acc + A[row + i]! * vi;
    }
    reflectorCorrection(v, w, tau, m);
    for (let i = 0; i < m; i++) syr2Stretch(A, (o + i) * n + o, w, v[i]!, v, w[i]!, 0, i + 1);
  }
  if (n >= 2) {
    d[n - 2] = A[(n - 2) * n + (n - 2)]!;
    e[n - 2] = A[(n - 1) * n + (n - 2)]!;
  }
  if (n >= 1) d[n - 1] = A[(n - 1) * n + (n - 1)]!;
  return keepReflectors ? { d, e, reflectors } : { d, e };
}
