/**
 * Power-law fit of the ESD tail by the method of Clauset, Shalizi & Newman (SIAM Review
 * 51, 2009), as WeightWatcher runs it through the `powerlaw` package's default Fit
 * (DESIGN.md §3.4):
 *  - data: eigenvalues λ > 1e-5, sorted;
 *  - every λᵢ but the largest is an xmin candidate (ties kept);
 *  - for each, the continuous MLE α̂ᵢ = 1 + n / Σ_{j≥i} ln(λⱼ/λᵢ) on the n-point tail, and
 *    the Kolmogorov–Smirnov distance Dᵢ = maxⱼ |1 − (λⱼ/λᵢ)^{1−α̂ᵢ} − (j−i)/n| between
 *    the fitted CDF and the left-step empirical CDF (Dᵢ = 1 when α̂ᵢ ≤ 1);
 *  - the first candidate with the smallest D wins.
 * Cost: O(n²) exponentials at worst, with logs and suffix sums precomputed; a candidate's
 * scan stops as soon as its D reaches the best so far (it cannot win then), a candidate
 * whose term at the previous candidate's peak already reaches it is not scanned at all, the
 * scan starts from that term, and it bisects the tail, skipping every range of terms that
 * provably stays below the running maximum; all keep the result exact (Dᵢ is the largest
 * term, whatever the order the terms are visited in) and cut the work.
 */

import type { FitFailure, PowerLawOk } from '../schema/index.js';
import { fitFailed } from '../schema/words.js';

/** Eigenvalues at or below this are treated as zero by the fit (WeightWatcher's EVALS_THRESH). */
export const POWER_LAW_MIN_EVAL = 1e-5;

/** A tail needs at least this many points for α and D to mean anything. */
export const MIN_TAIL = 2;

/** The fit as reported (PowerLawOk without the tail-model comparison), plus the tail it used. */
export interface PowerLawFit extends Omit<PowerLawOk, 'status' | 'bestFit' | 'alternatives'> {
  /** The tail the fit used (ascending, length numTail). */
  readonly tail: Float64Array;
}

export type PowerLawFitResult = ({ status: 'ok' } & PowerLawFit) | FitFailure;

/**
 * The KS scan (see fitPowerLaw) bisects [i, n) while a range's bound, from the fitted CDF at
 * its two ends, could still beat the distance found so far; ranges of at most this many
 * terms are evaluated term by term. Measured on ISNet's 113 fits (bench/README.md, eleventh
 * round): 4.2M exponentials against 18.8M with fixed blocks of 32.
 */
const KS_LEAF = 2;

/**
 * Margin on a range's bound before it is skipped: exp and log are monotone only to within an
 * ulp, and the terms are ≤ 1, so 1e-12 covers any such rounding many times over — a range is
 * skipped only when no term in it could even tie the distance found so far.
 */
const KS_BOUND_SLACK = 1e-12;

/**
 * The Kolmogorov–Smirnov distance of each candidate, over the fit's logs. A class of its own so
 * that fitPowerLaw stays small: V8 compiles each once per thread, and the scan alone (with
 * its exp per term) is the hot loop.
 */
class KsScan {
  /** The fitted CDF at j for the current candidate, once computed (tag: the candidate + 1). */
  private readonly fitted: Float64Array;
  private readonly tag: Int32Array;
  /** Ranges still to look at, as (first, last) pairs: a bisection holds at most two per level. */
  private readonly stack = new Int32Array(4 * 32 + 4);
  private tagNow = 0;
  private e = 0;
  private li = 0;
  /** Where the last scanned distance peaked (or reached the bound it was given). */
  probe = 0;

  constructor(private readonly logs: Float64Array) {
    this.fitted = new Float64Array(logs.length);
    this.tag = new Int32Array(logs.length);
  }

