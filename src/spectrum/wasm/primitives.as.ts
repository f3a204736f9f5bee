/**
 * Shared pieces of the WebAssembly kernels (kernels.as.ts): loads and stores by index, the
 * SIMD axpy and dot products (and four of them at once: accumulate4, axpy4 and axpy4Nonzero,
 * dot4Lanes, each
 * vector's terms in the order one call at a time adds them), the rank-2 update, and the
 * Householder reflectors (the band reduction's, and householder.ts's dlarfg with its
 * rescaling). Each sums in the order its TypeScript twin does; where a twin sums in index
 * order, dotInOrder.
 */

// @ts-nocheck — AssemblyScript, not TypeScript.

@inline export function get(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}
@inline export function put(p: usize, i: i32, x: f64): void {
  store<f64>(p + (<usize>i << 3), x);
}

/** y[i] += a·x[i], i < n. */
export function axpy(y: usize, x: usize, a: f64, n: i32): void {
  const va = f64x2.splat(a);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const off = <usize>i << 3;
    v128.store(y + off, f64x2.add(v128.load(y + off), f64x2.mul(va, v128.load(x + off))));
  }
  if (i < n) put(y, i, get(y, i) + a * get(x, i));
}

/** Σ x[i]·y[i], i < n. */
export function dot(x: usize, y: usize, n: i32): f64 {
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const off = <usize>i << 3;
    acc = f64x2.add(acc, f64x2.mul(v128.load(x + off), v128.load(y + off)));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (i < n) s += get(x, i) * get(y, i);
  return s;
}

/** Returns Σ a[i]·v[i] and does w[i] += a[i]·c, i < n. */
export function dotAxpy(a: usize, v: usize, w: usize, c: f64, n: i32): f64 {
  let acc = f64x2.splat(0);
  const vc = f64x2.splat(c);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const off = <usize>i << 3;
    const x = v128.load(a + off);
    acc = f64x2.add(acc, f64x2.mul(x, v128.load(v + off)));
    v128.store(w + off, f64x2.add(v128.load(w + off), f64x2.mul(x, vc)));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (i < n) {
    const x = get(a, i);
    s += x * get(v, i);
    put(w, i, get(w, i) + x * c);
  }
  return s;
}

/**
 * y[j] += a0·x0[j], then += a1·x1[j], … (xq = x + q·ld bytes): four axpys into y, one pass,
 * each element's terms in the same order.
 */
export function accumulate4(y: usize, x: usize, ld: usize, a0: f64, a1: f64, a2: f64, a3: f64, n: i32): void {
  const x1 = x + ld;
  const x2 = x1 + ld;
  const x3 = x2 + ld;
  const b0 = f64x2.splat(a0);
  const b1 = f64x2.splat(a1);
  const b2 = f64x2.splat(a2);
  const b3 = f64x2.splat(a3);
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const off = <usize>j << 3;
    let s = v128.load(y + off);
    s = f64x2.add(s, f64x2.mul(b0, v128.load(x + off)));
    s = f64x2.add(s, f64x2.mul(b1, v128.load(x1 + off)));
    s = f64x2.add(s, f64x2.mul(b2, v128.load(x2 + off)));
    s = f64x2.add(s, f64x2.mul(b3, v128.load(x3 + off)));
    v128.store(y + off, s);
  }
  if (j < n) {
    let s = get(y, j);
    s = s + a0 * get(x, j);
    s = s + a1 * get(x1, j);
    s = s + a2 * get(x2, j);
    s = s + a3 * get(x3, j);
    put(y, j, s);
  }
}

/** x_q[j] += a_q·y[j] for the four vectors x_q = x + q·ld bytes: four axpys, one pass. */
export function axpy4(x: usize, ld: usize, y: usize, a0: f64, a1: f64, a2: f64, a3: f64, n: i32): void {
  const x1 = x + ld;
  const x2 = x1 + ld;
  const x3 = x2 + ld;
  const b0 = f64x2.splat(a0);
  const b1 = f64x2.splat(a1);
  const b2 = f64x2.splat(a2);
  const b3 = f64x2.splat(a3);
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const off = <usize>j << 3;
    const u = v128.load(y + off);
    v128.store(x + off, f64x2.add(v128.load(x + off), f64x2.mul(b0, u)));
    v128.store(x1 + off, f64x2.add(v128.load(x1 + off), f64x2.mul(b1, u)));
    v128.store(x2 + off, f64x2.add(v128.load(x2 + off), f64x2.mul(b2, u)));
    v128.store(x3 + off, f64x2.add(v128.load(x3 + off), f64x2.mul(b3, u)));
  }
  if (j < n) {
    const u = get(y, j);
    put(x, j, get(x, j) + a0 * u);
    put(x1, j, get(x1, j) + a1 * u);
    put(x2, j, get(x2, j) + a2 * u);
    put(x3, j, get(x3, j) + a3 * u);
  }
}

/**
 * x_q += a_q·y as axpy4, but a vector whose a_q is zero is left as it is (its twin skips it:
 * adding a zero term could turn a −0 into +0): one pass when none is zero, else one axpy each.
 */
export function axpy4Nonzero(x: usize, ld: usize, y: usize, a0: f64, a1: f64, a2: f64, a3: f64, n: i32): void {
  if (a0 != 0 && a1 != 0 && a2 != 0 && a3 != 0) {
    axpy4(x, ld, y, a0, a1, a2, a3, n);
    return;
  }
  if (a0 != 0) axpy(x, y, a0, n);
  if (a1 != 0) axpy(x + ld, y, a1, n);
  if (a2 != 0) axpy(x + 2 * ld, y, a2, n);
  if (a3 != 0) axpy(x + 3 * ld, y, a3, n);
}

