/**
 * bidiagonalize.ts (LAPACK dgebd2, row-major) on the N×M matrix A (N ≥ M): every element's
 * update and every sum keep bidiagonalize.ts's operations and order, so d and e are the same
 * to the bit (test/spectrum/singular-values.test.ts, fallback.test.ts).
 *
 * Step k passes twice over the trailing rows: w = τ·Aᵀv (the left reflector's product), then
 * each row's left update, its dot product with the right reflector and its right update.
 * Rows go four at a time: in the first pass w is loaded once for the four rows' terms, added
 * row after row; in the second the left update and the dot products share one sweep along
 * the four rows, and the right updates a second sweep while the rows are still in L1. The
 * former kernel swept each row three times and w once per row.
 * A row whose coefficient is zero is not touched (bidiagonalize.ts skips it: adding a zero
 * term could turn a −0 into +0), so a block with one takes the row-by-row path.
 */

// @ts-nocheck — AssemblyScript, not TypeScript.

import { get, put, axpy, accumulate4, axpy4Nonzero, dotInOrder } from './primitives.as';
import { dot4 } from './dense.as';

/**
 * Bidiagonalises the row-major N×M matrix A (N ≥ M) in place: d (M values) the diagonal,
 * e (M − 1) the superdiagonal. v (N), vr and w (M), s4 (4): scratch.
 */
export function bidiagonalize(
  A: usize,
  N: i32,
  M: i32,
  d: usize,
  e: usize,
  v: usize,
  vr: usize,
  w: usize,
  s4: usize,
): void {
  const ld = <usize>M << 3;
  for (let k = 0; k < M; k++) {
    const c = k + 1;
    const len = M - c;
    const vk = v + (<usize>k << 3);
    const tauL = scaledReflector(A + (<usize>(k * M + k) << 3), M, N - k, vk, d + (<usize>k << 3));
    const wc = w + (<usize>c << 3);
    const rowK = A + (<usize>(k * M + c) << 3);
    if (tauL != 0 && len > 0) {
      // w = τ·Aᵀv over rows k…N−1, then row k updated first: the right reflector reads it.
      leftProduct(A + (<usize>(k * M + c) << 3), ld, k, N, v, wc, len);
      for (let j = 0; j < len; j++) put(wc, j, get(wc, j) * tauL);
      const v0 = get(v, k);
      if (v0 != 0) axpy(rowK, wc, -v0, len);
    }
    const vrc = vr + (<usize>c << 3);
    const tauR = len > 0 ? scaledReflector(rowK, 1, len, vrc, e + (<usize>k << 3)) : 0;
    if (tauL == 0 && tauR == 0) continue;
    // Rows four at a time (the last few one by one): left update, then the right reflector's dot
    // products, each row summed in index order, then the right update.
    let i = c;
    for (; i + 4 <= N; i += 4) {
      const r0 = A + (<usize>(i * M + c) << 3);
      const l0 = tauL != 0 ? get(v, i) : 0;
      const l1 = tauL != 0 ? get(v, i + 1) : 0;
      const l2 = tauL != 0 ? get(v, i + 2) : 0;
      const l3 = tauL != 0 ? get(v, i + 3) : 0;
      if (tauR == 0) {
        axpy4Nonzero(r0, ld, wc, -l0, -l1, -l2, -l3, len);
        continue;
      }
      if (l0 != 0 && l1 != 0 && l2 != 0 && l3 != 0) leftAndDot4(r0, ld, wc, -l0, -l1, -l2, -l3, vrc, len, s4);
      else {
        axpy4Nonzero(r0, ld, wc, -l0, -l1, -l2, -l3, len);
        dot4(r0, ld, vrc, len, s4);
      }
      const s0 = get(s4, 0) * tauR;
      const s1 = get(s4, 1) * tauR;
      const s2 = get(s4, 2) * tauR;
      const s3 = get(s4, 3) * tauR;
      axpy4Nonzero(r0, ld, vrc, -s0, -s1, -s2, -s3, len);
    }
    for (; i < N; i++) {
      const r0 = A + (<usize>(i * M + c) << 3);
      const v0 = tauL != 0 ? get(v, i) : 0;
      if (v0 != 0) axpy(r0, wc, -v0, len);
      if (tauR == 0) continue;
      const s0 = dotInOrder(r0, vrc, len) * tauR;
      if (s0 != 0) axpy(r0, vrc, -s0, len);
    }
  }
}

/**
 * w = Σᵢ vᵢ·A[i, c:] over rows i = k … N−1 (r: row k's column c), each w[j] summed in row
 * order, as row-by-row axpys sum it; rows with vᵢ = 0 add nothing.
 */