  /**
   * Dᵢ of candidate i (exponent e = 1 − α̂ᵢ), or a value ≥ bestD as soon as Dᵢ is known to
   * reach it (the candidate cannot win then).
   */
  distance(i: number, e: number, bestD: number): number {
    const n = this.logs.length;
    const m = n - i;
    this.tagNow = i + 1;
    this.e = e;
    this.li = this.logs[i]!;
    // Where the previous candidate's distance peaked, this one's is usually large too: one
    // term there that reaches bestD rules the candidate out, and otherwise the scan's maximum
    // starts from it (Dᵢ is the largest term, whichever order the terms are visited in).
    const probe = this.probe;
    let D = probe > i ? Math.abs(this.cdf(probe) - (probe - i) / m) : 0;
    if (D >= bestD) return D;
    const stack = this.stack;
    let top = 0;
    stack[top++] = i;
    stack[top++] = n - 1;
    while (top > 0) {
      const j1 = stack[--top]!;
      const j0 = stack[--top]!;
      if (j1 - j0 < KS_LEAF) {
        for (let j = j0; j <= j1; j++) {
          const d = Math.abs(this.cdf(j) - (j - i) / m);
          if (d > D) {
            D = d;
            this.probe = j;
            // Dᵢ only grows and must beat bestD strictly to win: stop early (exact).
            if (D >= bestD) return D;
          }
        }
        continue;
      }
      // Both CDFs grow with j, so within [j0, j1] the distance is at most the larger of
      // (fitted at j1 − empirical at j0) and (empirical at j1 − fitted at j0): a range whose
      // bound cannot beat D holds no larger term. Otherwise its halves, the left one first.
      if (Math.max(this.cdf(j1) - (j0 - i) / m, (j1 - i) / m - this.cdf(j0)) + KS_BOUND_SLACK <= D) continue;
      const mid = (j0 + j1) >> 1;
      stack[top++] = mid + 1;
      stack[top++] = j1;
      stack[top++] = j0;
      stack[top++] = mid;
    }
    return D;
  }

  /** The fitted CDF 1 − (λⱼ/λᵢ)^{1−α̂ᵢ} at j, computed once per candidate. */
  private cdf(j: number): number {
    if (this.tag[j] === this.tagNow) return this.fitted[j]!;
    this.tag[j] = this.tagNow;
    return (this.fitted[j] = 1 - Math.exp(this.e * (this.logs[j]! - this.li)));
  }
}

/** Fits a power law to the tail of ascending eigenvalues `evals`. */
export function fitPowerLaw(evals: Float64Array): PowerLawFitResult {
  let start = 0;
  while (start < evals.length && !(evals[start]! > POWER_LAW_MIN_EVAL)) start++;
  const x = evals.subarray(start);
  const n = x.length;
  if (n < MIN_TAIL + 1) {
    return fitFailed({ code: 'too-few-eigenvalues', count: n, above: POWER_LAW_MIN_EVAL });
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i]!)) return fitFailed({ code: 'non-finite' });
  }
  const logs = new Float64Array(n);
  for (let i = 0; i < n; i++) logs[i] = Math.log(x[i]!);
  // suffix[i] = Σ_{j≥i} ln λⱼ
  const suffix = new Float64Array(n + 1);
  for (let i = n - 1; i >= 0; i--) suffix[i] = suffix[i + 1]! + logs[i]!;

  let best = -1;
  let bestD = Infinity;
  let bestAlpha = NaN;
  const ks = new KsScan(logs);
  for (let i = 0; i < n - 1; i++) {
    const m = n - i;
    const sumLog = suffix[i]! - m * logs[i]!;
    const alpha = sumLog > 0 ? 1 + m / sumLog : Infinity;
    const D = !(alpha > 1) || !Number.isFinite(alpha) ? 1 : ks.distance(i, 1 - alpha, bestD);
    if (D < bestD) {
      bestD = D;
      best = i;
      bestAlpha = alpha;
    }
  }
  if (best < 0 || !Number.isFinite(bestAlpha)) {
    return fitFailed({ code: 'no-finite-alpha' });
  }
  const numTail = n - best;
  return {
    status: 'ok',
    alpha: bestAlpha,
    xmin: x[best]!,
    xmax: x[n - 1]!,
    D: bestD,
    sigma: (bestAlpha - 1) / Math.sqrt(numTail),
    numTail,
    tail: x.slice(best),
  };
}
