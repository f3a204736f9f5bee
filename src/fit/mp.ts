/**
 * Marchenko–Pastur fit of the ESD bulk (DESIGN.md §3.5).
 *
 * Model: if W is N×M (N ≥ M) with iid entries, the eigenvalues of WᵀW, rescaled to mean 1,
 * follow the Marchenko–Pastur law with ratio y = 1/Q = M/N and scale σ²:
 *   ρ(λ) = √((λ₊ − λ)(λ − λ₋)) / (2π σ² y λ),   λ± = σ²(1 ± √y)²
 * (Marchenko & Pastur 1967; Bai & Silverstein, *Spectral Analysis of Large Dimensional
 * Random Matrices*, ch. 3). Conventions follow WeightWatcher's `mp_fit` so numbers compare
 * directly: eigenvalues rescaled to mean 1 (λ̃ = W_scale²·λ, W_scale² = n/Σλ), σ reported in
 * those units, λ± in original units, Tracy–Widom width TW = Q^{−1/2} λ₊^{2/3} M^{−2/3}
 * (rescaled units; with σ = 1 this is exactly Johnstone's 2001 scale of λ_max), and
 * `numSpikes` = #(λ̃ > λ₊ + √TW), the reference tool's spike count.
 *
 * Method (ours, not the reference's KDE grid search): σ² is fitted by least squares between
 * the sorted bulk eigenvalues and the MP(1, y) quantiles at the same plotting positions,
 * over the central 5–95 % of the bulk. Because λ̃ = σ²·(an MP(1, y) sample), the fit is
 * linear in σ² and closed-form. The bulk is the spectrum minus the spikes above
 * λ₊ + √TW, found by iterating fit ↔ spike count to a fixed point. Eigenvalue rigidity makes
 * sample quantiles very stable (fluctuations ~ log M / M), so λ₊ comes out within about one
 * Tracy–Widom width of the true edge on pure noise, where a density fit with a fixed
 * bandwidth is biased by several widths; and since ranks, not values, decide which
 * eigenvalues enter, the spikes cannot drag σ up.
 *
 * σ is kept inside the reference tool's search range [0.05, 2]·σ_max, where σ_max puts λ₊
 * at λ_max. An ESD with no MP-like bulk at any scale in that range (rank collapse, very heavy
 * tails: the central quantiles are far below what λ_max implies) lands on the lower bound;
 * the result says so (`atBound`), as the reference tool returns the same bound silently.
 *
 * Goodness of fit: the Kolmogorov–Smirnov distance between the bulk's empirical CDF and the
 * fitted MP CDF (computed by quadrature).
 */
import type { MpResult } from '../schema/index.js';
import { fitFailed } from '../schema/words.js';

export interface MpContext {
  /** One slice's dimensions: N = max, M = min, Q = N/M. */
  readonly N: number;
  readonly M: number;
  readonly Q: number;
  readonly slices: number;
}

/** Fewer eigenvalues than this and no bulk shape can be told from noise. */
export const MP_MIN_EVALS = 10;

/** The reference tool's σ search range, as fractions of σ_max (λ₊(σ_max) = λ_max). */
export const MP_SIGMA_RANGE: readonly [number, number] = [0.05, 2];

/** Plotting positions of the bulk used by the quantile fit: its central part. */
export const MP_FIT_QUANTILES: readonly [number, number] = [0.05, 0.95];

/** Fixed-point iterations of fit ↔ spike count (it converges in 2–4 on real spectra). */
const MAX_ITERATIONS = 50;

/** Intervals of the quadrature behind the MP CDF. */
const CDF_INTERVALS = 2048;

/**
 * The MP(σ = 1, y = 1/Q) CDF tabulated at nodes λ₀ = λ₋ < … < λ_K = λ₊, from the midpoint rule
 * in θ with λ = λ₋ + (λ₊ − λ₋)(1 − cos θ)/2, which absorbs both square-root edges and, for
 * Q = 1, the λ^{−1/2} pole at 0: the integrand becomes ((λ₊ − λ₋)/2)² sin²θ / (2π y λ).
 */
export interface MpCdfTable {
  readonly lambda: Float64Array;
  readonly cdf: Float64Array;
  readonly lambdaMinus: number;
  readonly lambdaPlus: number;
}

