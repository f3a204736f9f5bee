/**
 * Shared pieces of the WebAssembly kernels (kernels.as.ts): loads and stores by index, the
 * SIMD axpy and dot products, the rank-2 update, and the Householder reflectors (the band
 * reduction's, and householder.ts's dlarfg with its rescaling). Each sums in the order its
 * TypeScript twin does; where a twin sums in index order, dotInOrder.
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
