/**
 * Maximum-likelihood exponential tail (Clauset, Shalizi & Newman 2009, Table 1):
 *
 *     p(x) = Λ e^{−Λ(x − xmin)},  x ≥ xmin,   Λ̂ = 1 / mean(x − xmin)  (closed form),
 *
 * the light-tailed alternative the power law is compared with. It is also the α = 0 member
 * of the truncated power law, so the two are nested.
 */
import type { TailFitFailure } from '../schema/words.js';

export interface ExponentialFit {
  /** Rate Λ, in 1/(eigenvalue units). */
  readonly lambda: number;
  /** Total log-likelihood n ln Λ − n of the tail (densities in eigenvalue units). */
  readonly logLikelihood: number;
}

export function fitExponential(
  tail: Float64Array,
  xmin: number,
): ({ status: 'ok' } & ExponentialFit) | ({ status: 'failed' } & TailFitFailure) {
  const n = tail.length;
  if (n < 1) return { status: 'failed', code: 'short-tail', size: n };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += tail[i]! - xmin;
  const mean = sum / n;
  if (!(mean > 0) || !Number.isFinite(mean)) return { status: 'failed', code: 'all-equal-xmin' };
  const lambda = 1 / mean;
  return { status: 'ok', lambda, logLikelihood: n * Math.log(lambda) - n };
}

/** Pointwise log-likelihoods ln Λ − Λ(xᵢ − xmin). */
export function exponentialLogLikelihoods(tail: Float64Array, xmin: number, fit: ExponentialFit): Float64Array {
  const out = new Float64Array(tail.length);
  const logL = Math.log(fit.lambda);
  for (let i = 0; i < tail.length; i++) out[i] = logL - fit.lambda * (tail[i]! - xmin);
  return out;
}