export function mpCdfTable(Q: number, intervals: number = CDF_INTERVALS): MpCdfTable {
  const y = 1 / Q;
  const lm = (1 - Math.sqrt(y)) ** 2;
  const lp = (1 + Math.sqrt(y)) ** 2;
  const half = (lp - lm) / 2;
  const h = Math.PI / intervals;
  const lambda = new Float64Array(intervals + 1);
  const cdf = new Float64Array(intervals + 1);
  let acc = 0;
  for (let j = 0; j <= intervals; j++) {
    lambda[j] = lm + half * (1 - Math.cos(j * h));
    if (j > 0) {
      const th = (j - 0.5) * h;
      const l = lm + half * (1 - Math.cos(th));
      const s = Math.sin(th);
      acc += ((half * half * s * s) / (2 * Math.PI * y * l)) * h;
      cdf[j] = acc;
    }
  }
  // Normalise away the quadrature error (≈1e-6), so the CDF ends exactly at 1.
  for (let j = 0; j <= intervals; j++) cdf[j] = cdf[j]! / acc;
  return { lambda, cdf, lambdaMinus: lm, lambdaPlus: lp };
}

/** F(x) of the tabulated MP(1, y) law. */
export function mpCdf(table: MpCdfTable, x: number): number {
  const { lambda, cdf } = table;
  if (!(x > lambda[0]!)) return 0;
  if (x >= lambda[lambda.length - 1]!) return 1;
  return between(lambda, cdf, lastAtOrBelow(lambda, x), x);
}

/** F⁻¹(p) of the tabulated MP(1, y) law. */
export function mpQuantile(table: MpCdfTable, p: number): number {
  const { lambda, cdf } = table;
  if (!(p > 0)) return lambda[0]!;
  if (p >= 1) return lambda[lambda.length - 1]!;
  return between(cdf, lambda, lastAtOrBelow(cdf, p), p);
}

/**
 * mpQuantile and mpCdf at arguments that never decrease (the fit's plotting positions, the
 * sorted bulk), each search going on from the node pair of the one before. The pair is the
 * unique lo with node[lo] ≤ x < node[lo + 1] (the table is non-decreasing, its ends outside
 * (0, 1)), which the bisection finds too: the same pair, the same value, bit for bit, for
 * O(n + K) work over n arguments instead of O(n log K). An argument below the last one starts
 * the walk over (never in the fit). Why: the bisections were most of ISNet's MP fits, ~68 ms
 * of its main thread (`perf`, bench/README.md "Fifteenth round").
 */
export class MpWalk {
  private q = 0;
  private c = 0;

  constructor(private readonly table: MpCdfTable) {}

  /** mpQuantile(table, p). */
  quantile(p: number): number {
    const { lambda, cdf } = this.table;
    if (!(p > 0)) return lambda[0]!;
    if (p >= 1) return lambda[lambda.length - 1]!;
    this.q = lastAtOrBelowFrom(cdf, this.q, p);
    return between(cdf, lambda, this.q, p);
  }

  /** mpCdf(table, x). */
  cdf(x: number): number {
    const { lambda, cdf } = this.table;
    if (!(x > lambda[0]!)) return 0;
    if (x >= lambda[lambda.length - 1]!) return 1;
    this.c = lastAtOrBelowFrom(lambda, this.c, x);
    return between(lambda, cdf, this.c, x);
  }
}

