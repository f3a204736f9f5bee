/**
 * The bulge-chasing kernels: bandToTridiagonal (band-to-tridiagonal.ts, lower band, column j
 * at band + j·ld·8) and bandToBidiagonal (band-to-bidiagonal.ts, upper band stored by rows).
 */

// @ts-nocheck — AssemblyScript, not TypeScript.

import { get, put, axpy, accumulate4, axpy4, axpy4Nonzero, dot, dot4Lanes, dotAxpy, rank2, reflector, dlarfg } from './primitives.as';

/** D ← H·D·H for the symmetric len×len diagonal block at (s, s). */
function twoSided(band: usize, ld: i32, s: i32, len: i32, v: usize, tau: f64, w: usize): void {
  memory.fill(w, 0, <usize>len << 3);
  for (let q = 0; q < len; q++) {
    const col = band + (<usize>((s + q) * ld - q) << 3);
    const vq = get(v, q);
    let acc = get(col, q) * vq;
    const o = <usize>(q + 1) << 3;
    acc += dotAxpy(col + o, v + o, w + o, vq, len - q - 1);
    put(w, q, get(w, q) + acc);
  }
  let wv: f64 = 0;
  for (let q = 0; q < len; q++) {
    const t = get(w, q) * tau;
    put(w, q, t);
    wv += t * get(v, q);
  }
  const alpha = 0.5 * tau * wv;
  axpy(w, v, -alpha, len);
  for (let q = 0; q < len; q++) {
    const col = band + (<usize>((s + q) * ld - q) << 3);
    const o = <usize>q << 3;
    rank2(col + o, v + o, w + o, get(w, q), get(v, q), len - q);
  }
}

/** Band (half-width b, column stride ld) → tridiagonal, in place: d = band[j·ld], e = band[j·ld+1]. */
export function bandToTridiagonal(n: i32, b: i32, ld: i32, band: usize, v: usize, v2: usize, w: usize, x: usize): void {
  if (b < 2) return;
  for (let i = 0; i < n - 2; i++) {
    let len = min(b, n - 1 - i);
    if (len < 2) continue;
    let tau = reflector(band + (<usize>(i * ld + 1) << 3), len, v);
    let s = i + 1;
    let cur = v;
    let nxt = v2;
    while (true) {
      if (tau != 0) twoSided(band, ld, s, len, cur, tau, w);
      const p0 = s + len;
      const nb = min(b, n - p0);
      if (nb <= 0) break;
      // Column q of B = A[p0 : p0+nb, s : s+len] is contiguous, and the next one (ld − 1)
      // doubles further: four columns go at a time, each with its own terms in its order.
      const b0 = band + (<usize>(s * ld + len) << 3);
      const step = <usize>(ld - 1) << 3;
      if (tau != 0) {
        // B ← B·H: x = B·v, then column q −= τ·v_q·x (a zero v_q leaves its column as it is).
        memory.fill(x, 0, <usize>nb << 3);
        let q = 0;
        for (; q + 4 <= len; q += 4) {
          const g = cur + (<usize>q << 3);
          accumulate4(x, b0 + <usize>q * step, step, get(g, 0), get(g, 1), get(g, 2), get(g, 3), nb);
        }
        for (; q < len; q++) axpy(x, b0 + <usize>q * step, get(cur, q), nb);
        for (q = 0; q + 4 <= len; q += 4) {
          const g = cur + (<usize>q << 3);
          const v0 = get(g, 0);
          const v1 = get(g, 1);
          const v2 = get(g, 2);
          const v3 = get(g, 3);
          const c = b0 + <usize>q * step;
          // Keyed on v_q as the one-column loop below is, not on −τ·v_q (axpy4Nonzero's key).
          if (v0 != 0 && v1 != 0 && v2 != 0 && v3 != 0) {
            axpy4(c, step, x, -tau * v0, -tau * v1, -tau * v2, -tau * v3, nb);
          } else {
            if (v0 != 0) axpy(c, x, -tau * v0, nb);
            if (v1 != 0) axpy(c + step, x, -tau * v1, nb);
            if (v2 != 0) axpy(c + 2 * step, x, -tau * v2, nb);
            if (v3 != 0) axpy(c + 3 * step, x, -tau * v3, nb);
          }
        }
        for (; q < len; q++) {
          const vq = get(cur, q);
          if (vq != 0) axpy(b0 + <usize>q * step, x, -tau * vq, nb);
        }
      }
      const tau2 = reflector(b0, nb, nxt);
      if (tau2 != 0) {
        // Columns 1 … len−1 of B ← H₂·B: each column's d = τ₂·(v₂·col), then col −= d·v₂.
        let q = 1;
        for (; q + 4 <= len; q += 4) {
          const c = b0 + <usize>q * step;
          // x is free once B·H is done; it has room for four (b ≥ 5 here, and 8 spare doubles).
          dot4Lanes(c, step, nxt, nb, x);
          const d0 = get(x, 0) * tau2;
          const d1 = get(x, 1) * tau2;
          const d2 = get(x, 2) * tau2;
          const d3 = get(x, 3) * tau2;
          axpy4Nonzero(c, step, nxt, -d0, -d1, -d2, -d3, nb);
        }
        for (; q < len; q++) {
          const col = b0 + <usize>q * step;
          const d = dot(nxt, col, nb) * tau2;
          if (d != 0) axpy(col, nxt, -d, nb);
        }
      }
      s = p0;
      len = nb;
      tau = tau2;
      const t = cur;
      cur = nxt;
      nxt = t;
    }
  }
}

