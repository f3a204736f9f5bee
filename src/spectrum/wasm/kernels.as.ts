/**
 * AssemblyScript source of the WebAssembly (SIMD f64x2) kernels used by the spectrum code.
 * Compiled by build-kernels.mjs (npm run build:wasm) into kernels.wasm.ts; not part of the
 * TypeScript program. All pointers are byte offsets into the module's own memory.
 *
 * bandToTridiagonal: the Householder bulge chasing of band-to-tridiagonal.ts (Lang 1993;
 * Haidar, Ltaief & Dongarra 2011), same storage (lower band, column j at band + j·ld·8).
 * bandToBidiagonal: the bulge chasing of band-to-bidiagonal.ts (upper band → bidiagonal,
 * stored by rows), with householder.ts's dlarfg, every sum in the same order: identical results.
 * bidiagonalize: the Householder bidiagonalisation of bidiagonalize.ts (LAPACK dgebd2,
 * row-major, the left and right updates of a step fused into one pass over the rows, and
 * the same arithmetic in the same order: identical results).
 * gramLowerRows: the rank-one accumulation of gram.ts's gramLower (G += aᵀa row by row),
 * each element's sum in the same order: identical results.
 * tridiagonalizeLower: tridiagonalize.ts (LAPACK dsytd2) with householder.ts's dlarfg, every
 * sum in the same order (the elementwise updates two at a time): identical results.
 * tridiagonalQlValues: tridiagonal-ql.ts's implicit QL without vectors (EISPACK tql1) with
 * hypot.ts's hypot2, operation for operation: identical results.
 * dqdsValues: dqds.ts's shifted dqds iteration on a qd array, operation for operation:
 * identical results.
 */

// @ts-nocheck — AssemblyScript, not TypeScript.

@inline function get(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}
@inline function put(p: usize, i: i32, x: f64): void {
  store<f64>(p + (<usize>i << 3), x);
}

/** y[i] += a·x[i], i < n. */
function axpy(y: usize, x: usize, a: f64, n: i32): void {
  const va = f64x2.splat(a);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const off = <usize>i << 3;
    v128.store(y + off, f64x2.add(v128.load(y + off), f64x2.mul(va, v128.load(x + off))));
  }
  if (i < n) put(y, i, get(y, i) + a * get(x, i));
}

