/**
 * tridiagonalize.ts (LAPACK dsytd2) on the symmetric row-major n×n A, lower triangle: the
 * same operations in the same order for every element, so the same d and e to the bit
 * (test/spectrum/tridiagonalize.test.ts, fallback.test.ts).
 *
 * Step k of dsytd2 passes twice over the trailing block B: the product p = B·v, then the
 * rank-two update B −= w·vᵀ + v·wᵀ. Here the update of step k and the product of step k+1
 * share one pass (the look-ahead of the fused GPU tridiagonalisations, e.g. Tomov, Nath &
 * Dongarra, Parallel Computing 36 (2010)): step k+1's reflector needs only the first column
 * of the updated block, which is updated first; then each row is updated and, while it is
 * still in cache, enters step k+1's product. Each element's update and each sum keep their
 * operations and order; only the time at which a row is visited changes.
 */

// @ts-nocheck — AssemblyScript, not TypeScript.

import { get, put, axpy, rank2, dlarfg } from './primitives.as';
import { dot4 } from './dense.as';

/**
 * d (n) and e (n, e[n−1] = 0) out; A's lower triangle is overwritten. v, w, v2, w2 (n each),
 * s1 (1) and s4 (4): scratch.
 */
export function tridiagonalizeLower(
  A: usize,
  n: i32,
  d: usize,
  e: usize,
  v0: usize,
  w0: usize,
  v2: usize,
  w2: usize,
  s1: usize,
  s4: usize,
): void {
  const ld = <usize>n << 3;
  let v = v0;
  let w = w0;
  let vn = v2;
  let wn = w2;
  let tau: f64 = 0;
  if (n > 2) {
    tau = reflector(A, ld, n, 0, d, e, v, s1);
    if (tau != 0) product(A + ld + 8, ld, n - 1, v, w, s4);
  }
  for (let k = 0; k < n - 2; k++) {
    const o = k + 1;
    const m = n - o;
    const b0 = A + <usize>o * ld + (<usize>o << 3);
    if (tau != 0) correction(v, w, tau, m);
    if (k + 1 == n - 2) {
      // The last step: no product follows.
      if (tau != 0) for (let i = 0; i < m; i++) rank2(b0 + <usize>i * ld, w, v, get(v, i), get(w, i), i + 1);
      break;
    }
    // Column 0 of the updated block first: step k+1's reflector is made from it.
    if (tau != 0) {
      const w0v = get(w, 0);
      const v0v = get(v, 0);
      for (let i = 0; i < m; i++) {
        const p = b0 + <usize>i * ld;
        store<f64>(p, load<f64>(p) - (w0v * get(v, i) + v0v * get(w, i)));
      }
    }
    const next = reflector(A, ld, n, o, d, e, vn, s1);
    if (tau != 0 && next != 0) updateAndProduct(b0, ld, m, v, w, vn, wn, s4);
    else if (tau != 0) {
      for (let i = 1; i < m; i++) rank2(b0 + <usize>i * ld + 8, w + 8, v + 8, get(v, i), get(w, i), i);
    } else if (next != 0) product(b0 + ld + 8, ld, m - 1, vn, wn, s4);
    const tv = v;
    v = vn;
    vn = tv;
    const tw = w;
    w = wn;
    wn = tw;
    tau = next;
  }
  if (n >= 2) {
    put(d, n - 2, load<f64>(A + <usize>(n - 2) * ld + (<usize>(n - 2) << 3)));
    put(e, n - 2, load<f64>(A + <usize>(n - 1) * ld + (<usize>(n - 2) << 3)));
  }
  if (n >= 1) put(d, n - 1, load<f64>(A + <usize>(n - 1) * ld + (<usize>(n - 1) << 3)));
}