function leftProduct(r: usize, ld: usize, k: i32, N: i32, v: usize, w: usize, len: i32): void {
  memory.fill(w, 0, <usize>len << 3);
  let i = k;
  for (; i + 4 <= N; i += 4) {
    const r0 = r + <usize>(i - k) * ld;
    const a0 = get(v, i);
    const a1 = get(v, i + 1);
    const a2 = get(v, i + 2);
    const a3 = get(v, i + 3);
    if (a0 != 0 && a1 != 0 && a2 != 0 && a3 != 0) accumulate4(w, r0, ld, a0, a1, a2, a3, len);
    else {
      if (a0 != 0) axpy(w, r0, a0, len);
      if (a1 != 0) axpy(w, r0 + ld, a1, len);
      if (a2 != 0) axpy(w, r0 + 2 * ld, a2, len);
      if (a3 != 0) axpy(w, r0 + 3 * ld, a3, len);
    }
  }
  for (; i < N; i++) {
    const a = get(v, i);
    if (a != 0) axpy(w, r + <usize>(i - k) * ld, a, len);
  }
}

/**
 * The four rows' left updates x_q += a_q·wc (as axpy), and their dot products with u written
 * to out[0…3] (as dot4: a lane a row, each summed in index order), in one sweep.
 */
function leftAndDot4(
  x: usize,
  ld: usize,
  wc: usize,
  a0: f64,
  a1: f64,
  a2: f64,
  a3: f64,
  u: usize,
  n: i32,
  out: usize,
): void {
  const x1 = x + ld;
  const x2 = x1 + ld;
  const x3 = x2 + ld;
  const b0 = f64x2.splat(a0);
  const b1 = f64x2.splat(a1);
  const b2 = f64x2.splat(a2);
  const b3 = f64x2.splat(a3);
  let s = f64x2.splat(0);
  let t = f64x2.splat(0);
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const off = <usize>j << 3;
    const wp = v128.load(wc + off);
    const p0 = f64x2.add(v128.load(x + off), f64x2.mul(b0, wp));
    const p1 = f64x2.add(v128.load(x1 + off), f64x2.mul(b1, wp));
    const p2 = f64x2.add(v128.load(x2 + off), f64x2.mul(b2, wp));
    const p3 = f64x2.add(v128.load(x3 + off), f64x2.mul(b3, wp));
    v128.store(x + off, p0);
    v128.store(x1 + off, p1);
    v128.store(x2 + off, p2);
    v128.store(x3 + off, p3);
    const u0 = v128.load64_splat(u + off);
    const u1 = v128.load64_splat(u + off + 8);
    s = f64x2.add(s, f64x2.mul(f64x2.shuffle(p0, p1, 0, 2), u0));
    t = f64x2.add(t, f64x2.mul(f64x2.shuffle(p2, p3, 0, 2), u0));
    s = f64x2.add(s, f64x2.mul(f64x2.shuffle(p0, p1, 1, 3), u1));
    t = f64x2.add(t, f64x2.mul(f64x2.shuffle(p2, p3, 1, 3), u1));
  }
  v128.store(out, s);
  v128.store(out + 16, t);
  if (j < n) {
    const wj = get(wc, j);
    const uj = get(u, j);
    const q0 = get(x, j) + a0 * wj;
    const q1 = get(x1, j) + a1 * wj;
    const q2 = get(x2, j) + a2 * wj;
    const q3 = get(x3, j) + a3 * wj;
    put(x, j, q0);
    put(x1, j, q1);
    put(x2, j, q2);
    put(x3, j, q3);
    put(out, 0, get(out, 0) + q0 * uj);
    put(out, 1, get(out, 1) + q1 * uj);
    put(out, 2, get(out, 2) + q2 * uj);
    put(out, 3, get(out, 3) + q3 * uj);
  }
}

/**
 * The scaled reflector of bidiagonalize.ts for the n values at x (stride `stride` doubles),
 * written to u: returns τ (0: no reflection) and stores the bidiagonal value at out.
 */
function scaledReflector(x: usize, stride: i32, n: i32, u: usize, out: usize): f64 {
  let scale: f64 = 0;
  for (let i = 0; i < n; i++) scale = max(scale, abs(get(x, i * stride)));
  if (scale == 0) {
    store<f64>(out, 0);
    return 0;
  }
  let sigma: f64 = 0;
  for (let i = 0; i < n; i++) {
    const y = get(x, i * stride) / scale;
    put(u, i, y);
    sigma += y * y;
  }
  const x0 = get(u, 0);
  const alpha = x0 >= 0 ? -sqrt(sigma) : sqrt(sigma);
  const u0 = x0 - alpha;
  put(u, 0, u0);
  const vtv = sigma - x0 * x0 + u0 * u0;
  store<f64>(out, alpha * scale);
  return vtv == 0 ? 0 : 2 / vtv;
}
