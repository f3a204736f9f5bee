/**
 * The two-sided application of a Householder reflector to a symmetric matrix, B ← H·B·H with
 * H = I − τ·v·vᵀ, as LAPACK dlarfy does it: p = τ·B·v (dsymv), w = p − (τ/2)(vᵀp)·v, then
 * B ← B − v·wᵀ − w·vᵀ (dsyr2); Golub & Van Loan, Matrix Computations, 4th ed., §8.3.1. Only
 * one triangle of B is stored, so the callers walk it in their own layout (tridiagonalize.ts:
 * dense rows of the lower triangle; band-to-tridiagonal.ts: band columns) and hand these
 * kernels one contiguous stretch at a time. wasm/kernels.as.ts has them as dotAxpy and rank2.
 */

/**
 * One stretch of B·v from a stored triangle: returns acc + Σ_t A[off+t]·v[t] (summed in
 * order) and adds A[off+t]·c to w[t], for t = from … to−1 (c: the v entry of the stretch's
 * row, which by symmetry also meets each A[off+t] in column t).
 */
export function symvStretch(
  A: Float64Array,
  off: number,
  v: Float64Array,
  w: Float64Array,
  c: number,
  from: number,
  to: number,
  acc: number,
): number {
  for (let t = from; t < to; t++) {
    const a = A[off + t]!;
    acc += a * v[t]!;
    w[t]! += a * c;
  }
  return acc;
}

/** p = w (B·v on entry) becomes w = τ·p − (τ/2)(vᵀ·τp)·v, over indices 0 … m−1. */
export function reflectorCorrection(v: Float64Array, w: Float64Array, tau: number, m: number): void {
  let vtp = 0;
  for (let i = 0; i < m; i++) {
    w[i]! *= tau;
    vtp += v[i]! * w[i]!;
  }
  const K = 0.5 * tau * vtp;
  for (let i = 0; i < m; i++) w[i]! -= K * v[i]!;
}

/** One stretch of the rank-2 update: A[off+t] −= a[t]·α + b[t]·β for t = from … to−1. */
export function syr2Stretch(
  A: Float64Array,
  off: number,
  a: Float64Array,
  alpha: number,
  b: Float64Array,
  beta: number,
  from: number,
  to: number,
): void {
  for (let t = from; t < to; t++) A[off + t]! -= a[t]! * alpha + b[t]! * beta;
}