/**
 * The right reflector (v, τ) on `rows` row stretches p, p + step, …: each row x −= (τ·(x·v))·v,
 * its dot product as `dot` sums it (even and odd terms a lane each). Four rows side by side.
 */
function rightRows(p: usize, step: usize, rows: i32, v: usize, tau: f64, len: i32): void {
  let r = 0;
  const odd = len & 1;
  const even = len - odd;
  for (; r + 4 <= rows; r += 4) {
    const p0 = p + <usize>r * step;
    const p1 = p0 + step;
    const p2 = p1 + step;
    const p3 = p2 + step;
    let a0 = f64x2.splat(0);
    let a1 = f64x2.splat(0);
    let a2 = f64x2.splat(0);
    let a3 = f64x2.splat(0);
    for (let k = 0; k < even; k += 2) {
      const o = <usize>k << 3;
      const vk = v128.load(v + o);
      a0 = f64x2.add(a0, f64x2.mul(v128.load(p0 + o), vk));
      a1 = f64x2.add(a1, f64x2.mul(v128.load(p1 + o), vk));
      a2 = f64x2.add(a2, f64x2.mul(v128.load(p2 + o), vk));
      a3 = f64x2.add(a3, f64x2.mul(v128.load(p3 + o), vk));
    }
    let s0 = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
    let s1 = f64x2.extract_lane(a1, 0) + f64x2.extract_lane(a1, 1);
    let s2 = f64x2.extract_lane(a2, 0) + f64x2.extract_lane(a2, 1);
    let s3 = f64x2.extract_lane(a3, 0) + f64x2.extract_lane(a3, 1);
    if (odd) {
      const vl = get(v, even);
      s0 += get(p0, even) * vl;
      s1 += get(p1, even) * vl;
      s2 += get(p2, even) * vl;
      s3 += get(p3, even) * vl;
    }
    const c0 = s0 * tau;
    const c1 = s1 * tau;
    const c2 = s2 * tau;
    const c3 = s3 * tau;
    if (c0 != 0) axpy(p0, v, -c0, len);
    if (c1 != 0) axpy(p1, v, -c1, len);
    if (c2 != 0) axpy(p2, v, -c2, len);
    if (c3 != 0) axpy(p3, v, -c3, len);
  }
  for (; r < rows; r++) {
    const p0 = p + <usize>r * step;
    const c0 = dot(p0, v, len) * tau;
    if (c0 != 0) axpy(p0, v, -c0, len);
  }
}

/**
 * w[j] += Σₜ u[t]·x_t[j] for the `rows` stretches x_t = p + t·step, added in t order (as one
 * axpy a row would), four rows a pass over w.
 */
