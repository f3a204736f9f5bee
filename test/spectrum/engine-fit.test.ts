/**
 * The power-law fit on the engine's workers (engine.powerLaw) is the fit on this thread:
 * the same function on the same eigenvalues, so the same result to the last bit.
 */
import { describe, expect, it } from 'vitest';
import { createSpectrumEngine, FIT_INLINE_BELOW } from '../../src/spectrum/engine.js';
import { fitPowerLaw } from '../../src/fit/powerlaw.js';
import { Rng } from '../generators/rng.js';

/** n ascending values with a Pareto(μ) tail over a uniform bulk. */
function spectrum(n: number, mu: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const x = Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? rng.uniform() ** (-1 / mu) : rng.uniform()));
  return x.sort();
}

describe('engine.powerLaw', () => {
  it('on a worker (n ≥ FIT_INLINE_BELOW) and inline: identical to fitPowerLaw here', async () => {
    const engine = createSpectrumEngine({ jobs: 2, warmUp: false });
    try {
      const cases = [spectrum(FIT_INLINE_BELOW + 300, 2.5, 1), spectrum(3000, 4, 2), spectrum(40, 3, 3)];
      const got = await Promise.all(cases.map((e) => engine.powerLaw(e)));
      for (const [i, evals] of cases.entries()) expect(got[i]).toEqual(fitPowerLaw(evals));
      // The caller keeps its eigenvalues (a copy went to the worker).
      expect(cases[1]!.length).toBe(3000);
      // A failure is a result too.
      expect(await engine.powerLaw(new Float64Array([0, 0, 1e-9]))).toEqual(
        fitPowerLaw(new Float64Array([0, 0, 1e-9])),
      );
    } finally {
      await engine.close();
    }
  });
});