/** Step k's diagonal to d[k], its reflector of column k below it to v (v₀ = 1), β to e[k]; returns τ. */
function reflector(A: usize, ld: usize, n: i32, k: i32, d: usize, e: usize, v: usize, s1: usize): f64 {
  put(d, k, load<f64>(A + <usize>k * ld + (<usize>k << 3)));
  const o = k + 1;
  const m = n - o;
  for (let i = 0; i < m; i++) put(v, i, load<f64>(A + <usize>(o + i) * ld + (<usize>k << 3)));
  const tau = dlarfg(v, m, s1);
  put(v, 0, 1);
  put(e, k, load<f64>(s1));
  return tau;
}

/**
 * w = B·v from the lower triangle of the m×m block B at b0: row i's dot product in order, and
 * its entries times v_i added to w (tridiagonalize.ts, symvStretch).
 */
function product(b0: usize, ld: usize, m: i32, v: usize, w: usize, s4: usize): void {
  memory.fill(w, 0, <usize>m << 3);
  let i = 0;
  for (; i + 4 <= m; i += 4) productRows4(b0 + <usize>i * ld, ld, i, v, w, s4);
  for (; i < m; i++) productRow(b0 + <usize>i * ld, i, v, w);
}

/**
 * Step k's update of the m×m block at b0 (its column 0 already done) and step k+1's product
 * w2 = B'·v2 over B' = B[1:, 1:], row after row: rows four at a time, as product() takes them.
 */
function updateAndProduct(
  b0: usize,
  ld: usize,
  m: i32,
  v: usize,
  w: usize,
  v2: usize,
  w2: usize,
  s4: usize,
): void {
  const m2 = m - 1;
  const c0 = b0 + ld + 8;
  memory.fill(w2, 0, <usize>m2 << 3);
  let i = 0;
  for (; i + 4 <= m2; i += 4) updateAndProductRows4(c0 + <usize>i * ld, ld, i, v, w, v2, w2, s4);
  for (; i < m2; i++) {
    const q = i + 1;
    rank2(b0 + <usize>q * ld + 8, w + 8, v + 8, get(v, q), get(w, q), q);
    productRow(c0 + <usize>i * ld, i, v2, w2);
  }
}

/**
 * Rows i … i+3 of B' (r0: row i): step k's update of each element, then at once its terms in
 * step k+1's product, as productRows4 adds them (v, w: step k's, indexed in B, one row and
 * column before B'; v2, w2: step k+1's).
 */