function leftSum(w: usize, p: usize, step: usize, u: usize, rows: i32, width: i32): void {
  let t = 0;
  for (; t + 4 <= rows; t += 4) {
    const x0 = p + <usize>t * step;
    const x1 = x0 + step;
    const x2 = x1 + step;
    const x3 = x2 + step;
    const s0 = get(u, t);
    const s1 = get(u, t + 1);
    const s2 = get(u, t + 2);
    const s3 = get(u, t + 3);
    const u0 = f64x2.splat(s0);
    const u1 = f64x2.splat(s1);
    const u2 = f64x2.splat(s2);
    const u3 = f64x2.splat(s3);
    let j = 0;
    for (; j + 2 <= width; j += 2) {
      const o = <usize>j << 3;
      let x = v128.load(w + o);
      x = f64x2.add(x, f64x2.mul(u0, v128.load(x0 + o)));
      x = f64x2.add(x, f64x2.mul(u1, v128.load(x1 + o)));
      x = f64x2.add(x, f64x2.mul(u2, v128.load(x2 + o)));
      x = f64x2.add(x, f64x2.mul(u3, v128.load(x3 + o)));
      v128.store(w + o, x);
    }
    if (j < width) {
      let x = get(w, j);
      x += s0 * get(x0, j);
      x += s1 * get(x1, j);
      x += s2 * get(x2, j);
      x += s3 * get(x3, j);
      put(w, j, x);
    }
  }
  for (; t < rows; t++) axpy(w, p + <usize>t * step, get(u, t), width);
}

/** band-to-bidiagonal.ts rowReflector: dlarfg on p[0…len), v (v₀ = 1) to v, β to p[0], zeros after it. */
function bandRowReflector(p: usize, len: i32, v: usize, beta: usize): f64 {
  const tau = dlarfg(p, len, beta);
  put(v, 0, 1);
  for (let k = 1; k < len; k++) {
    put(v, k, get(p, k));
    put(p, k, 0);
  }
  store<f64>(p, load<f64>(beta));
  return tau;
}

/**
 * band-to-bidiagonal.ts bandToBidiagonal on the upper band stored by rows (B[i, j] at
 * band + (i·ld + off + j − i)·8), in place: d at row i's off, e just after it. v, u (b each),
 * w (2b) and beta (1): scratch. The same operations in the same order: identical results.
 */
export function bandToBidiagonal(
  n: i32,
  b: i32,
  ld: i32,
  off: i32,
  band: usize,
  v: usize,
  u: usize,
  w: usize,
  beta: usize,
): void {
  if (b < 2) return;
  const rowStep = <usize>(ld - 1) << 3;
  for (let i = 0; i < n - 2; i++) {
    const len0 = min(b, n - 1 - i);
    if (len0 < 2) continue;
    let tau = bandRowReflector(band + (<usize>(i * ld + off + 1) << 3), len0, v, beta);
    let from = i + 1;
    let s = i + 1;
    let len = len0;
    while (true) {
      // Right: rows from … s+len−1, columns s … s+len−1, one contiguous stretch a row.
      if (tau != 0) rightRows(band + (<usize>(from * (ld - 1) + s + off) << 3), rowStep, s + len - from, v, tau, len);
      const nb = min(b, n - s - len);
      // Left: column s, rows s … s+len−1, gathered into u.
      const diag = band + (<usize>(s * ld + off) << 3);
      for (let t = 0; t < len; t++) put(u, t, load<f64>(diag + <usize>t * rowStep));
      const tauL = dlarfg(u, len, beta);
      put(u, 0, 1);
      store<f64>(diag, load<f64>(beta));
      for (let t = 1; t < len; t++) store<f64>(diag + <usize>t * rowStep, 0);
      const width = len + nb - 1;
      if (tauL != 0 && width > 0) {
        memory.fill(w, 0, <usize>width << 3);
        leftSum(w, diag + 8, rowStep, u, len, width);
        for (let t = 0; t < len; t++) {
          const c = tauL * get(u, t);
          if (c != 0) axpy(diag + 8 + <usize>t * rowStep, w, -c, width);
        }
      }
      if (nb <= 0) break;
      tau = bandRowReflector(diag + (<usize>len << 3), nb, v, beta);
      from = s + 1;
      s += len;
      len = nb;
    }
  }
}
