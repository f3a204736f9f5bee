/**
 * Test helpers: seeded matrices with known singular values, and an independent
 * high-accuracy reference (one-sided Jacobi SVD, Hestenes 1958; Demmel & Veselić 1992
 * show it is accurate to high relative precision), used for matrices without a known
 * spectrum. Nothing here shares code with src/spectrum.
 */

/** Park–Miller generator, then Box–Muller: reproducible Gaussians. */
export function gaussian(seed: number): () => number {
  let s = seed % 2147483647 || 1;
  const u = () => {
    s = (s * 48271) % 2147483647;
    return s / 2147483647;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Applies k seeded Householder reflectors (I − 2vvᵀ/vᵀv) to the columns of the row-major r×c X from the left. */
function applyRandomOrthogonal(X: Float64Array, r: number, c: number, rnd: () => number): void {
  const v = new Float64Array(r);
  for (let k = 0; k < Math.min(r, 12); k++) {
    let vv = 0;
    for (let i = 0; i < r; i++) {
      v[i] = rnd();
      vv += v[i]! * v[i]!;
    }
    if (vv === 0) continue;
    const f = 2 / vv;
    for (let j = 0; j < c; j++) {
      let dot = 0;
      for (let i = 0; i < r; i++) dot += v[i]! * X[i * c + j]!;
      dot *= f;
      for (let i = 0; i < r; i++) X[i * c + j]! -= dot * v[i]!;
    }
  }
}

/**
 * W = U·diag(σ)·Vᵀ (rows×cols, row-major) with seeded random orthogonal U, V (products of
 * reflectors), so WᵀW has eigenvalues exactly σᵢ² (padded with zeros to min(rows, cols)).
 * rotate = false gives the plain (rectangular) diagonal matrix.
 */
export function withSingularValues(
  rows: number,
  cols: number,
  sigma: readonly number[],
  seed: number,
  rotate = true,
): Float64Array {
  const k = Math.min(rows, cols);
  if (sigma.length !== k) throw new Error('need min(rows, cols) singular values');
  // Start from diag(σ) (rows×cols), then W = U·D·Vᵀ: left-multiply by U, right-multiply by Vᵀ (= left on Wᵀ).
  const D = new Float64Array(rows * cols);
  for (let i = 0; i < k; i++) D[i * cols + i] = sigma[i]!;
  if (!rotate) return D;
  const rnd = gaussian(seed);
  applyRandomOrthogonal(D, rows, cols, rnd);
  const T = new Float64Array(cols * rows);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) T[j * rows + i] = D[i * cols + j]!;
  applyRandomOrthogonal(T, cols, rows, rnd);
  const W = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) W[i * cols + j] = T[j * rows + i]!;
  return W;
}

export function gaussianMatrix(rows: number, cols: number, seed: number): Float64Array {
  const rnd = gaussian(seed);
  const W = new Float64Array(rows * cols);
  for (let i = 0; i < W.length; i++) W[i] = rnd();
  return W;
}

/**
 * Squared singular values of W (ascending, min(rows, cols) of them) by one-sided Jacobi
 * rotations on the columns of W (or of Wᵀ when wide), iterated to orthogonality.
 */
export function jacobiSquaredSingularValues(W: Float64Array, rows: number, cols: number): Float64Array {
  // Work on X with m ≥ n columns-of-length-m layout: cols[j] is a column of length m.
  const tall = rows >= cols;
  const m = tall ? rows : cols;
  const n = tall ? cols : rows;
  const C: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const col = new Float64Array(m);
    for (let i = 0; i < m; i++) col[i] = tall ? W[i * cols + j]! : W[j * cols + i]!;
    C.push(col);
  }
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const a = C[p]!;
        const b = C[q]!;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          alpha += a[i]! * a[i]!;
          beta += b[i]! * b[i]!;
          gamma += a[i]! * b[i]!;
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-17 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = a[i]!;
          const y = b[i]!;
          a[i] = c * x - s * y;
          b[i] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (const x of C[j]!) s += x * x;
    out[j] = s;
  }
  return out.sort();
}

/** max_i |got_i − want_i| / max(want) (0 when both are empty); want need not be sorted. */
export function relativeError(got: Float64Array, want: readonly number[] | Float64Array): number {
  const w = Float64Array.from(want).sort();
  if (got.length !== w.length) return Infinity;
  const lmax = w.length > 0 ? Math.max(Math.abs(w[0]!), Math.abs(w[w.length - 1]!)) : 0;
  let err = 0;
  for (let i = 0; i < w.length; i++) err = Math.max(err, Math.abs(got[i]! - w[i]!));
  return lmax === 0 ? err : err / lmax;
}
