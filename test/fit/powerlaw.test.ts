/**
 * src/fit/powerlaw.ts: the pruned scan (early stop, probe, bisected ranges) gives exactly the fit
 * of the plain definition — every λ but the largest an xmin candidate, the continuous MLE α̂,
 * the full Kolmogorov–Smirnov distance, the first smallest D winning — bit for bit, on seeded
 * spectra of every shape the fits meet: Marchenko–Pastur bulks, Pareto tails, spikes, ties.
 */
import { describe, expect, it } from 'vitest';
import { fitPowerLaw, POWER_LAW_MIN_EVAL } from '../../src/fit/powerlaw.js';
import { Rng } from '../generators/rng.js';

/** Clauset–Shalizi–Newman as written (DESIGN.md §3.4), with no pruning at all. */
function plainFit(evals: Float64Array): { alpha: number; xmin: number; D: number; numTail: number } | undefined {
  const x = evals.filter((v) => v > POWER_LAW_MIN_EVAL);
  const n = x.length;
  const logs = x.map(Math.log);
  const suffix = new Float64Array(n + 1);
  for (let i = n - 1; i >= 0; i--) suffix[i] = suffix[i + 1]! + logs[i]!;
  let best = -1;
  let bestD = Infinity;
  let bestAlpha = Number.NaN;
  for (let i = 0; i < n - 1; i++) {
    const m = n - i;
    const sumLog = suffix[i]! - m * logs[i]!;
    const alpha = sumLog > 0 ? 1 + m / sumLog : Infinity;
    let D = 1;
    if (alpha > 1 && Number.isFinite(alpha)) {
      D = 0;
      for (let j = i; j < n; j++) {
        const d = Math.abs(1 - Math.exp((1 - alpha) * (logs[j]! - logs[i]!)) - (j - i) / m);
        if (d > D) D = d;
      }
    }
    if (D < bestD) {
      bestD = D;
      best = i;
      bestAlpha = alpha;
    }
  }
  return best < 0 ? undefined : { alpha: bestAlpha, xmin: x[best]!, D: bestD, numTail: n - best };
}

function spectrum(rng: Rng, kind: number, n: number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.u32() / 2 ** 32;
    if (kind === 0)
      v[i] = (1 + Math.sqrt(0.5) * (2 * u - 1)) ** 2; // MP-like bulk
    else if (kind === 1)
      v[i] = (1 - u) ** (-1 / (1.5 + (i % 7) * 0.5)); // Pareto, mixed tails
    else if (kind === 2)
      v[i] = u < 0.02 ? 50 + 100 * u : u; // bulk plus spikes
    else v[i] = Math.round(u * 40) / 8 + 1e-3; // heavy ties
  }
  return v.sort();
}

describe('fitPowerLaw', () => {
  it('equals the plain definition bit for bit on 120 seeded spectra', () => {
    const rng = new Rng(3141);
    for (let c = 0; c < 120; c++) {
      const kind = c % 4;
      const n = [5, 40, 300, 1200, 2000][c % 5]!;
      const evals = spectrum(rng, kind, n);
      const want = plainFit(evals);
      const got = fitPowerLaw(evals);
      if (want === undefined) {
        expect(got.status, `case ${c}`).not.toBe('ok');
        continue;
      }
      expect(got.status, `case ${c}`).toBe('ok');
      if (got.status !== 'ok') continue;
      expect([got.alpha, got.xmin, got.D, got.numTail], `case ${c} (kind ${kind}, n ${n})`).toEqual([
        want.alpha,
        want.xmin,
        want.D,
        want.numTail,
      ]);
    }
  });
});
