/**
 * Squared singular values of an upper bidiagonal matrix by the differential quotient-difference
 * algorithm with shifts (dqds): Fernando & Parlett, "Accurate singular values and differential
 * qd algorithms", Numer. Math. 67 (1994); Parlett & Marques, "An implementation of the dqds
 * algorithm (positive case)", Linear Algebra Appl. 309 (2000), LAPACK Working Note 155. It is
 * what LAPACK's dbdsqr runs for singular values without vectors (dlasq1).
 *
 * Why here: the accurate-rank route (singular-values.ts) used to find σ as the eigenvalues ±σ
 * of the 2M×2M Golub–Kahan tridiagonal by root-based QL: one square root and two divisions per
 * rotation over twice the size, about half the route's time at M = 480 (issue 14, item 3).
 * dqds works on the M squares qᵢ = dᵢ², eᵢ = eᵢ² with one division per step and no roots, and
 * every σᵢ comes out with high relative accuracy (Fernando & Parlett, Thm 5), not only to
 * ε·σ_max as from the QL: the small σ this route exists to resolve are better, not worse.
 *
 * One transform maps the qd array (q, e) of BᵀB to that of B̂ᵀB̂ = BBᵀ − τI:
 *   d ← q₁ − τ;  for i < n: q̂ᵢ = d + eᵢ, t = qᵢ₊₁ / q̂ᵢ, êᵢ = eᵢ·t, d ← d·t − τ;  q̂ₙ = d.
 * It succeeds, with all q̂, ê ≥ 0, exactly when τ ≤ λ_min; a d < 0 means τ was too large, and
 * the transform is undone and retried with a smaller shift (τ = 0 always succeeds). The shift
 * is the accumulated σ of the block; an eigenvalue is qₙ + σ once eₙ₋₁ is negligible.
 *
 * The shift strategy is this file's own, simpler than dlasq4's case analysis: when the last
 * transform's smallest pivot was its last (the bottom is converging), the Schur-complement
 * lower bound dₙ − b²/gap of the bottom row of BBᵀ (b² = qₙ·eₙ₋₁ its coupling, gap an
 * estimate of the distance to the rest of the spectrum); else a quarter of the smallest pivot
 * (an upper bound on λ_min). About four transforms a value on Gaussian bidiagonals, ~0.1 of
 * them undone (bench/README.md). Failed shifts cost one partial sweep; a bound on sweeps
 * makes the caller fall back to the QL (never an endless loop).
 */

import { wasmKernels, wasmScratch } from './wasm.js';

/** Relative tolerance of deflation (LAPACK's dlasq2 takes 100·ε): its square applies to the e's. */
const TOL2 = (100 * Number.EPSILON) ** 2;

/**
 * Couplings eᵢ² below the smallest normal number split the array. After scaling they are
 * couplings |eᵢ| < 2⁻⁵¹¹·σ_max, far below the ε·σ_max the route promises; kept, a subnormal q̂
 * would overflow the quotient t = qᵢ₊₁/q̂ᵢ. With every coupling normal, q̂ᵢ ≥ eᵢ keeps t finite.
 */
const MIN_NORMAL = 2 ** -1022;

/** Sweeps allowed per value before giving up (LAPACK allows 100 per value as well). */
const SWEEPS_PER_VALUE = 100;

/**
 * Ascending σᵢ² of the upper bidiagonal with diagonal `d` and superdiagonal `e` (e[i] couples
 * i and i+1; e[n−1] is not read), or undefined when the iteration did not converge or an entry
 * is not finite (the caller then takes another method). d and e are not modified.
 */
