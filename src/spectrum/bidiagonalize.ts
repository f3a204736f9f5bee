/**
 * Householder bidiagonalisation A = U·B·Vᵀ of a row-major N×M matrix (N ≥ M), B upper
 * bidiagonal (Golub & Kahan 1965; Golub & Van Loan §5.4.8; LAPACK dgebd2), for the
 * accurate-rank route (singular-values.ts). Cost ≈ 4NM² − 4M³/3 flops.
 *
 * Step k reflects column k from the left (rows k…N−1), then row k from the right (columns
 * k+1…M−1). Both updates of the trailing matrix run in one pass over its rows: row k is
 * updated first (the right reflector is formed from it), then each row i > k gets the left
 * rank-1 update and, while in cache, the right one. Two passes a step instead of three, all
 * contiguous. The arithmetic is the unfused loop's, element for element.
 *
 * The reflector is the scaled form of Golub & Van Loan Alg. 5.1.1 (v = x/‖x‖∞ − α e₁,
 * τ = 2/vᵀv), not householder.ts's dlarfg: on a 12×10 matrix spanning 1e38 (a fuzz case)
 * dlarfg's v = x/(α − β) left a Golub–Kahan matrix whose QL did not converge, which this
 * form never did.
 *
 * wasm/kernels.as.ts has the same routine in WebAssembly SIMD (bidiagonalize); this is its
 * declared fallback (wasm.ts). Both do the same operations in the same order (the kernel's
 * dot products run two rows at a time, one per lane, each summed in index order), so their
 * results are identical, and identical to the unfused route's before issue 14.
 */

/**
 * Bidiagonalises A (row-major N×M, N ≥ M, overwritten): returns the diagonal d (M values)
 * and the superdiagonal e (e[k] couples d[k] and d[k+1]; e[M−1] = 0).
 */
export function bidiagonalize(A: Float64Array, N: number, M: number): { d: Float64Array; e: Float64Array } {
  const d = new Float64Array(M);
  const e = new Float64Array(M);
  const v = new Float64Array(N);
  const vr = new Float64Array(M);
  const w = new Float64Array(M);
  const out = new Float64Array(1);
  for (let k = 0; k < M; k++) {
    const c = k + 1;
    const tauL = reflector(A, k * M + k, M, N - k, v, k, out);
    d[k] = out[0]!;
    if (tauL !== 0 && c < M) {
      // w = τ·Aᵀv over rows k…N−1; then row k, which the right reflector is formed from.
      for (let j = c; j < M; j++) w[j] = 0;
      for (let i = k; i < N; i++) {
        const vi = v[i]!;
        if (vi === 0) continue;
        const row = i * M;
        for (let j = c; j < M; j++) w[j]! += vi * A[row + j]!;
      }
      for (let j = c; j < M; j++) w[j]! *= tauL;
      const vk = v[k]!;
      if (vk !== 0) for (let j = c; j < M; j++) A[k * M + j]! -= vk * w[j]!;
    }
    let tauR = 0;
    if (c < M) {
      tauR = reflector(A, k * M + c, 1, M - c, vr, c, out);
      e[k] = out[0]!;
    }
    if (tauL === 0 && tauR === 0) continue;
    for (let i = c; i < N; i++) {
      const row = i * M;
      const vi = tauL !== 0 ? v[i]! : 0;
      if (vi !== 0) for (let j = c; j < M; j++) A[row + j]! -= vi * w[j]!;
      if (tauR === 0) continue;
      let s = 0;
      for (let j = c; j < M; j++) s += A[row + j]! * vr[j]!;
      s *= tauR;
      if (s === 0) continue;
      for (let j = c; j < M; j++) A[row + j]! -= s * vr[j]!;
    }
  }
  return { d, e };
}

/**
 * The scaled reflector for the n values A[at + i·stride]: u[from + i] gets v, out[0] the
 * value left on the bidiagonal (α·‖x‖∞); returns τ, or 0 when there is nothing to reflect.
 */
function reflector(
  A: Float64Array,
  at: number,
  stride: number,
  n: number,
  u: Float64Array,
  from: number,
  out: Float64Array,
): number {
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(A[at + i * stride]!));
  if (scale === 0) {
    out[0] = 0;
    return 0;
  }
  let sigma = 0;
  for (let i = 0; i < n; i++) {
    const x = A[at + i * stride]! / scale;
    u[from + i] = x;
    sigma += x * x;
  }
  const x0 = u[from]!;
  const alpha = x0 >= 0 ? -Math.sqrt(sigma) : Math.sqrt(sigma);
  u[from] = x0 - alpha;
  const vtv = sigma - x0 * x0 + u[from]! * u[from]!;
  out[0] = alpha * scale;
  return vtv === 0 ? 0 : 2 / vtv;
}