/** The last node index lo with nodes[lo] ≤ v, by bisection (nodes[0] ≤ v < nodes[K] assumed). */
function lastAtOrBelow(nodes: Float64Array, v: number): number {
  let lo = 0;
  let hi = nodes.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (nodes[mid]! <= v) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** lastAtOrBelow by walking on from `start` (from 0 when nodes[start] > v): the same index. */
function lastAtOrBelowFrom(nodes: Float64Array, start: number, v: number): number {
  let lo = nodes[start]! <= v ? start : 0;
  while (nodes[lo + 1]! <= v) lo++;
  return lo;
}

/** `to` at v, linear between nodes lo and lo + 1 of `from` (0 of the way across a zero-width step). */
function between(from: Float64Array, to: Float64Array, lo: number, v: number): number {
  const span = from[lo + 1]! - from[lo]!;
  const t = span > 0 ? (v - from[lo]!) / span : 0;
  return to[lo]! + t * (to[lo + 1]! - to[lo]!);
}

/** Tracy–Widom width at the edge λ₊ (rescaled units): Q^{−1/2} λ₊^{2/3} M^{−2/3}. */
export function tracyWidomWidth(lambdaPlus: number, Q: number, M: number): number {
  return Math.pow(Q, -0.5) * Math.pow(lambdaPlus, 2 / 3) * Math.pow(M, -2 / 3);
}

/** Fits the MP law to the bulk of ascending eigenvalues `evals`. Never throws. */
export function fitMarchenkoPastur(evals: Float64Array, ctx: MpContext): MpResult {
  const n = evals.length;
  const { Q, M } = ctx;
  if (!(Q >= 1) || !Number.isFinite(Q) || !(M >= 1)) {
    return fitFailed({ code: 'invalid-shape', M, Q });
  }
  if (n < MP_MIN_EVALS) return fitFailed({ code: 'too-few-eigenvalues', count: n, need: MP_MIN_EVALS });
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = evals[i]!;
    if (!Number.isFinite(v)) return fitFailed({ code: 'non-finite' });
    sum += Math.max(0, v);
  }
  if (!(sum > 0)) return fitFailed({ code: 'all-zero' });
  // Subnormal eigenvalues (entries ≈ 1e-158): the fit itself would work on λ/Σλ, but its
  // reported scale n/Σλ is not a float64.
  if (!Number.isFinite(n / sum)) return fitFailed({ code: 'underflow' });

  // λ̃ = scale·λ has mean 1. Sorted defensively (the pipeline already passes them ascending).
  const scale = n / sum;
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = Math.max(0, evals[i]!) * scale;
  t.sort();
  const lambdaMaxT = t[n - 1]!;

  const y = 1 / Q;
  const edge = (1 + Math.sqrt(y)) ** 2;
  const sigmaMax = Math.sqrt(lambdaMaxT / edge);
  const sigmaLo = MP_SIGMA_RANGE[0] * sigmaMax;
  const sigmaHi = MP_SIGMA_RANGE[1] * sigmaMax;
  const table = mpCdfTable(Q);

  // Fixed point: bulk = all but the top k; σ from the bulk's quantiles; k = #spikes(σ).
  const minBulk = 3;
  let k = 0;
  let sigma = 1;
  const seen = new Set<number>();
  for (let it = 0; it < MAX_ITERATIONS; it++) {
    seen.add(k);
    sigma = clamp(quantileSigma(t, n - k, table), sigmaLo, sigmaHi);
    const next = Math.min(n - minBulk, countAbove(t, spikeThreshold(sigma, Q, M)));
    if (next === k || seen.has(next)) {
      k = next;
      break;
    }
    k = next;
  }
  // The spike count always matches the σ reported.
  const lambdaPlusT = sigma * sigma * edge;
  const lambdaMinusT = sigma * sigma * (1 - Math.sqrt(y)) ** 2;
  const tw = tracyWidomWidth(lambdaPlusT, Q, M);
  const numSpikes = countAbove(t, lambdaPlusT + Math.sqrt(tw));
  const bulkSize = n - numSpikes;
  const bulkKS = bulkSize > 0 ? ksDistance(t, bulkSize, table, sigma * sigma) : 1;
  const atBound = sigma <= sigmaLo * (1 + 1e-12) ? 'lower' : sigma >= sigmaHi * (1 - 1e-12) ? 'upper' : undefined;

  return {
    status: 'ok',
    sigma,
    lambdaPlus: lambdaPlusT / scale,
    lambdaMinus: lambdaMinusT / scale,
    twWidth: tw / scale,
    numSpikes,
    softRank: lambdaPlusT / lambdaMaxT,
    bulkKS,
    scale,
    bulkSize,
    ...(atBound ? { atBound } : {}),
  };
}

/** λ₊ + √TW in rescaled units (the reference tool's spike threshold). */
function spikeThreshold(sigma: number, Q: number, M: number): number {
  const lp = sigma * sigma * (1 + 1 / Math.sqrt(Q)) ** 2;
  return lp + Math.sqrt(tracyWidomWidth(lp, Q, M));
}

/** Least-squares σ from the lowest m sorted values against MP(1, y) quantiles. */
function quantileSigma(t: Float64Array, m: number, table: MpCdfTable): number {
  let sxq = 0;
  let sqq = 0;
  let used = 0;
  const [pLo, pHi] = MP_FIT_QUANTILES;
  const walk = new MpWalk(table);
  for (let i = 0; i < m; i++) {
    const p = (i + 0.5) / m;
    if (p < pLo || p > pHi) continue;
    const q = walk.quantile(p);
    sxq += t[i]! * q;
    sqq += q * q;
    used++;
  }
  if (used < 3) {
    // Tiny bulks: use every point.
    sxq = 0;
    sqq = 0;
    const all = new MpWalk(table);
    for (let i = 0; i < m; i++) {
      const q = all.quantile((i + 0.5) / m);
      sxq += t[i]! * q;
      sqq += q * q;
    }
  }
  return sqq > 0 && sxq > 0 ? Math.sqrt(sxq / sqq) : 0;
}

function countAbove(sorted: Float64Array, threshold: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! > threshold) hi = mid;
    else lo = mid + 1;
  }
  return sorted.length - lo;
}

/** sup |F_emp − F_MP(·/σ²)| over the lowest m sorted values (both sides of each step). */
function ksDistance(t: Float64Array, m: number, table: MpCdfTable, sigma2: number): number {
  let d = 0;
  const walk = new MpWalk(table);
  for (let i = 0; i < m; i++) {
    const F = walk.cdf(t[i]! / sigma2);
    d = Math.max(d, Math.abs(F - i / m), Math.abs(F - (i + 1) / m));
  }
  return d;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