export function bidiagonalSquaresDqds(d: Float64Array, e: Float64Array, useWasm = true): Float64Array | undefined {
  const n = d.length;
  if (n === 0) return new Float64Array(0);
  let top = 0;
  for (let i = 0; i < n; i++) top = Math.max(top, Math.abs(d[i]!), i < n - 1 ? Math.abs(e[i]!) : 0);
  if (!Number.isFinite(top)) return undefined;
  if (top === 0) return new Float64Array(n);
  // Scale by a power of two (exact) so the largest entry is in [½, 1): squares cannot overflow,
  // and only σ below ~2⁻⁵¹⁰·σ_max reach the subnormal range.
  const exponent = Math.min(1000, Math.max(-1000, Math.ceil(Math.log2(top))));
  const scale = 2 ** -exponent;
  // The qd array: q, then e (e[n−1] = 0); in kernel memory when the kernel runs, with the
  // output and 4n doubles of workspace after it.
  const k = useWasm ? wasmKernels('sync') : undefined;
  const mem = k ? wasmScratch(k, 7 * n) : new Float64Array(2 * n);
  const q = mem.subarray(0, n);
  const ee = mem.subarray(n, 2 * n);
  for (let i = 0; i < n; i++) {
    const x = d[i]! * scale;
    q[i] = x * x;
    const y = i < n - 1 ? e[i]! * scale : 0;
    ee[i] = y * y;
  }
  let out: Float64Array;
  if (k) {
    if (k.dqdsValues(0, 8 * n, 16 * n, 24 * n, n) !== 0) return undefined;
    out = mem.slice(2 * n, 3 * n);
  } else {
    out = new Float64Array(n);
    if (!dqds(q, ee, out)) return undefined;
  }
  const unscale = 2 ** exponent;
  for (let i = 0; i < n; i++) out[i] = out[i]! * unscale * unscale;
  return out.sort();
}

/**
 * The dqds iteration on the qd array (q, e), both destroyed; writes the n eigenvalues of the
 * represented matrix, unsorted, to `out`. Returns false when it did not converge. The
 * WebAssembly kernel (wasm/kernels.as.ts dqdsValues) makes the same operations in the same
 * order, so gives the same values to the bit, without the JIT's warm-up on each thread.
 */
function dqds(q: Float64Array, e: Float64Array, out: Float64Array): boolean {
  const n = q.length;
  // Where the array splits into independent blocks (e[k] = 0 between rows k and k+1), and
  // shift[k], the accumulated shift of the block that ends at row k. A coupling that becomes
  // tiny inside a block (converged, or underflow) is not a split until the scan below declares
  // it one, with the block's shift.
  const split = new Uint8Array(n);
  const shift = new Float64Array(n);
  for (let k = 0; k < n - 1; k++) {
    split[k] = e[k]! < MIN_NORMAL ? 1 : 0;
    if (split[k] === 1) e[k] = 0;
  }
  const splitAt = (k: number, sigma: number) => {
    split[k] = 1;
    e[k] = 0;
    shift[k] = sigma;
  };
  const saveQ = new Float64Array(n);
  const saveE = new Float64Array(n);
  let found = 0;
  let sweeps = 0;
  const maxSweeps = SWEEPS_PER_VALUE * n;
  let hi = n - 1;
  // The next shift and the block (by its last row) it was chosen for; 0 when none is known.
  let tau = 0;
  let tauFor = -1;
  let failures = 0;
  // The last transform's smallest pivots without its last row, and without its last two:
  // upper bounds on λ_min of what is left after the bottom deflates.
  let dmin1 = 0;
  let dmin2 = 0;
  while (hi >= 0) {
    const sigma = shift[hi]!;
    // The bottom value has converged: its coupling is negligible against the eigenvalue itself.
    // The shift chosen for the block stays a fair guess for what is left of it.
    if (hi > 0 && split[hi - 1] === 0 && e[hi - 1]! <= TOL2 * (sigma + q[hi]!)) {
      out[found++] = q[hi]! + sigma;
      splitAt(hi - 1, sigma);
      if (tauFor === hi) {
        // The shift carries over to what is left of the block: the same estimate at its new bottom.
        tau = hi >= 2 && split[hi - 2] === 0 ? bottomShift(q, e, hi - 1, dmin1) : 0.25 * dmin1;
        tauFor = hi - 1;
      }
      dmin1 = dmin2;
      hi--;
      continue;
    }
    // The top of the unreduced block ending at hi; a coupling negligible against the shift
    // (which every remaining eigenvalue exceeds) splits it.
    let lo = hi;
    while (lo > 0) {
      if (split[lo - 1] === 1) break;
      if (e[lo - 1]! <= TOL2 * sigma || e[lo - 1]! < MIN_NORMAL) {
        splitAt(lo - 1, sigma);
        break;
      }
      lo--;
    }
    if (lo === hi) {
      out[found++] = q[hi]! + sigma;
      hi--;
      continue;
    }
    if (lo === hi - 1) {
      // A 2×2 block: BᵀB = [[a, √(ab)], [√(ab), b + c]] with a = q₁, b = e₁, c = q₂; its
      // eigenvalues have product ac and sum a + b + c, and the discriminant below is a sum
      // of non-negative terms, so both come out with relative accuracy.
      const a = q[lo]!;
      const b = e[lo]!;
      const c = q[hi]!;
      const big = 0.5 * (a + b + c + Math.sqrt((a - c) * (a - c) + b * (b + 2 * a + 2 * c)));
      out[found++] = big + sigma;
      out[found++] = (big > 0 ? (a * c) / big : 0) + sigma;
      hi -= 2;
      continue;
    }
    if (++sweeps > maxSweeps) return false;
    if (tauFor !== hi) tau = 0;
    saveQ.set(q.subarray(lo, hi + 1), lo);
    saveE.set(e.subarray(lo, hi), lo);
    const pivots = transform(q, e, lo, hi, tau);
    if (pivots === undefined) {
      // The shift passed λ_min: undo, and retry with a quarter of it, then with none.
      q.set(saveQ.subarray(lo, hi + 1), lo);
      e.set(saveE.subarray(lo, hi), lo);
      tau = ++failures < 3 ? 0.25 * tau : 0;
      tauFor = hi;
      continue;
    }
    failures = 0;
    shift[hi] = sigma + tau;
    ({ dmin1, dmin2 } = pivots);
    tau = nextShift(q, e, hi, pivots);
    tauFor = hi;
  }
  return found === n;
}

