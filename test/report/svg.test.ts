/** SVG building blocks: escaping, labels, scales and their ticks, compact paths. */
import { describe, expect, it } from 'vitest';
import { escapeXml } from '../../src/report/svg/escape.js';
import { formatLabel, powerOfTen, superscript } from '../../src/report/svg/format.js';
import { linearScale, logScale, niceStep } from '../../src/report/svg/scale.js';
import { barsPath, num, polylinePath } from '../../src/report/svg/path.js';

describe('escapeXml', () => {
  it('escapes markup and quotes, and neutralises control characters', () => {
    expect(escapeXml(`<img src=x onerror="alert('1')">&`)).toBe(
      '&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;',
    );
    expect(escapeXml('a\u0000b\u001bc\td\ne')).toBe('a\ufffdb\ufffdc\td\ne');
  });
});

describe('labels', () => {
  it('powers of ten use superscripts', () => {
    expect(superscript(-12)).toBe('⁻¹²');
    expect([powerOfTen(-3), powerOfTen(0), powerOfTen(1), powerOfTen(11)]).toEqual(['10⁻³', '1', '10', '10¹¹']);
  });
  it('plain decimals in [1e-3, 1e5), m×10ᵏ outside', () => {
    expect(formatLabel(0)).toBe('0');
    expect(formatLabel(3054.655, 4)).toBe('3055');
    expect(formatLabel(0.0123)).toBe('0.0123');
    expect(formatLabel(1.242e11, 4)).toBe('1.242×10¹¹');
    expect(formatLabel(2e-6)).toBe('2×10⁻⁶');
    expect(formatLabel(1e-6)).toBe('10⁻⁶');
    expect(formatLabel(9.9999e5, 3)).toBe('10⁶');
  });
});

describe('scales', () => {
  it('linear: maps the domain onto the range, nice ticks inside it', () => {
    const s = linearScale([0, 7700], [50, 450]);
    expect(s.map(0)).toBe(50);
    expect(s.map(7700)).toBe(450);
    expect(s.ticks().map((t) => t.value)).toEqual([0, 2000, 4000, 6000]);
    expect(
      linearScale([0, 0.3], [0, 1])
        .ticks()
        .map((t) => t.label),
    ).toEqual(['0', '0.1', '0.2', '0.3']);
    expect([niceStep(7, 5), niceStep(16, 10), niceStep(0.7, 11)]).toEqual([2, 2, 0.1]);
  });

  it('linear: a zero-width domain still maps', () => {
    const s = linearScale([5, 5], [0, 100]);
    expect(Number.isFinite(s.map(5))).toBe(true);
  });

  it('log: decades labelled 10ᵏ, thinned on wide axes, with unlabelled minor ticks on narrow ones', () => {
    const s = logScale([50, 30000], [0, 300]);
    expect(s.map(50)).toBeCloseTo(0, 9);
    expect(s.map(30000)).toBeCloseTo(300, 9);
    const labelled = s.ticks().filter((t) => t.label !== '');
    expect(labelled.map((t) => t.label)).toEqual(['10²', '10³', '10⁴']);
    expect(s.ticks().some((t) => t.value === 200 && t.label === '')).toBe(true);
    const wide = logScale([1e-15, 1e12], [0, 300])
      .ticks()
      .filter((t) => t.label !== '');
    expect(wide.length).toBeLessThanOrEqual(8);
    expect(wide.length).toBeGreaterThanOrEqual(5);
  });

  it('log: an axis under two decades labels 1, 2, 5 × 10ᵏ', () => {
    const t = logScale([0.015, 0.65], [0, 300]).ticks();
    expect(t.map((x) => x.label)).toEqual(['0.02', '0.05', '0.1', '0.2', '0.5']);
  });

  it('log: values ≤ 0 map to the range start instead of NaN', () => {
    expect(logScale([1, 100], [10, 20]).map(0)).toBe(10);
  });
});

describe('paths', () => {
  it('are written with one decimal', () => {
    expect(num(1.26)).toBe('1.3');
    expect(num(-0.01)).toBe('0');
    expect(
      polylinePath([
        [0, 0],
        [1.234, 5.678],
        [NaN, 1],
        [3, 4],
      ]),
    ).toBe('M0 0L1.2 5.7M3 4');
    expect(
      barsPath(
        [
          [0, 10, 5],
          [10, 20, 100],
          [20, 20, 3],
        ],
        100,
      ),
    ).toBe('M0 100V5H10V100Z');
  });
});