/**
 * out[q] = Σ x_q[i]·v[i] for the four vectors x_q = x + q·ld bytes, each summed as `dot` sums
 * it (even and odd terms a lane each, then the lanes, then an odd last term): one pass over v.
 */
export function dot4Lanes(x: usize, ld: usize, v: usize, n: i32, out: usize): void {
  const x1 = x + ld;
  const x2 = x1 + ld;
  const x3 = x2 + ld;
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let a2 = f64x2.splat(0);
  let a3 = f64x2.splat(0);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const off = <usize>i << 3;
    const u = v128.load(v + off);
    a0 = f64x2.add(a0, f64x2.mul(u, v128.load(x + off)));
    a1 = f64x2.add(a1, f64x2.mul(u, v128.load(x1 + off)));
    a2 = f64x2.add(a2, f64x2.mul(u, v128.load(x2 + off)));
    a3 = f64x2.add(a3, f64x2.mul(u, v128.load(x3 + off)));
  }
  let s0 = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
  let s1 = f64x2.extract_lane(a1, 0) + f64x2.extract_lane(a1, 1);
  let s2 = f64x2.extract_lane(a2, 0) + f64x2.extract_lane(a2, 1);
  let s3 = f64x2.extract_lane(a3, 0) + f64x2.extract_lane(a3, 1);
  if (i < n) {
    const u = get(v, i);
    s0 += u * get(x, i);
    s1 += u * get(x1, i);
    s2 += u * get(x2, i);
    s3 += u * get(x3, i);
  }
  put(out, 0, s0);
  put(out, 1, s1);
  put(out, 2, s2);
  put(out, 3, s3);
}

/** a[i] −= v[i]·wq + w[i]·vq, i < n. */
export function rank2(a: usize, v: usize, w: usize, wq: f64, vq: f64, n: i32): void {
  const vw = f64x2.splat(wq);
  const vv = f64x2.splat(vq);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const off = <usize>i << 3;
    const t = f64x2.add(f64x2.mul(v128.load(v + off), vw), f64x2.mul(v128.load(w + off), vv));
    v128.store(a + off, f64x2.sub(v128.load(a + off), t));
  }
  if (i < n) put(a, i, get(a, i) - (get(v, i) * wq + get(w, i) * vq));
}

/** Householder reflector for x = p[0…len): β to p[0], zeros the rest, v (v₀ = 1) to v, returns τ. */
export function reflector(p: usize, len: i32, v: usize): f64 {
  const alpha = get(p, 0);
  let scale: f64 = 0;
  for (let k = 1; k < len; k++) scale = max(scale, abs(get(p, k)));
  put(v, 0, 1);
  if (scale == 0) {
    for (let k = 1; k < len; k++) put(v, k, 0);
    return 0;
  }
  scale = max(scale, abs(alpha));
  let ss: f64 = 0;
  for (let k = 0; k < len; k++) {
    const t = get(p, k) / scale;
    ss += t * t;
  }
  const norm = scale * sqrt(ss);
  const beta = alpha >= 0 ? -norm : norm;
  const inv = 1 / (alpha - beta);
  for (let k = 1; k < len; k++) {
    put(v, k, get(p, k) * inv);
    put(p, k, 0);
  }
  put(p, 0, beta);
  return (beta - alpha) / beta;
}

/** Σⱼ x[j]·v[j] in index order (scalar: the twin's rounding). */
export function dotInOrder(x: usize, v: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += get(x, i) * get(v, i);
  return s;
}

/** LAPACK's safe minimum (householder.ts SAFE_MIN). */
export const SAFE_MIN: f64 = 2.2250738585072014e-308 / 2.220446049250313e-16;

/**
 * householder.ts's dlarfg on x = p[0…len): v₁… over x₁…, τ returned, β to out (x₀ not
 * written). The same operations in the same order, the tiny-β rescaling included.
 */
export function dlarfg(p: usize, len: i32, out: usize): f64 {
  let alpha = get(p, 0);
  let scale: f64 = 0;
  for (let k = 1; k < len; k++) scale = max(scale, abs(get(p, k)));
  if (scale == 0) {
    store<f64>(out, alpha);
    return 0;
  }
  scale = max(scale, abs(alpha));
  let ss: f64 = 0;
  for (let k = 0; k < len; k++) {
    const x = get(p, k) / scale;
    ss += x * x;
  }
  let norm = scale * sqrt(ss);
  let beta = alpha >= 0 ? -norm : norm;
  let knt = 0;
  if (abs(beta) < SAFE_MIN) {
    // householder.ts tinyReflector: scale x up by 1/SAFE_MIN until β is representable.
    alpha = get(p, 0);
    do {
      knt++;
      alpha /= SAFE_MIN;
      for (let k = 1; k < len; k++) put(p, k, get(p, k) / SAFE_MIN);
      let sc = abs(alpha);
      for (let k = 1; k < len; k++) sc = max(sc, abs(get(p, k)));
      let s2 = (alpha / sc) * (alpha / sc);
      for (let k = 1; k < len; k++) {
        const x = get(p, k) / sc;
        s2 += x * x;
      }
      norm = sc * sqrt(s2);
    } while (norm < SAFE_MIN && knt < 20);
    beta = alpha >= 0 ? -norm : norm;
  }
  const tau = (beta - alpha) / beta;
  const inv = 1 / (alpha - beta);
  for (let k = 1; k < len; k++) put(p, k, get(p, k) * inv);
  let b = beta;
  for (let j = 0; j < knt; j++) b *= SAFE_MIN;
  store<f64>(out, b);
  return tau;
}
