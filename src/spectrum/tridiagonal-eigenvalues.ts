/**
 * Eigenvalues of a symmetric tridiagonal matrix by the implicit QL method with Wilkinson
 * shifts (Golub & Van Loan §8.3.5; EISPACK tql1). `d` is the diagonal, `e[i]` the
 * off-diagonal entry coupling i and i+1 (e[n−1] unused). Both are overwritten; the result
 * is d, sorted ascending.
 *
 * The matrix is first scaled so that its largest entry is 1: rotations can then form
 * √(f²+g²) directly (Math.hypot is several times slower in V8) without overflow, and
 * the rare underflowing case falls back to hypot.
 */
export function tridiagonalEigenvalues(d: Float64Array, e: Float64Array): Float64Array {
  const n = d.length;
  if (n === 0) return d;
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(d[i]!), i < n - 1 ? Math.abs(e[i]!) : 0);
  if (!Number.isFinite(scale)) throw new RangeError('the matrix has non-finite values (NaN or ±Infinity in W, or its Gram matrix overflows)');
  if (scale === 0) return d.sort();
  const inv = 1 / scale;
  for (let i = 0; i < n; i++) {
    d[i]! *= inv;
    e[i]! *= inv;
  }
  e[n - 1] = 0;
  const maxSweeps = 60 * Math.max(1, n);
  let sweeps = 0;
  for (let l = 0; l < n; l++) {
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]!) + Math.abs(d[m + 1]!);
        if (Math.abs(e[m]!) <= Number.EPSILON * dd) break;
      }
      if (m === l) break;
      if (++sweeps > maxSweeps) throw new Error(`tridiagonal QL did not converge in ${maxSweeps} sweeps`);
      let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
      let r = rad(g, 1);
      g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      let deflated = false;
      for (; i >= l; i--) {
        const f = s * e[i]!;
        const b = c * e[i]!;
        r = rad(f, g);
        e[i + 1] = r;
        if (r === 0) {
          // Underflow: the matrix splits here; restart the sweep on the smaller block.
          d[i + 1]! -= p;
          e[m] = 0;
          deflated = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1]! - p;
        r = (d[i]! - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
      }
      if (deflated) continue;
      d[l]! -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
  for (let i = 0; i < n; i++) d[i]! *= scale;
  return d.sort();
}

/** √(a²+b²), with hypot only when the squares could underflow (or overflow, for |g| huge). */
function rad(a: number, b: number): number {
  const s = a * a + b * b;
  if (s > 1e-290 && s < 1e290) return Math.sqrt(s);
  return Math.hypot(a, b);
}
