/**
 * Householder reduction of a symmetric matrix to tridiagonal form, eigenvalues only
 * (Golub & Van Loan, Matrix Computations, §8.3.1). Reads and overwrites the lower triangle
 * of the row-major n×n matrix A. Returns the diagonal d and the off-diagonal e (e[i] couples
 * rows i and i+1, e[n−1] = 0).
 */
export function tridiagonalize(A: Float64Array, n: number): { d: Float64Array; e: Float64Array } {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    // Column k below the diagonal: x = A[k+1:n, k].
    let scale = 0;
    for (let i = k + 1; i < n; i++) scale += Math.abs(A[i * n + k]!);
    d[k] = A[k * n + k]!;
    if (scale === 0) {
      e[k] = 0;
      continue;
    }
    // Scale to avoid overflow/underflow in the norm.
    let sigma = 0;
    for (let i = k + 1; i < n; i++) {
      const x = A[i * n + k]! / scale;
      v[i] = x;
      sigma += x * x;
    }
    const x0 = v[k + 1]!;
    const alpha = x0 >= 0 ? -Math.sqrt(sigma) : Math.sqrt(sigma);
    e[k] = alpha * scale;
    v[k + 1] = x0 - alpha;
    const vtv = sigma - x0 * x0 + v[k + 1]! * v[k + 1]!;
    if (vtv === 0) continue;
    const tau = 2 / vtv;
    // p = tau · A22 · v using the lower triangle of A22 = A[k+1:, k+1:].
    for (let i = k + 1; i < n; i++) w[i] = 0;
    for (let i = k + 1; i < n; i++) {
      const row = i * n;
      const vi = v[i]!;
      let acc = 0;
      for (let j = k + 1; j < i; j++) {
        const a = A[row + j]!;
        acc += a * v[j]!;
        w[j]! += a * vi;
      }
      w[i]! += acc + A[row + i]! * vi;
    }
    let vtp = 0;
    for (let i = k + 1; i < n; i++) {
      w[i]! *= tau;
      vtp += v[i]! * w[i]!;
    }
    // w = p − (tau/2)(vᵀp) v, then A22 ← A22 − v wᵀ − w vᵀ.
    const K = 0.5 * tau * vtp;
    for (let i = k + 1; i < n; i++) w[i]! -= K * v[i]!;
    for (let i = k + 1; i < n; i++) {
      const row = i * n;
      const vi = v[i]!;
      const wi = w[i]!;
      for (let j = k + 1; j <= i; j++) A[row + j]! -= vi * w[j]! + wi * v[j]!;
    }
  }
  if (n >= 2) {
    d[n - 2] = A[(n - 2) * n + (n - 2)]!;
    e[n - 2] = A[(n - 1) * n + (n - 2)]!;
  }
  if (n >= 1) d[n - 1] = A[(n - 1) * n + (n - 1)]!;
  return { d, e };
}
