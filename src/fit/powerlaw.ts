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
 * whose term at the previous candidate's peak already reaches it is not scanned at all, and
 * within a scan a block of terms that provably stays below the running maximum is skipped;
 * all keep the result exact (the winner's D is always the full maximum) and cut the work.
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
 * The KS scan's blocks (see fitPowerLaw): a block is skipped when a bound from its two ends
 * shows that none of its terms can exceed the distance found so far. Measured on ISNet's 113
 * layers (bench/README.md, "Whole models"): most of a full scan lies well below its peak.
 */
const KS_BLOCK = 32;

/**
 * Margin on a block's bound before it is skipped: exp and log are monotone only to within an
 * ulp, and the terms are ≤ 1, so 1e-12 covers any such rounding many times over — a block is
 * skipped only when no term in it could even tie the distance found so far.
 */
const KS_BOUND_SLACK = 1e-12;

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
  let probe = 0;
  for (let i = 0; i < n - 1; i++) {
    const m = n - i;
    const li = logs[i]!;
    const sumLog = suffix[i]! - m * li;
    const alpha = sumLog > 0 ? 1 + m / sumLog : Infinity;
    let D: number;
    if (!(alpha > 1) || !Number.isFinite(alpha)) {
      D = 1;
    } else {
      const e = 1 - alpha;
      // Where the previous candidate's distance peaked (or reached bestD), this one's is
      // usually large too: one term there that reaches bestD rules the candidate out.
      D = probe > i ? Math.abs(1 - Math.exp(e * (logs[probe]! - li)) - (probe - i) / m) : 0;
      if (D < bestD) {
        D = 0;
        scan: for (let j0 = i; j0 < n; j0 += KS_BLOCK) {
          const j1 = Math.min(n, j0 + KS_BLOCK) - 1;
          // Both CDFs grow with j, so within [j0, j1] the distance is at most the larger of
          // (fitted at j1 − empirical at j0) and (empirical at j1 − fitted at j0): a block
          // whose bound cannot beat D is not scanned. D, and where it peaks, come out the same.
          if (j1 > j0 + 1) {
            const lo = 1 - Math.exp(e * (logs[j0]! - li));
            const hi = 1 - Math.exp(e * (logs[j1]! - li));
            if (Math.max(hi - (j0 - i) / m, (j1 - i) / m - lo) + KS_BOUND_SLACK <= D) continue;
          }
          for (let j = j0; j <= j1; j++) {
            const theory = 1 - Math.exp(e * (logs[j]! - li));
            const d = Math.abs(theory - (j - i) / m);
            if (d > D) {
              D = d;
              probe = j;
              // Dᵢ only grows with j and must beat bestD strictly to win: stop early (exact).
              if (D >= bestD) break scan;
            }
          }
        }
      }
    }
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
