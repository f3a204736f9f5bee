/**
 * The accurate-rank route as it was before issue 14 (kept as the oracle of
 * test/spectrum/bidiagonalize.test.ts): unfused, three passes a step, plain TypeScript.
 *
 * Singular values of a dense matrix with absolute accuracy ε·σ_max, for the cases the Gram
 * route cannot resolve: eigenvalues of WᵀW carry absolute errors ~M·ε·λ_max, so singular
 * values below ~1e-8·σ_max are noise there, and the numerical rank #(σ > σ_max·N·ε₆₄)
 * (DESIGN.md §3.3, numpy's matrix_rank) cannot be decided from them.
 *
 * Method: Householder bidiagonalisation A = U·B·Vᵀ (Golub & Kahan 1965; Golub & Van Loan
 * §5.4.8), then the eigenvalues of the 2M×2M Golub–Kahan tridiagonal matrix, which has a
 * zero diagonal and off-diagonal (d₁, e₁, d₂, e₂, …, d_M); its eigenvalues are ±σᵢ, and
 * implicit QL finds them with absolute error O(ε·‖B‖). Cost ≈ 4NM² − 4M³/3 flops, about
 * twice the Gram route, so it runs only where needed.
 */
import { tridiagonalQl } from '../../src/spectrum/tridiagonal-ql.js';

/** Ascending σᵢ² of the row-major rows×cols matrix W (min(rows, cols) values). W is not modified. */
export function unfusedSquaredSingularValues(W: Float64Array, rows: number, cols: number): Float64Array {
  // Work on A (N×M, N ≥ M), row-major: W itself or its transpose.
  const N = Math.max(rows, cols);
  const M = Math.min(rows, cols);
  const A = new Float64Array(N * M);
  if (rows >= cols) A.set(W);
  else for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) A[j * M + i] = W[i * cols + j]!;

  const d = new Float64Array(M);
  const e = new Float64Array(M); // e[k] couples d[k] and d[k+1]
  const v = new Float64Array(N);
  const w = new Float64Array(M);
  for (let k = 0; k < M; k++) {
    // Left reflection: zero A[k+1:N, k].
    d[k] = reflect(A, M, k, N, k, true, v, w);
    if (k < M - 1) {
      // Right reflection: zero A[k, k+2:M].
      e[k] = reflect(A, M, k, M, k + 1, false, v, w);
    }
  }
  // Golub–Kahan tridiagonal: off-diagonal (d0, e0, d1, e1, …, d_{M−1}), zero diagonal.
  const size = 2 * M;
  const ev = new Float64Array(size);
  const off = new Float64Array(size); // off[i] couples i and i+1
  for (let k = 0; k < M; k++) {
    off[2 * k] = d[k]!;
    if (2 * k + 1 < size - 1) off[2 * k + 1] = e[k]!;
  }
  tridiagonalQl(ev, off);
  ev.sort();
  const out = new Float64Array(M);
  for (let i = 0; i < M; i++) {
    const s = Math.abs(ev[size - M + i]!);
    out[i] = s * s;
  }
  return out.sort();
}

/**
 * Applies one Householder reflection to the N×M row-major matrix A and returns the value it
 * leaves on the bidiagonal.
 *  - left (column k, rows k..N−1): A[k:, k:] ← (I − τvvᵀ)·A[k:, k:];
 *  - right (row k, columns c..M−1 with c = k+1): A[k:, c:] ← A[k:, c:]·(I − τvvᵀ).
 * Rows are traversed contiguously in both cases.
 */
function reflect(
  A: Float64Array,
  M: number,
  k: number,
  end: number,
  c: number,
  left: boolean,
  v: Float64Array,
  w: Float64Array,
): number {
  const N = A.length / M;
  // x: the entries to reduce. This route keeps its own reflector, the scaled form of Golub &
  // Van Loan Alg. 5.1.1 (v = x/‖x‖∞ − α e₁, τ = 2/vᵀv), not householder.ts's dlarfg: on a
  // 12×10 matrix spanning 1e38 (a fuzz case) dlarfg's v = x/(α − β) left a Golub–Kahan
  // matrix whose QL did not converge, which this form never did.
  const at = (i: number) => (left ? i * M + k : k * M + i);
  let scale = 0;
  for (let i = c; i < end; i++) scale = Math.max(scale, Math.abs(A[at(i)]!));
  if (scale === 0) return 0;
  let sigma = 0;
  for (let i = c; i < end; i++) {
    const x = A[at(i)]! / scale;
    v[i] = x;
    sigma += x * x;
  }
  const x0 = v[c]!;
  const alpha = x0 >= 0 ? -Math.sqrt(sigma) : Math.sqrt(sigma);
  v[c] = x0 - alpha;
  const vtv = sigma - x0 * x0 + v[c]! * v[c]!;
  if (vtv === 0) return alpha * scale;
  const tau = 2 / vtv;
  if (left) {
    // w[j] = τ Σ_i v_i A[i, j] for j > k; then A[i, j] −= v_i w[j].
    for (let j = k + 1; j < M; j++) w[j] = 0;
    for (let i = c; i < end; i++) {
      const vi = v[i]!;
      if (vi === 0) continue;
      const row = i * M;
      for (let j = k + 1; j < M; j++) w[j]! += vi * A[row + j]!;
    }
    for (let j = k + 1; j < M; j++) w[j]! *= tau;
    for (let i = c; i < end; i++) {
      const vi = v[i]!;
      if (vi === 0) continue;
      const row = i * M;
      for (let j = k + 1; j < M; j++) A[row + j]! -= vi * w[j]!;
    }
    for (let i = c; i < end; i++) A[i * M + k] = 0;
  } else {
    // For each row i > k: s = A[i, c:]·v; A[i, c:] −= τ s vᵀ.
    for (let i = k + 1; i < N; i++) {
      const row = i * M;
      let s = 0;
      for (let j = c; j < end; j++) s += A[row + j]! * v[j]!;
      s *= tau;
      if (s === 0) continue;
      for (let j = c; j < end; j++) A[row + j]! -= s * v[j]!;
    }
    for (let j = c; j < end; j++) A[k * M + j] = 0;
  }
  return alpha * scale;
}
