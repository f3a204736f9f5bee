/**
 * Eigenvalues of a symmetric tridiagonal matrix by the implicit QL method with Wilkinson
 * shifts and explicit square roots (Golub & Van Loan §8.3; EISPACK tql1). `d` is the
 * diagonal, `e[i]` (i ≥ 1) the sub-diagonal entry coupling i−1 and i. Both are
 * overwritten; the result is d, ascending.
 *
 * Kept beside the faster root-free (Pal–Walker–Kahan) QL of tridiagonal-eigenvalues.ts for
 * the Golub–Kahan matrices of singular-values.ts: those have a zero diagonal and eigenvalues
 * ±σ, and working with e² (root-free) deflates σ ≲ √ε·σ_max to zero, which is exactly the
 * range that route exists to resolve.
 */
export function implicitQlEigenvalues(d: Float64Array, eIn: Float64Array): Float64Array {
  const n = d.length;
  // Work with e[i] coupling i and i+1.
  const e = new Float64Array(n);
  for (let i = 1; i < n; i++) e[i - 1] = eIn[i]!;
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
      let r = Math.hypot(g, 1);
      g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      let deflated = false;
      for (; i >= l; i--) {
        const f = s * e[i]!;
        const b = c * e[i]!;
        r = Math.hypot(f, g);
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
  return d.sort();
}
