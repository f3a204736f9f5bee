/**
 * Log-likelihood ratio tests between two models fitted to the same tail (Clauset, Shalizi &
 * Newman 2009, §5; Vuong, Econometrica 57, 1989):
 *
 *  - R = Σᵢ (ℓ₁ᵢ − ℓ₂ᵢ) over the tail points: positive favours model 1;
 *  - non-nested models (Vuong): under "both are equally close to the truth", R/(σ̂√n) is
 *    asymptotically N(0, 1), σ̂² the variance of the pointwise differences; two-sided
 *    p = erfc(|R| / (σ̂√(2n))). This is the `powerlaw` package's `loglikelihood_ratio`.
 *  - nested models (the smaller is the larger with one parameter fixed): 2(ℓ_big − ℓ_small)
 *    is χ²₁ under the smaller model (Wilks 1938); when the fixed value lies on the boundary
 *    of the parameter space (PL = TPL at Λ = 0, Λ ≥ 0) it is the mixture ½χ²₀ + ½χ²₁
 *    (Chernoff 1954; Self & Liang, JASA 82, 1987), so p is halved. (`powerlaw` uses plain χ²₁
 *    there: conservative by a factor 2.)
 * Caveat: the p-values assume independent points; the eigenvalues of one matrix repel, so
 * they are a yardstick for choosing a model, not an exact error rate.
 */
import { chiSquare1Survival, erfc } from './special-functions.js';

/** Outcome of one likelihood-ratio test; R = ℓ(first) − ℓ(second). */
export interface LikelihoodRatio {
  readonly R: number;
  /** R / (σ̂√n) for the Vuong test; for nested tests sign(R)·√(2|R|). Both are z-scores. */
  readonly normalizedR: number;
  /** Significance of R ≠ 0 (two-sided for Vuong; of the larger model's gain when nested). */
  readonly p: number;
  readonly test: 'vuong' | 'nested' | 'nested-boundary';
}

/** Vuong's test for non-nested models from their pointwise log-likelihoods. */
export function vuongTest(ll1: Float64Array, ll2: Float64Array): LikelihoodRatio {
  const n = ll1.length;
  if (n === 0 || ll2.length !== n) return { R: 0, normalizedR: 0, p: 1, test: 'vuong' };
  let R = 0;
  for (let i = 0; i < n; i++) R += ll1[i]! - ll2[i]!;
  const mean = R / n;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = ll1[i]! - ll2[i]! - mean;
    v += d * d;
  }
  const sd = Math.sqrt(v / n);
  if (!(sd > 0))
    return { R, normalizedR: R === 0 ? 0 : Math.sign(R) * Number.MAX_VALUE, p: R === 0 ? 1 : 0, test: 'vuong' };
  const z = R / (sd * Math.sqrt(n));
  return { R, normalizedR: z, p: erfc(Math.abs(z) / Math.SQRT2), test: 'vuong' };
}

/**
 * Nested test from total log-likelihoods: R = ℓ_small − ℓ_big (≤ 0 up to rounding; the
 * first model is the smaller one, as in "PL vs TPL"). `boundary`: the constraint sits on
 * the edge of the parameter space (½χ²₀ + ½χ²₁).
 */
export function nestedTest(llSmall: number, llBig: number, boundary: boolean): LikelihoodRatio {
  const R = llSmall - llBig;
  const stat = Math.max(0, -2 * R);
  const p = stat === 0 ? 1 : (boundary ? 0.5 : 1) * chiSquare1Survival(stat);
  return { R, normalizedR: Math.sign(R) * Math.sqrt(stat) || 0, p, test: boundary ? 'nested-boundary' : 'nested' };
}