/** Σ x[i]·y[i], i < n. */
function dot(x: usize, y: usize, n: i32): f64 {
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
function dotAxpy(a: usize, v: usize, w: usize, c: f64, n: i32): f64 {
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
function rank2(a: usize, v: usize, w: usize, wq: f64, vq: f64, n: i32): void {
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
function reflector(p: usize, len: i32, v: usize): f64 {
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
      if (tau != 0) {
        // B = A[p0 : p0+nb, s : s+len] ← B·H, column by column (each column of B is contiguous).
        memory.fill(x, 0, <usize>nb << 3);
        for (let q = 0; q < len; q++) {
          axpy(x, band + (<usize>((s + q) * ld + len - q) << 3), get(cur, q), nb);
        }
        for (let q = 0; q < len; q++) {
          const vq = get(cur, q);
          if (vq != 0) axpy(band + (<usize>((s + q) * ld + len - q) << 3), x, -tau * vq, nb);
        }
      }
      const tau2 = reflector(band + (<usize>(s * ld + len) << 3), nb, nxt);
      if (tau2 != 0) {
        for (let q = 1; q < len; q++) {
          const col = band + (<usize>((s + q) * ld + len - q) << 3);
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
function dot4(x: usize, ld: usize, v: usize, n: i32, out: usize): void {
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

/** Σⱼ x[j]·v[j] in index order (scalar: the twin's rounding). */
function dotInOrder(x: usize, v: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += get(x, i) * get(v, i);
  return s;
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
  for (let k = 0; k < M; k++) {
    const c = k + 1;
    const len = M - c;
    const vk = v + (<usize>k << 3);
    const tauL = scaledReflector(A + (<usize>(k * M + k) << 3), M, N - k, vk, d + (<usize>k << 3));
    const wc = w + (<usize>c << 3);
    const rowK = A + (<usize>(k * M + c) << 3);
    if (tauL != 0 && len > 0) {
      // w = τ·Aᵀv over rows k…N−1, then row k updated first: the right reflector reads it.
      memory.fill(wc, 0, <usize>len << 3);
      for (let i = k; i < N; i++) {
        const vi = get(v, i);
        if (vi != 0) axpy(wc, A + (<usize>(i * M + c) << 3), vi, len);
      }
      for (let j = 0; j < len; j++) put(wc, j, get(wc, j) * tauL);
      const v0 = get(v, k);
      if (v0 != 0) axpy(rowK, wc, -v0, len);
    }
    const vrc = vr + (<usize>c << 3);
    const tauR = len > 0 ? scaledReflector(rowK, 1, len, vrc, e + (<usize>k << 3)) : 0;
    if (tauL == 0 && tauR == 0) continue;
    // Rows four at a time (the last few one by one): left update, then the right reflector's dot
    // products, each row summed in index order.
    const ld = <usize>M << 3;
    let i = c;
    for (; i + 4 <= N; i += 4) {
      const r0 = A + (<usize>(i * M + c) << 3);
      if (tauL != 0) {
        for (let t = 0; t < 4; t++) {
          const vt = get(v, i + t);
          if (vt != 0) axpy(r0 + <usize>t * ld, wc, -vt, len);
        }
      }
      if (tauR == 0) continue;
      dot4(r0, ld, vrc, len, s4);
      for (let t = 0; t < 4; t++) {
        const st = get(s4, t) * tauR;
        if (st != 0) axpy(r0 + <usize>t * ld, vrc, -st, len);
      }
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
 * G[i][j] += A[r][i]·A[r][j] for j ≤ i < M, rows r = 0…rows−1 of the row-major A (rows×M),
 * G row-major M×M: the lower triangle of AᵀA accumulated row after row, as gram.ts does.
 * Four rows of A per pass over G, their four terms added to each element one after the
 * other, so each element is the same sum in the same order as one row at a time. Every
 * product is added, also a zero one: G starts at +0 and a sum never becomes −0, so adding
 * ±0 changes nothing (gram.ts skips them).
 */
export function gramLowerRows(A: usize, rows: i32, M: i32, G: usize): void {
  const ld = <usize>M << 3;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const a0 = A + <usize>r * ld;
    const a1 = a0 + ld;
    const a2 = a1 + ld;
    const a3 = a2 + ld;
    for (let i = 0; i < M; i++) {
      const s0 = get(a0, i);
      const s1 = get(a1, i);
      const s2 = get(a2, i);
      const s3 = get(a3, i);
      const w0 = f64x2.splat(s0);
      const w1 = f64x2.splat(s1);
      const w2 = f64x2.splat(s2);
      const w3 = f64x2.splat(s3);
      const g = G + <usize>i * ld;
      let j = 0;
      for (; j + 2 <= i + 1; j += 2) {
        const off = <usize>j << 3;
        let x = v128.load(g + off);
        x = f64x2.add(x, f64x2.mul(w0, v128.load(a0 + off)));
        x = f64x2.add(x, f64x2.mul(w1, v128.load(a1 + off)));
        x = f64x2.add(x, f64x2.mul(w2, v128.load(a2 + off)));
        x = f64x2.add(x, f64x2.mul(w3, v128.load(a3 + off)));
        v128.store(g + off, x);
      }
      if (j <= i) {
        let x = get(g, j);
        x += s0 * get(a0, j);
        x += s1 * get(a1, j);
        x += s2 * get(a2, j);
        x += s3 * get(a3, j);
        put(g, j, x);
      }
    }
  }
  for (; r < rows; r++) {
    const a0 = A + <usize>r * ld;
    for (let i = 0; i < M; i++) {
      const s0 = get(a0, i);
      const g = G + <usize>i * ld;
      axpy(g, a0, s0, i + 1);
    }
  }
}

/** LAPACK's safe minimum (householder.ts SAFE_MIN). */
const SAFE_MIN: f64 = 2.2250738585072014e-308 / 2.220446049250313e-16;

/**
 * householder.ts's dlarfg on x = p[0…len): v₁… over x₁…, τ returned, β to out (x₀ not
 * written). The same operations in the same order, the tiny-β rescaling included.
 */
function dlarfg(p: usize, len: i32, out: usize): f64 {
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

/**
 * tridiagonalize.ts on the symmetric row-major n×n A (lower triangle read and overwritten):
 * d (n) and e (n, e[n−1] = 0) out; v, w (n each) and s1 (1) and s4 (4) scratch.
 */
export function tridiagonalizeLower(
  A: usize,
  n: i32,
  d: usize,
  e: usize,
  v: usize,
  w: usize,
  s1: usize,
  s4: usize,
): void {
  const ld = <usize>n << 3;
  for (let k = 0; k < n - 2; k++) {
    put(d, k, load<f64>(A + <usize>k * ld + (<usize>k << 3)));
    const o = k + 1;
    const m = n - o;
    for (let i = 0; i < m; i++) put(v, i, load<f64>(A + <usize>(o + i) * ld + (<usize>k << 3)));
    const tau = dlarfg(v, m, s1);
    put(v, 0, 1);
    put(e, k, load<f64>(s1));
    if (tau == 0) continue;
    // p = B·v from the lower triangle of B = A[o:, o:]: row i's dot product in order, and
    // its entries times v_i added to w (tridiagonalize.ts, symvStretch).
    memory.fill(w, 0, <usize>m << 3);
    const b0 = A + <usize>o * ld + (<usize>o << 3);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      // Four rows' dot products side by side (a lane each, each summed in order), then each
      // row's update of w in row order, as one row after the other would make them.
      const r0 = b0 + <usize>i * ld;
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
    for (; i < m; i++) {
      const row = b0 + <usize>i * ld;
      const vi = get(v, i);
      let acc: f64 = 0;
      for (let t = 0; t < i; t++) acc += get(row, t) * get(v, t);
      axpy(w, row, vi, i);
      put(w, i, get(w, i) + (acc + get(row, i) * vi));
    }
    // symmetric-update.ts reflectorCorrection.
    let vtp: f64 = 0;
    for (let i = 0; i < m; i++) {
      const wi = get(w, i) * tau;
      put(w, i, wi);
      vtp += get(v, i) * wi;
    }
    axpy(w, v, -(0.5 * tau * vtp), m);
    // B −= w·vᵀ + v·wᵀ, row i up to its diagonal (syr2Stretch).
    for (let i = 0; i < m; i++) rank2(b0 + <usize>i * ld, w, v, get(v, i), get(w, i), i + 1);
  }
  if (n >= 2) {
    put(d, n - 2, load<f64>(A + <usize>(n - 2) * ld + (<usize>(n - 2) << 3)));
    put(e, n - 2, load<f64>(A + <usize>(n - 1) * ld + (<usize>(n - 2) << 3)));
  }
  if (n >= 1) put(d, n - 1, load<f64>(A + <usize>(n - 1) * ld + (<usize>(n - 1) << 3)));
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

/** hypot.ts hypot2 (V8's two-argument Math.hypot), the same steps. */
@inline function hypot2(a: f64, b: f64): f64 {
  const x = abs(a);
  const y = abs(b);
  if (x == Infinity || y == Infinity) return Infinity;
  if (isNaN(x) || isNaN(y)) return NaN;
  const m = x > y ? x : y;
  if (m == 0) return 0;
  const p = x / m;
  const q = y / m;
  return sqrt(p * p + q * q) * m;
}

/** tridiagonal-ql.ts negligible: a coupling below ε(|d₀| + |d₁|) or the safe minimum. */
@inline function negligible(e: f64, d0: f64, d1: f64): bool {
  const a = abs(e);
  return a <= 2.220446049250313e-16 * (abs(d0) + abs(d1)) || a < SAFE_MIN;
}

/**
 * tridiagonal-ql.ts tridiagonalQl without Z on d (n) and e (n; e[i] couples i and i+1): d
 * becomes the eigenvalues, unsorted, e is destroyed. Returns 0, or 1 when 60·n sweeps did
 * not converge (the caller throws).
 */
export function tridiagonalQlValues(d: usize, e: usize, n: i32): i32 {
  const maxSweeps = 60 * max(1, n);
  let sweeps = 0;
  for (let l = 0; l < n; l++) {
    for (;;) {
      let m = l;
      while (m < n - 1 && !negligible(get(e, m), get(d, m), get(d, m + 1))) m++;
      if (m == l) break;
      if (++sweeps > maxSweeps) return 1;
      qlSweep(d, e, l, m);
    }
  }
  return 0;
}

/** tridiagonal-ql.ts sweep without Z: one implicit QL sweep over l … m, bottom up. */
function qlSweep(d: usize, e: usize, l: i32, m: i32): void {
  let g = (get(d, l + 1) - get(d, l)) / (2 * get(e, l));
  let r = hypot2(g, 1);
  g = get(d, m) - get(d, l) + get(e, l) / (g + (g >= 0 ? r : -r));
  let s: f64 = 1;
  let c: f64 = 1;
  let p: f64 = 0;
  for (let i = m - 1; i >= l; i--) {
    const f = s * get(e, i);
    const b = c * get(e, i);
    r = hypot2(f, g);
    put(e, i + 1, r);
    if (r == 0) {
      put(d, i + 1, get(d, i + 1) - p);
      put(e, m, 0);
      return;
    }
    s = f / r;
    c = g / r;
    g = get(d, i + 1) - p;
    r = (get(d, i) - g) * s + 2 * c * b;
    p = s * r;
    put(d, i + 1, g + p);
    g = c * r - b;
  }
  put(d, l, get(d, l) - p);
  put(e, l, g);
  put(e, m, 0);
}

// dqds.ts's iteration, operation for operation (identical results). The last transform's
// pivots, returned through globals: the smallest, without the last row, without the last two.
let dqdsMin: f64 = 0;
let dqdsMin1: f64 = 0;
let dqdsMin2: f64 = 0;

/** dqds.ts TOL2, MIN_NORMAL, SWEEPS_PER_VALUE. */
const DQDS_TOL2: f64 = (100 * 2.220446049250313e-16) * (100 * 2.220446049250313e-16);
const DQDS_MIN_NORMAL: f64 = 2.2250738585072014e-308;
const DQDS_SWEEPS_PER_VALUE: i32 = 100;

/** dqds.ts transform: rows lo … hi in place; false when τ > λ_min (q, e partly written). */
function dqdsTransform(q: usize, e: usize, lo: i32, hi: i32, tau: f64): bool {
  let d = get(q, lo) - tau;
  if (!(d >= 0)) return false;
  let dmin2: f64 = Infinity;
  let dmin1 = d;
  for (let i = lo; i < hi; i++) {
    const qh = d + get(e, i);
    const t = get(q, i + 1) / qh;
    put(q, i, qh);
    put(e, i, get(e, i) * t);
    d = d * t - tau;
    if (!(d >= 0)) return false;
    if (i == hi - 2) dmin2 = dmin1;
    if (i < hi - 1 && d < dmin1) dmin1 = d;
  }
  put(q, hi, d);
  dqdsMin = min(dmin1, d);
  dqdsMin1 = dmin1;
  dqdsMin2 = dmin2;
  return true;
}

/** dqds.ts bottomShift. */
function dqdsBottomShift(q: usize, e: usize, hi: i32, cap: f64): f64 {
  const dn = get(q, hi);
  const b2 = dn * get(e, hi - 1);
  const above = hi >= 2 ? sqrt(get(q, hi - 1) * get(e, hi - 2)) : 0;
  const gap = get(q, hi - 1) + get(e, hi - 1) - above - dn;
  if (gap > 0 && gap * gap > b2) return min(cap, max(dn - b2 / gap, 0.5 * dn));
  return 0.25 * min(cap, dn);
}

/**
 * dqds.ts dqds on the qd array q (n), e (n; e[n−1] is 0), both destroyed: writes the n
 * eigenvalues, unsorted, to out; work holds 4n doubles. Returns 0, or 1 when it did not converge.
 */
export function dqdsValues(q: usize, e: usize, out: usize, work: usize, n: i32): i32 {
  const split = work;
  const shift = work + (<usize>n << 3);
  const saveQ = work + (<usize>(2 * n) << 3);
  const saveE = work + (<usize>(3 * n) << 3);
  for (let k = 0; k < n; k++) {
    put(shift, k, 0);
    put(split, k, 0);
  }
  for (let k = 0; k < n - 1; k++) {
    if (get(e, k) < DQDS_MIN_NORMAL) {
      put(split, k, 1);
      put(e, k, 0);
    }
  }
  let found = 0;
  let sweeps = 0;
  const maxSweeps = DQDS_SWEEPS_PER_VALUE * n;
  let hi = n - 1;
  let tau: f64 = 0;
  let tauFor = -1;
  let failures = 0;
  let dmin1: f64 = 0;
  let dmin2: f64 = 0;
  while (hi >= 0) {
    const sigma = get(shift, hi);
    if (hi > 0 && get(split, hi - 1) == 0 && get(e, hi - 1) <= DQDS_TOL2 * (sigma + get(q, hi))) {
      put(out, found++, get(q, hi) + sigma);
      put(split, hi - 1, 1);
      put(e, hi - 1, 0);
      put(shift, hi - 1, sigma);
      if (tauFor == hi) {
        tau = hi >= 2 && get(split, hi - 2) == 0 ? dqdsBottomShift(q, e, hi - 1, dmin1) : 0.25 * dmin1;
        tauFor = hi - 1;
      }
      dmin1 = dmin2;
      hi--;
      continue;
    }
    let lo = hi;
    while (lo > 0) {
      if (get(split, lo - 1) == 1) break;
      if (get(e, lo - 1) <= DQDS_TOL2 * sigma || get(e, lo - 1) < DQDS_MIN_NORMAL) {
        put(split, lo - 1, 1);
        put(e, lo - 1, 0);
        put(shift, lo - 1, sigma);
        break;
      }
      lo--;
    }
    if (lo == hi) {
      put(out, found++, get(q, hi) + sigma);
      hi--;
      continue;
    }
    if (lo == hi - 1) {
      const a = get(q, lo);
      const b = get(e, lo);
      const c = get(q, hi);
      const big = 0.5 * (a + b + c + sqrt((a - c) * (a - c) + b * (b + 2 * a + 2 * c)));
      put(out, found++, big + sigma);
      put(out, found++, (big > 0 ? (a * c) / big : 0) + sigma);
      hi -= 2;
      continue;
    }
    if (++sweeps > maxSweeps) return 1;
    if (tauFor != hi) tau = 0;
    memory.copy(saveQ + (<usize>lo << 3), q + (<usize>lo << 3), <usize>(hi + 1 - lo) << 3);
    memory.copy(saveE + (<usize>lo << 3), e + (<usize>lo << 3), <usize>(hi - lo) << 3);
    if (!dqdsTransform(q, e, lo, hi, tau)) {
      memory.copy(q + (<usize>lo << 3), saveQ + (<usize>lo << 3), <usize>(hi + 1 - lo) << 3);
      memory.copy(e + (<usize>lo << 3), saveE + (<usize>lo << 3), <usize>(hi - lo) << 3);
      tau = ++failures < 3 ? 0.25 * tau : 0;
      tauFor = hi;
      continue;
    }
    failures = 0;
    put(shift, hi, sigma + tau);
    dmin1 = dqdsMin1;
    dmin2 = dqdsMin2;
    // dqds.ts nextShift
    const dn = get(q, hi);
    tau = dn == dqdsMin ? dqdsBottomShift(q, e, hi, dn) : 0.25 * dqdsMin;
    tauFor = hi;
  }
  return found == n ? 0 : 1;
}
