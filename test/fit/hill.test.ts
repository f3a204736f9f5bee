/**
 * Hill α with xmin at the median (issue 16, item 4), against a direct evaluation of the
 * formula in the issue, on seeded spectra with known tails.
 */
import { describe, expect, it } from 'vitest';
import { hillAlpha } from '../../src/fit/hill.js';
import { createRng } from '../../src/random.js';

/** The formula, written out independently: i = ⌊n/2⌋, α = 1 + (n − i) / Σ_{j≥i} ln(λⱼ/λᵢ). */
function direct(sorted: number[]): number {
  const n = sorted.length;
  const i = Math.floor(n / 2);
  const terms = sorted.slice(i).map((l) => Math.log(l / sorted[i]!));
  return 1 + (n - i) / terms.reduce((a, b) => a + b, 0);
}

describe('Hill α (xmin at the median)', () => {
  it('equals the formula on seeded spectra, odd and even n (1e-12)', () => {
    const rng = createRng(16);
    for (const n of [3, 4, 10, 101, 1000]) {
      const evals = Array.from({ length: n }, () => Math.exp(3 * rng.nextGaussian())).sort((a, b) => a - b);
      const h = hillAlpha(Float64Array.from(evals));
      expect(h.xmin).toBe(evals[Math.floor(n / 2)]);
      expect(Math.abs(h.alpha! - direct(evals)) / direct(evals)).toBeLessThan(1e-12);
    }
  });

  it('recovers the exponent of a Pareto sample above its median (ρ(λ) ∼ λ^−α, α = 2.5)', () => {
    const rng = createRng(3);
    const alpha = 2.5;
    const evals = Float64Array.from({ length: 200_000 }, () => (1 - rng.next()) ** (-1 / (alpha - 1))).sort();
    // Above any xmin a Pareto tail is Pareto with the same α: the estimate converges to it.
    expect(hillAlpha(evals).alpha!).toBeCloseTo(alpha, 1);
  });

  it('is null, not Infinity or NaN, when the median eigenvalue is 0 or the upper half is flat', () => {
    expect(hillAlpha(Float64Array.from([0, 0, 0, 1, 2]))).toEqual({ alpha: null, xmin: 0 });
    expect(hillAlpha(Float64Array.from([1, 2, 3, 3, 3]))).toEqual({ alpha: null, xmin: 3 });
    expect(hillAlpha(Float64Array.from([5]))).toEqual({ alpha: null, xmin: 5 });
  });
});
