/**
 * The dense kernels: panelQR (panel-qr.ts), and dot4, four rows' dot products at once. The
 * small Gram product is gram.as.ts, the tridiagonal reduction tridiagonalize.as.ts, the
 * bidiagonalisation bidiagonalize.as.ts.
 */

// @ts-nocheck — AssemblyScript, not TypeScript.

import { get, put, axpy, dot } from './primitives.as';

/**
 * QR of the m×b column-major panel P (column t at P + t·m·8), as householder.ts's panelQR:
 * on return P holds V (unit lower trapezoidal, explicit 1s and zeros), R (b×b row-major,
 * upper) and T (b×b row-major, upper) with H₀…H_{b−1} = I − V·T·Vᵀ. tau and z: b scratch values.
 */
export function panelQR(P: usize, m: i32, b: i32, R: usize, T: usize, tau: usize, z: usize): void {
  memory.fill(R, 0, <usize>(b * b) << 3);
  memory.fill(T, 0, <usize>(b * b) << 3);
  const k = min(m, b);
  for (let t = 0; t < k; t++) {
    const ct = P + (<usize>(t * m) << 3);
    const x = ct + (<usize>t << 3);
    const len = m - t;
    // Reflector for x = P[t…m, t]: β·e₁ = H·x, v₀ = 1 (scaled 2-norm, safe from over/underflow).
    const alpha = get(x, 0);
    let scale: f64 = 0;
    for (let i = 1; i < len; i++) scale = max(scale, abs(get(x, i)));
    let tt: f64 = 0;
    let beta = alpha;
    if (scale != 0) {
      scale = max(scale, abs(alpha));
      const inv0 = 1 / scale;
      let ss: f64 = 0;
      for (let i = 0; i < len; i++) {
        const y = get(x, i) * inv0;
        ss += y * y;
      }
      const norm = scale * sqrt(ss);
      beta = alpha >= 0 ? -norm : norm;
      tt = (beta - alpha) / beta;
      const inv = 1 / (alpha - beta);
      for (let i = 1; i < len; i++) put(x, i, get(x, i) * inv);
    }
    put(tau, t, tt);
    for (let i = 0; i < t; i++) put(R, i * b + t, get(ct, i));
    put(R, t * b + t, beta);
    put(x, 0, 1);
    for (let i = 0; i < t; i++) put(ct, i, 0);
    if (tt == 0) continue;
    for (let s = t + 1; s < b; s++) {
      const cs = P + (<usize>(s * m + t) << 3);
      const d = dot(x, cs, len) * tt;
      if (d != 0) axpy(cs, x, -d, len);
    }
  }
  for (let t = k; t < b; t++) {
    const ct = P + (<usize>(t * m) << 3);
    for (let i = 0; i < m; i++) put(R, i * b + t, get(ct, i));
    memory.fill(ct, 0, <usize>m << 3);
  }
  for (let t = 0; t < k; t++) {
    const tt = get(tau, t);
    put(T, t * b + t, tt);
    if (tt == 0) continue;
    const vt = P + (<usize>(t * m + t) << 3);
    for (let j = 0; j < t; j++) put(z, j, dot(P + (<usize>(j * m + t) << 3), vt, m - t));
    for (let i = 0; i < t; i++) {
      let s: f64 = 0;
      for (let j = i; j < t; j++) s += get(T, i * b + j) * get(z, j);
      put(T, i * b + t, -tt * s);
    }
  }
}

/**
 * Σⱼ x[j]·v[j] for the four rows x, x + ld, x + 2·ld, x + 3·ld, written to out[0…3]: one
 * row a lane, each summed in index order exactly as a scalar loop does (so the kernel agrees
 * with its TypeScript twin to the last bit); two accumulators, whose additions overlap.
 */
export function dot4(x: usize, ld: usize, v: usize, n: i32, out: usize): void {
  let a = f64x2.splat(0);
  let b = f64x2.splat(0);
  const x1 = x + ld;
  const x2 = x1 + ld;
  const x3 = x2 + ld;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const off = <usize>i << 3;
    const p0 = v128.load(x + off);
    const p1 = v128.load(x1 + off);
    const p2 = v128.load(x2 + off);
    const p3 = v128.load(x3 + off);
    const v0 = v128.load64_splat(v + off);
    const v1 = v128.load64_splat(v + off + 8);
    a = f64x2.add(a, f64x2.mul(f64x2.shuffle(p0, p1, 0, 2), v0));
    b = f64x2.add(b, f64x2.mul(f64x2.shuffle(p2, p3, 0, 2), v0));
    a = f64x2.add(a, f64x2.mul(f64x2.shuffle(p0, p1, 1, 3), v1));
    b = f64x2.add(b, f64x2.mul(f64x2.shuffle(p2, p3, 1, 3), v1));
  }
  if (i < n) {
    const off = <usize>i << 3;
    const vi = v128.load64_splat(v + off);
    a = f64x2.add(a, f64x2.mul(f64x2.replace_lane(f64x2.splat(load<f64>(x + off)), 1, load<f64>(x1 + off)), vi));
    b = f64x2.add(b, f64x2.mul(f64x2.replace_lane(f64x2.splat(load<f64>(x2 + off)), 1, load<f64>(x3 + off)), vi));
  }
  v128.store(out, a);
  v128.store(out + 16, b);
}
