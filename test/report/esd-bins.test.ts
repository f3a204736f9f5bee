/** Binning of an ESD and the Marchenko–Pastur density the plots draw. */
import { describe, expect, it } from 'vitest';
import { binCount, densities, linearBins, logBins, positiveRange, quantile } from '../../src/report/esd-bins.js';
import { bulkShare, mpCurve } from '../../src/report/mp-density.js';

const ascending = (xs: number[]) => Float64Array.from(xs).sort();

describe('bins', () => {
  it('log bins count every value in range, edges geometric', () => {
    const ev = ascending(Array.from({ length: 1000 }, (_, i) => 10 ** (-2 + (5 * i) / 999)));
    const b = logBins(ev, ev[0]!, ev[999]!, 25);
    expect(b.counts.reduce((a, c) => a + c, 0)).toBe(1000);
    expect(b.edges[1]! / b.edges[0]!).toBeCloseTo(b.edges[25]! / b.edges[24]!, 9);
    // 1000 log-uniform values: 40 a bin.
    for (const c of b.counts) expect(Math.abs(c - 40)).toBeLessThanOrEqual(1);
  });

  it('a degenerate range (all values equal) still gives one full bin', () => {
    const b = logBins([3, 3, 3], 3, 3, 10);
    expect(b.counts.reduce((a, c) => a + c, 0)).toBe(3);
  });

  it('densities integrate to the counted share', () => {
    const ev = ascending(Array.from({ length: 500 }, (_, i) => ((i * 7919) % 500) / 50 + 0.1));
    const b = linearBins(ev, 0, 5, 20);
    const d = densities(b, ev.length);
    const integral = d.reduce((a, x, i) => a + x * (b.edges[i + 1]! - b.edges[i]!), 0);
    expect(integral).toBeCloseTo(b.counts.reduce((a, c) => a + c, 0) / ev.length, 12);
  });

  it('positiveRange leaves out numerical zeros and counts them', () => {
    const r = positiveRange(ascending([0, 1e-20, 1e-3, 1, 10]));
    expect(r).toEqual({ lo: 1e-3, hi: 10, shown: 3, hidden: 2 });
    expect(positiveRange(ascending([0, 0]))).toBeUndefined();
    expect(positiveRange([])).toBeUndefined();
  });

  it('bin counts grow like √n within bounds; quantiles by nearest rank', () => {
    expect([binCount(4), binCount(500), binCount(1e6)]).toEqual([10, 23, 80]);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.95)).toBe(4);
  });
});

describe('Marchenko–Pastur density from the reported edges', () => {
  const integrate = (f: (x: number) => number, a: number, b: number, n = 200000) => {
    // Midpoint rule with cosine-spaced nodes, accurate at the square-root edges.
    let s = 0;
    for (let i = 0; i < n; i++) {
      const t0 = (1 - Math.cos((Math.PI * i) / n)) / 2;
      const t1 = (1 - Math.cos((Math.PI * (i + 1)) / n)) / 2;
      const x0 = a + (b - a) * t0;
      const x1 = a + (b - a) * t1;
      s += f((x0 + x1) / 2) * (x1 - x0);
    }
    return s;
  };

  it.each([2, 3, 8])('Q = %d: edges as given, unit mass, s and Q recovered', (Q) => {
    const s2 = 1000; // N·Var(w)
    const plus = s2 * (1 + 1 / Math.sqrt(Q)) ** 2;
    const minus = s2 * (1 - 1 / Math.sqrt(Q)) ** 2;
    const c = mpCurve({ lambdaPlus: plus, lambdaMinus: minus }, Q)!;
    expect(c.lambdaPlus).toBe(plus);
    expect(c.lambdaMinus).toBe(minus);
    expect(c.scale2).toBeCloseTo(s2, 9);
    expect(c.q).toBeCloseTo(Q, 9);
    expect(integrate((x) => c.density(x), minus, plus)).toBeCloseTo(1, 4);
    expect(c.density(minus * 0.99)).toBe(0);
    expect(c.density(plus * 1.01)).toBe(0);
  });

  it('Q = 1 (λ₋ = 0) still has unit mass', () => {
    const c = mpCurve({ lambdaPlus: 4, lambdaMinus: 0 }, 1)!;
    expect(c.q).toBeCloseTo(1, 12);
    expect(integrate((x) => c.density(x), 0, 4, 400000)).toBeCloseTo(1, 2);
  });

  it('without a usable λ₋ the layer Q decides it; without λ₊ there is no curve', () => {
    const c = mpCurve({ lambdaPlus: 2 * (1 + 1 / Math.sqrt(2)) ** 2, lambdaMinus: NaN }, 2)!;
    expect(c.lambdaMinus).toBeCloseTo(2 * (1 - 1 / Math.sqrt(2)) ** 2, 12);
    expect(mpCurve({ lambdaPlus: 0, lambdaMinus: 0 }, 2)).toBeUndefined();
    expect(mpCurve({ lambdaPlus: NaN, lambdaMinus: 0 }, 2)).toBeUndefined();
  });

  it('the bulk share counts eigenvalues within a TW width of [λ₋, λ₊]', () => {
    const c = mpCurve({ lambdaPlus: 10, lambdaMinus: 1 }, 2)!;
    const ev = ascending([0, 0.95, 2, 5, 9.9, 10.04, 10.2, 50]);
    expect(bulkShare(ev, c, 0.1)).toBe(5 / 8);
    expect(bulkShare(ev, c, 0)).toBe(3 / 8);
  });
});
