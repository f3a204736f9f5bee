/** Special functions vs scipy.special 1.17 / mpmath (values pinned here), relative 1e-13. */
import { describe, expect, it } from 'vitest';
import { chiSquare1Survival, digamma, erfc, gammaQ, lnGamma } from '../../src/fit/special-functions.js';
import { tplMoments } from '../../src/fit/truncated-powerlaw.js';

const close = (a: number, b: number, rel = 1e-13) =>
  expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThanOrEqual(rel * Math.abs(b));

describe('special functions (scipy.special reference values)', () => {
  it('erfc, χ²₁ survival, Q(a, x), ln Γ, ψ', () => {
    [0.8875370839817152, 0.15729920705028516, 2.2090496998585445e-5, 2.1519736712498913e-17].forEach((v, i) =>
      close(erfc([0.1, 1, 3, 6][i]!), v),
    );
    close(erfc(-1), 2 - 0.15729920705028516);
    [0.47950012218695337, 0.05004352124870519, 0.0005320055051392492].forEach((v, i) =>
      close(chiSquare1Survival([0.5, 3.84, 12][i]!), v),
    );
    expect(chiSquare1Survival(0)).toBe(1);
    [0.04550026389635857, 0.9196986029286058, 0.17193268937660083].forEach((v, i) =>
      close(gammaQ([0.5, 3, 7.5][i]!, [2, 1, 10][i]!), v),
    );
    [1.5240638224307845, 1.2009736023470743, 359.1342053695754].forEach((v, i) =>
      close(lnGamma([0.2, 3.5, 100][i]!), v),
    );
    [-5.289039896592189, 0.03648997397857652, 4.8323084040031].forEach((v, i) =>
      close(digamma([0.2, 1.5, 126][i]!), v, 1e-12),
    );
  });

  it('the TPL normaliser ln K(α, λ) = λ + (α−1) ln λ + ln Γ(1−α, λ) matches mpmath to 1e-14 absolute, negative 1−α included', () => {
    // [α, λ, ln K] with mpmath.gammainc at 30 digits.
    const ref: [number, number, number][] = [
      [1.5, 0.01, 0.52011094626487356],
      [2.5, 1e-6, -0.40546710456924607],
      [0.5, 0.3, 0.65013380069974597],
      [-3, 5, -0.97391984471079143],
      [0, 2, -Math.LN2],
      [1, 1e-8, 2.8816373497404153],
      [3.7, 40, -3.7754855901590319],
      [-200, 100, 37.592779808799109],
      [2, 0.001, -0.0063580436609042895],
      [-0.5, 0.0001, 13.694827568121101],
      [4, 0.5, -1.3003392150605384],
    ];
    for (const [a, l, logK] of ref)
      expect(Math.abs(tplMoments(a, l).logK - logK), `α ${a}, λ ${l}`).toBeLessThan(
        1e-14 * Math.max(1, Math.abs(logK)),
      );
  });
});