/** The smallest pivot of a transform and whether it was the last one. */
interface Pivots {
  readonly dmin: number;
  /** Without the last row, and without the last two (Infinity when there are none). */
  readonly dmin1: number;
  readonly dmin2: number;
  readonly lastIsMin: boolean;
}

/** One dqds transform of rows lo … hi in place; undefined (and q, e partly written) when τ > λ_min. */
function transform(q: Float64Array, e: Float64Array, lo: number, hi: number, tau: number): Pivots | undefined {
  let d = q[lo]! - tau;
  if (!(d >= 0)) return undefined;
  let dmin2 = Number.POSITIVE_INFINITY;
  let dmin1 = d; // the pivots of rows lo … hi−1
  for (let i = lo; i < hi; i++) {
    const qh = d + e[i]!;
    const t = q[i + 1]! / qh;
    q[i] = qh;
    e[i] = e[i]! * t;
    d = d * t - tau;
    if (!(d >= 0)) return undefined;
    if (i === hi - 2) dmin2 = dmin1;
    if (i < hi - 1 && d < dmin1) dmin1 = d;
  }
  q[hi] = d;
  const dmin = Math.min(dmin1, d);
  return { dmin, dmin1, dmin2, lastIsMin: d === dmin };
}

/**
 * The shift for the next transform of the block ending at row hi, from the one just made. In the UL form of
 * the new array (BBᵀ: diagonal qᵢ + eᵢ, last qₙ; coupling² of rows i, i+1 is qᵢ₊₁·eᵢ) the
 * smallest eigenvalue λ satisfies λ ≥ qₙ − b²/(r − qₙ) with b² = qₙ·eₙ₋₁ and r a lower bound
 * on the spectrum of the leading block; r is estimated by its last diagonal entry less its
 * coupling above (Gershgorin), so the value is a good guess rather than a bound: a miss costs
 * one undone transform.
 */
function nextShift(q: Float64Array, e: Float64Array, hi: number, p: Pivots): number {
  if (!p.lastIsMin) return 0.25 * p.dmin;
  return bottomShift(q, e, hi, q[hi]!);
}

/** The Schur-complement estimate of λ_min at the bottom row hi, at most `cap`. */
function bottomShift(q: Float64Array, e: Float64Array, hi: number, cap: number): number {
  const dn = q[hi]!;
  const b2 = dn * e[hi - 1]!;
  // e[hi − 2] is 0 across a split, or hi − 1 is the block's top.
  const above = hi >= 2 ? Math.sqrt(q[hi - 1]! * e[hi - 2]!) : 0;
  const gap = q[hi - 1]! + e[hi - 1]! - above - dn;
  if (gap > 0 && gap * gap > b2) return Math.min(cap, Math.max(dn - b2 / gap, 0.5 * dn));
  return 0.25 * Math.min(cap, dn);
}
