/** Terminal histograms: the one-line version under table rows and the full-width plot. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisReport } from '../../src/schema/index.js';
import { fullHistogram, sparkHistogram } from '../../src/report/terminal-histogram.js';
import { printable } from '../../src/errors.js';
import { terminalStyle } from '../../src/report/table.js';
import { layerNamed, referenceReports } from './report-fixture.js';

let withMp: AnalysisReport;
beforeAll(async () => {
  ({ withMp } = await referenceReports());
});

const ANSI = /\x1b\[[0-9;]*m/g;
const width = (s: string) => [...s.replace(ANSI, '')].length;

describe('spark histogram', () => {
  it('one line of `width` bins between λmin and λmax, then the xmin and λ₊ markers', () => {
    const l = layerNamed(withMp, 'b_gauss_spike3_1000x500');
    const lines = sparkHistogram(l, l.eigenvalues!, { width: 40 });
    expect(lines).toHaveLength(2);
    const m = /^ {4}(\S+) (.{40}) (\S+)$/u.exec(lines[0]!);
    expect(m, lines[0]).not.toBeNull();
    expect(m![1]).toBe('89');
    expect(m![3]).toBe('24000');
    expect(m![2]).toMatch(/^[▁▂▃▄▅▆▇█ ]{40}$/u);
    // The three spikes sit, alone, at the right end.
    expect(m![2]!.trimEnd().endsWith('▁')).toBe(true);
    // xmin (1490) left of λ₊ (3055), each caret under its bin, labels beside them.
    expect(lines[1]).toMatch(/^ +(xmin▲ +▲λ₊|▲xmin +▲λ₊)$/u);
    const xminCol = [...lines[1]!].indexOf('▲') - 7;
    expect(xminCol / 40).toBeCloseTo(Math.log(1490 / 89) / Math.log(l.metrics.lambdaMax / 89), 1);
  });

  it('counts the numerical zeros it cannot place on a log axis', () => {
    const l = layerNamed(withMp, 'd_rank50_1000x500');
    expect(sparkHistogram(l, l.eigenvalues!)[0]).toMatch(/ {2}\+450 ≈ 0$/);
    expect(sparkHistogram(l, [0, 0])).toEqual(['    (no positive eigenvalues)']);
  });

  it('colours the fitted tail in the phase colour only when asked', () => {
    const l = layerNamed(withMp, 'c_pareto_mu1_1500x500');
    expect(sparkHistogram(l, l.eigenvalues!, { style: terminalStyle(false) }).join('\n')).not.toMatch(ANSI);
    const coloured = sparkHistogram(l, l.eigenvalues!, { style: terminalStyle(true) })[0]!;
    expect(coloured).toContain('\x1b[32m'); // heavy-tailed: green, as in the table
  });
});

describe('full-width plot', () => {
  it.each([60, 100, 160])(
    'fits in %d columns, with a header, bars, an axis labelled in powers of ten and markers',
    (w) => {
      const l = layerNamed(withMp, 'c_pareto_mu1_1500x500');
      const lines = fullHistogram(l, l.eigenvalues!, { width: w, height: 10 });
      for (const line of lines.slice(3)) expect(width(line), line).toBeLessThanOrEqual(w);
      expect(lines[0]).toMatch(/^c_pareto_mu1_1500x500 {2}1500×500 {2}1500×500 {2}Q 3 {2}heavy-tailed$/);
      expect(lines[1]).toMatch(
        /^power law α 1\.61 ± 0\.065, xmin 9\.37e7, D 0\.036, tail 88 · MP λ₊ 3\.11e8 ± TW 4e6, 38 spikes$/,
      );
      expect(lines[2]).toBe(`↳ ${l.phase.reason}`);
      expect(lines[4]).toBe('eigenvalues per bin');
      const bars = lines.slice(5, 15);
      expect(bars[0]).toMatch(/^ +\d+┤/);
      expect(bars.slice(1).every((b) => /^ {7}│/.test(b))).toBe(true);
      expect(lines[15]).toMatch(/^ {6}0└[─┬]+$/);
      expect(lines[16]).toMatch(/10⁸/);
      expect(lines[17]).toMatch(/^ +(xmin▲|▲xmin) +▲λ₊$/u);
    },
  );

  it('the tallest bar reaches the top row and its count is the top label', () => {
    const l = layerNamed(withMp, 'a_gauss_1000x500');
    const lines = fullHistogram(l, l.eigenvalues!, { width: 80, height: 6 });
    const top = lines[5]!;
    expect(top).toMatch(/█/);
    expect(Number(/(\d+)┤/.exec(top)![1])).toBeGreaterThan(10);
  });

  it('markers closer than their labels: labels move beside or below, carets stay on their columns', () => {
    const l = layerNamed(withMp, 'a_gauss_1000x500');
    const mp = l.mp.status === 'ok' ? l.mp : undefined;
    const pl = l.powerLaw.status === 'ok' ? l.powerLaw : undefined;
    const near = fullHistogram({ ...l, mp: { ...mp!, lambdaPlus: pl!.xmin * 1.03 } }, l.eigenvalues!, { width: 80 });
    expect(near.at(-2)).toMatch(/^ +xmin▲ ?▲λ₊$/u);
    const same = fullHistogram({ ...l, mp: { ...mp!, lambdaPlus: pl!.xmin } }, l.eigenvalues!, { width: 80 });
    const carets = same.at(-3)!;
    const hooked = same.at(-2)!;
    expect(carets).toMatch(/^ +xmin▲$/u);
    expect(hooked).toMatch(/^ +╰λ₊$/u);
    expect(hooked.indexOf('╰')).toBe(carets.indexOf('▲'));
  });

  it('printable() shows control characters instead of sending them to the terminal', () => {
    expect(printable('a\x1b[2Jb\u0007')).toBe('a\\x1b[2Jb\\x07');
  });
});