function updateAndProductRows4(
  r0: usize,
  ld: usize,
  i: i32,
  v: usize,
  w: usize,
  v2: usize,
  w2: usize,
  s4: usize,
): void {
  const r1 = r0 + ld;
  const r2 = r1 + ld;
  const r3 = r2 + ld;
  // rank2's coefficients for the four rows (B rows i+1 … i+4), and their v2 for the product.
  const x0 = f64x2.splat(get(v, i + 1));
  const y0 = f64x2.splat(get(w, i + 1));
  const x1 = f64x2.splat(get(v, i + 2));
  const y1 = f64x2.splat(get(w, i + 2));
  const x2 = f64x2.splat(get(v, i + 3));
  const y2 = f64x2.splat(get(w, i + 3));
  const x3 = f64x2.splat(get(v, i + 4));
  const y3 = f64x2.splat(get(w, i + 4));
  const n0 = f64x2.splat(get(v2, i));
  const n1 = f64x2.splat(get(v2, i + 1));
  const n2 = f64x2.splat(get(v2, i + 2));
  const n3 = f64x2.splat(get(v2, i + 3));
  const wk = w + 8;
  const vk = v + 8;
  let a = f64x2.splat(0);
  let b = f64x2.splat(0);
  let t = 0;
  for (; t + 2 <= i; t += 2) {
    const off = <usize>t << 3;
    const wp = v128.load(wk + off);
    const vp = v128.load(vk + off);
    const p0 = f64x2.sub(v128.load(r0 + off), f64x2.add(f64x2.mul(wp, x0), f64x2.mul(vp, y0)));
    const p1 = f64x2.sub(v128.load(r1 + off), f64x2.add(f64x2.mul(wp, x1), f64x2.mul(vp, y1)));
    const p2 = f64x2.sub(v128.load(r2 + off), f64x2.add(f64x2.mul(wp, x2), f64x2.mul(vp, y2)));
    const p3 = f64x2.sub(v128.load(r3 + off), f64x2.add(f64x2.mul(wp, x3), f64x2.mul(vp, y3)));
    v128.store(r0 + off, p0);
    v128.store(r1 + off, p1);
    v128.store(r2 + off, p2);
    v128.store(r3 + off, p3);
    // dot4's sums: a lane a row, each in index order.
    const u0 = v128.load64_splat(v2 + off);
    const u1 = v128.load64_splat(v2 + off + 8);
    a = f64x2.add(a, f64x2.mul(f64x2.shuffle(p0, p1, 0, 2), u0));
    b = f64x2.add(b, f64x2.mul(f64x2.shuffle(p2, p3, 0, 2), u0));
    a = f64x2.add(a, f64x2.mul(f64x2.shuffle(p0, p1, 1, 3), u1));
    b = f64x2.add(b, f64x2.mul(f64x2.shuffle(p2, p3, 1, 3), u1));
    // axpy's terms of w2, row after row.
    let y = v128.load(w2 + off);
    y = f64x2.add(y, f64x2.mul(n0, p0));
    y = f64x2.add(y, f64x2.mul(n1, p1));
    y = f64x2.add(y, f64x2.mul(n2, p2));
    y = f64x2.add(y, f64x2.mul(n3, p3));
    v128.store(w2 + off, y);
  }
  v128.store(s4, a);
  v128.store(s4 + 16, b);
  // The rest of each row (an odd column, then the triangle up to the diagonal), row by row.
  for (let q = 0; q < 4; q++) {
    const row = r0 + <usize>q * ld;
    const iB = i + 1 + q;
    const vq = get(v, iB);
    const wq = get(w, iB);
    for (let c = t; c <= i + q; c++) put(row, c, get(row, c) - (get(wk, c) * vq + get(vk, c) * wq));
    let acc = get(s4, q);
    for (let c = t; c < i + q; c++) acc += get(row, c) * get(v2, c);
    const vi = get(v2, i + q);
    for (let c = t; c < i + q; c++) put(w2, c, get(w2, c) + vi * get(row, c));
    put(w2, i + q, get(w2, i + q) + (acc + get(row, i + q) * vi));
  }
}

/**
 * Rows i … i+3 of the product (r0: row i): four rows' dot products side by side (a lane
 * each, each summed in order), then each row's update of w in row order, as one row after
 * the other would make them.
 */
function productRows4(r0: usize, ld: usize, i: i32, v: usize, w: usize, s4: usize): void {
  dot4(r0, ld, v, i, s4);
  for (let q = 0; q < 4; q++) {
    const row = r0 + <usize>q * ld;
    let acc = get(s4, q);
    for (let t = i; t < i + q; t++) acc += get(row, t) * get(v, t);
    const vi = get(v, i + q);
    axpy(w, row, vi, i + q); // symvStretch's w[t] += A[t]·v_i
    put(w, i + q, get(w, i + q) + (acc + get(row, i + q) * vi));
  }
}

/** Row i of the product, alone. */
function productRow(row: usize, i: i32, v: usize, w: usize): void {
  const vi = get(v, i);
  let acc: f64 = 0;
  for (let t = 0; t < i; t++) acc += get(row, t) * get(v, t);
  axpy(w, row, vi, i);
  put(w, i, get(w, i) + (acc + get(row, i) * vi));
}

/** symmetric-update.ts reflectorCorrection: w ← τ·w − ½τ(vᵀ·τw)·v. */
function correction(v: usize, w: usize, tau: f64, m: i32): void {
  let vtp: f64 = 0;
  for (let i = 0; i < m; i++) {
    const wi = get(w, i) * tau;
    put(w, i, wi);
    vtp += get(v, i) * wi;
  }
  axpy(w, v, -(0.5 * tau * vtp), m);
}
