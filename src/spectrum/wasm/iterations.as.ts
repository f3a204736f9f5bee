/**
 * The scalar iterations on a tridiagonal or bidiagonal: tridiagonalQlValues (tridiagonal-ql.ts,
 * EISPACK tql1 without vectors, with hypot.ts's hypot2), rootFreeQlValues
 * (tridiagonal-eigenvalues.ts, the Pal–Walker–Kahan QL of LAPACK dsterf) and dqdsValues (dqds.ts).
 */

// @ts-nocheck — AssemblyScript, not TypeScript.

import { get, put, SAFE_MIN } from './primitives.as';

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

/**
 * tridiagonal-eigenvalues.ts's sweeps, operation for operation, on d (n, the diagonal scaled
 * to largest entry 1) and E (n, the squared scaled couplings, E[n−1] = 0): d becomes the
 * eigenvalues, unsorted and still scaled; E is destroyed. Returns 0, or 1 when 60·n sweeps
 * did not converge (the caller throws).
 */
export function rootFreeQlValues(d: usize, E: usize, n: i32): i32 {
  const eps2: f64 = 2.220446049250313e-16 * 2.220446049250313e-16;
  const maxSweeps = 60 * n;
  let sweeps = 0;
  for (let l = 0; l < n; l++) {
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const t = abs(get(d, m)) + abs(get(d, m + 1));
        if (get(E, m) <= eps2 * t * t) break;
      }
      if (m == l) break;
      if (++sweeps > maxSweeps) return 1;
      rootFreeSweep(d, E, l, m);
    }
  }
  return 0;
}

/** tridiagonal-eigenvalues.ts's sweep over l … m, bottom up, in squared quantities. */
function rootFreeSweep(d: usize, E: usize, l: i32, m: i32): void {
  const el = sqrt(get(E, l));
  const h = (get(d, l + 1) - get(d, l)) / (2 * el);
  const rad = hypot2(h, 1);
  const sigma = get(d, l) - el / (h + (h >= 0 ? rad : -rad));
  let c: f64 = 1;
  let s: f64 = 0;
  let gamma = get(d, m) - sigma;
  let p = gamma * gamma;
  for (let i = m - 1; i >= l; i--) {
    const bb = get(E, i);
    const r = p + bb;
    if (i != m - 1) put(E, i + 1, s * r);
    const cPrev = c;
    c = p / r;
    s = bb / r;
    const gPrev = gamma;
    const alpha = get(d, i);
    gamma = c * (alpha - sigma) - s * gPrev;
    put(d, i + 1, gPrev + (alpha - gamma));
    p = c != 0 ? (gamma * gamma) / c : cPrev * bb;
  }
  put(E, l, s * p);
  put(d, l, sigma + gamma);
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
