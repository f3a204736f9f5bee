/**
 * Seeded samples from the three tail models with known parameters (inverse CDF for PL and
 * EXP, rejection for TPL), as in the `powerlaw` package's test_synthetic_data.py.
 */
import { createRng } from '../../src/random.js';

/** p(x) = (α−1)/xmin · (x/xmin)^{−α}, x ≥ xmin: x = xmin·(1−u)^{−1/(α−1)}. */
export function samplePowerLaw(n: number, alpha: number, xmin: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = xmin * Math.pow(1 - rng.next(), -1 / (alpha - 1));
  return out.sort();
}

/** p(x) = Λe^{−Λ(x−xmin)}, x ≥ xmin. */
export function sampleExponential(n: number, lambda: number, xmin: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = xmin - Math.log(1 - rng.next()) / lambda;
  return out.sort();
}

/**
 * p(x) ∝ x^{−α}e^{−Λx}, x ≥ xmin, by rejection: for α > 1 propose the power law and accept
 * with probability e^{−Λ(x−xmin)}; for 0 ≤ α ≤ 1 propose the exponential and accept with
 * probability (x/xmin)^{−α}.
 */
export function sampleTruncatedPowerLaw(
  n: number,
  alpha: number,
  lambda: number,
  xmin: number,
  seed: number,
): Float64Array {
  if (alpha < 0) throw new RangeError('sampler needs α ≥ 0');
  const rng = createRng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; ) {
    if (alpha > 1) {
      const x = xmin * Math.pow(1 - rng.next(), -1 / (alpha - 1));
      if (rng.next() < Math.exp(-lambda * (x - xmin))) out[i++] = x;
    } else {
      const x = xmin - Math.log(1 - rng.next()) / lambda;
      if (rng.next() < Math.pow(x / xmin, -alpha)) out[i++] = x;
    }
  }
  return out.sort();
}
