/**
 * ESD histograms in the terminal, drawn with Unicode block characters on log-spaced
 * bins of λ: a compact one-line version for the table (`--plot`) and a full-width,
 * several-row version for `rmt-analyze plot`. Bar heights are linear in the count, and
 * any non-empty bin gets at least the lowest block, so a single spike next to a bulk of
 * hundreds still shows.
 *
 * No colour library here: the caller passes a TerminalStyle (table.ts builds one from
 * chalk, or a plain one), so colour stays the caller's decision.
 */
import type { AnalyzedLayer, PhaseName } from '../schema/index.js';
import { logBins, positiveRange } from './esd-bins.js';
import { formatNumber, formatShape } from './format.js';
import { printable } from '../errors.js';
import { powerOfTen } from './svg/format.js';
import { appendAll, maxOf } from '../arrays.js';

export interface TerminalStyle {
  phase(name: PhaseName, s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export const PLAIN_STYLE: TerminalStyle = { phase: (_p, s) => s, dim: (s) => s, bold: (s) => s };

const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;

/** Bar height in eighths of a row, for `rows` rows, scaled to the tallest bin. */
function eighths(count: number, maxCount: number, rows: number): number {
  if (count <= 0) return 0;
  const h = Math.round((rows * 8 * count) / maxCount);
  return Math.max(1, Math.min(rows * 8, h));
}

interface Columns {
  readonly counts: readonly number[];
  readonly edges: readonly number[];
  readonly lo: number;
  readonly hi: number;
  readonly hidden: number;
  /** Column of a value on the log axis (clamped to the plot). */
  col(v: number): number;
}

/**
 * Per-column counts on a log axis `width` characters wide. With few eigenvalues a bin per
 * column would be mostly noise, so there are at most 2√n bins, each drawn over the
 * columns whose centre it contains.
 */
function columns(evals: ArrayLike<number>, width: number): Columns | undefined {
  const range = positiveRange(evals);
  if (range === undefined) return undefined;
  const nBins = Math.max(1, Math.min(width, Math.max(10, Math.round(2 * Math.sqrt(range.shown)))));
  const bins = logBins(evals, range.lo, range.hi, nBins);
  const a = Math.log10(bins.edges[0]!);
  const b = Math.log10(bins.edges[nBins]!);
  const binOf = (col: number) => Math.min(nBins - 1, Math.floor(((col + 0.5) / width) * nBins));
  // Column edges on the same log axis, so tail tests and markers work per column.
  const edges = Array.from({ length: width + 1 }, (_, i) => 10 ** (a + ((b - a) * i) / width));
  return {
    counts: Array.from({ length: width }, (_, col) => bins.counts[binOf(col)]!),
    edges,
    lo: range.lo,
    hi: range.hi,
    hidden: range.hidden,
    col: (v) => Math.max(0, Math.min(width - 1, Math.floor(((Math.log10(v) - a) / (b - a)) * width))),
  };
}

/** Whether column i is in the fitted power-law tail (bin centre ≥ xmin). */
function tailTest(layer: AnalyzedLayer, c: Columns): (i: number) => boolean {
  const pl = layer.powerLaw;
  if (pl.status !== 'ok') return () => false;
  return (i) => Math.sqrt(c.edges[i]! * c.edges[i + 1]!) >= pl.xmin;
}

/**
 * Markers under their columns: a caret at each marker's exact column, its label right
 * after it, or else just before it ("xmin▲"), when that runs into no other marker; only
 * when neither fits does the label go to a second line, hooked under its caret ("╰λ₊").
 */
function markerLines(marks: readonly { col: number; label: string }[], offset: number): string[] {
  const sorted = [...marks].sort((p, q) => p.col - q.col);
  const first: string[] = [];
  const second: string[] = [];
  const put = (line: string[], at: number, text: string) => {
    while (line.length < at) line.push(' ');
    line.splice(at, [...text].length, ...text);
  };
  sorted.forEach((m, i) => {
    const at = offset + m.col;
    const next = sorted[i + 1];
    const len = [...m.label].length;
    const rightRoom = next ? offset + next.col - at - 2 : Infinity;
    const leftRoom = at - (first.length === 0 ? 0 : first.length + 1);
    if (first.length > at) {
      put(second, at, '╰' + m.label); // two markers in one column
      return;
    }
    put(first, at, '▲');
    if (len <= rightRoom) put(first, at + 1, m.label);
    else if (len <= leftRoom && first.slice(at - len, at).every((ch) => ch === ' ')) put(first, at - len, m.label);
    else put(second, at, '╰' + m.label);
  });
  return [first, second].map((l) => l.join('').trimEnd()).filter((l) => l !== '');
}

function markers(layer: AnalyzedLayer, c: Columns): { col: number; label: string }[] {
  const marks: { col: number; label: string }[] = [];
  if (layer.powerLaw.status === 'ok') marks.push({ col: c.col(layer.powerLaw.xmin), label: 'xmin' });
  if (layer.mp.status === 'ok' && layer.mp.lambdaPlus >= c.lo && layer.mp.lambdaPlus <= c.hi) {
    marks.push({ col: c.col(layer.mp.lambdaPlus), label: 'λ₊' });
  }
  return marks;
}

export interface SparkOptions {
  /** Number of bins (characters). */
  readonly width?: number;
  readonly indent?: number;
  readonly style?: TerminalStyle;
}

/**
 * The compact histogram printed under a table row: one line of bars between the
 * smallest and largest eigenvalue shown, one line marking xmin and λ₊.
 */
export function sparkHistogram(layer: AnalyzedLayer, evals: ArrayLike<number>, options: SparkOptions = {}): string[] {
  const width = options.width ?? 40;
  const style = options.style ?? PLAIN_STYLE;
  const pad = ' '.repeat(options.indent ?? 4);
  const c = columns(evals, width);
  if (c === undefined) return [`${pad}${style.dim('(no positive eigenvalues)')}`];
  const max = maxOf(c.counts);
  const inTail = tailTest(layer, c);
  let bars = '';
  let run = '';
  let runTail = false;
  const flush = () => {
    if (run) bars += runTail ? style.phase(layer.phase.name, run) : run;
    run = '';
  };
  c.counts.forEach((n, i) => {
    const t = inTail(i);
    if (t !== runTail) flush();
    runTail = t;
    const h = eighths(n, max, 1);
    run += h === 0 ? ' ' : BLOCKS[h - 1]!;
  });
  flush();
  const left = formatNumber(c.lo, 2);
  const zeros = c.hidden > 0 ? style.dim(`  +${c.hidden} ≈ 0`) : '';
  const lines = [`${pad}${style.dim(left)} ${bars} ${style.dim(formatNumber(c.hi, 2))}${zeros}`];
  const marks = markers(layer, c);
  appendAll(
    lines,
    markerLines(marks, pad.length + left.length + 1).map((l) => style.dim(l)),
  );
  return lines;
}

export interface FullPlotOptions {
  /** Total width in characters, y labels included (at least 30). */
  readonly width: number;
  /** Bar rows (default 12). */
  readonly height?: number;
  readonly style?: TerminalStyle;
}

/**
 * One layer's ESD in full terminal width: a header with the fits, a histogram of log λ
 * several rows high with a log-count y axis, an x axis labelled at powers of ten, and
 * markers at xmin and λ₊.
 */
export function fullHistogram(layer: AnalyzedLayer, evals: ArrayLike<number>, options: FullPlotOptions): string[] {
  const style = options.style ?? PLAIN_STYLE;
  const rows = Math.max(3, options.height ?? 12);
  const out: string[] = [];
  out.push(
    `${style.bold(printable(layer.id))}  ${formatShape(layer.shape)}  ` +
      `${layer.N}×${layer.M}${layer.slices > 1 ? `·${layer.slices}` : ''}  Q ${formatNumber(layer.Q, 3)}  ` +
      `${style.phase(layer.phase.name, layer.phase.name)}`,
  );
  const pl = layer.powerLaw;
  const mp = layer.mp;
  out.push(
    style.dim(
      (pl.status === 'ok'
        ? `power law α ${formatNumber(pl.alpha, 3)} ± ${formatNumber(pl.sigma, 2)}, xmin ${formatNumber(pl.xmin)}, ` +
          `D ${formatNumber(pl.D, 2)}, tail ${pl.numTail}`
        : `power law: ${pl.status === 'failed' ? pl.reason : ''}`) +
        ' · ' +
        (mp.status === 'ok'
          ? `MP λ₊ ${formatNumber(mp.lambdaPlus)} ± TW ${formatNumber(mp.twWidth, 2)}, ` +
            `${mp.numSpikes} spike${mp.numSpikes === 1 ? '' : 's'}`
          : `MP fit: ${mp.reason}`),
    ),
  );
  out.push(style.dim(`↳ ${printable(layer.phase.reason)}`));
  out.push('');

  const gutter = 8;
  const plotWidth = Math.max(20, options.width - gutter - 1);
  const c = columns(evals, plotWidth);
  if (c === undefined) {
    out.push('(no positive eigenvalues to plot)');
    return out;
  }
  const max = maxOf(c.counts);
  const heights = c.counts.map((n) => eighths(n, max, rows));
  out.push(style.dim('eigenvalues per bin'));
  const inTail = tailTest(layer, c);
  for (let r = 0; r < rows; r++) {
    const base = (rows - 1 - r) * 8;
    const label = r === 0 ? String(max) : '';
    let line = '';
    let run = '';
    let runTail = false;
    const flush = () => {
      if (run) line += runTail ? style.phase(layer.phase.name, run) : run;
      run = '';
    };
    heights.forEach((h, i) => {
      const t = inTail(i);
      if (t !== runTail) flush();
      runTail = t;
      const level = Math.max(0, Math.min(8, h - base));
      run += level === 0 ? ' ' : BLOCKS[level - 1]!;
    });
    flush();
    const tick = label ? '┤' : '│';
    out.push(`${style.dim(label.padStart(gutter - 1) + tick)}${line.replace(/\s+$/, '')}`);
  }
  // x axis: a tick at each power of ten, labelled where the label fits.
  const axis = new Array<string>(plotWidth).fill('─');
  const labels = new Array<string>(plotWidth + 8).fill(' ');
  const k0 = Math.ceil(Math.log10(c.edges[0]!));
  const k1 = Math.floor(Math.log10(c.edges[plotWidth]!));
  let free = 0;
  for (let k = k0; k <= k1; k++) {
    const col = c.col(10 ** k);
    axis[col] = '┬';
    const text = powerOfTen(k);
    const start = Math.max(0, col - Math.floor(text.length / 2));
    if (start >= free && start + text.length <= labels.length) {
      for (let j = 0; j < text.length; j++) labels[start + j] = text[j]!;
      free = start + text.length + 1;
    }
  }
  out.push(style.dim(`${'0'.padStart(gutter - 1)}└${axis.join('')}`));
  out.push(style.dim(`${' '.repeat(gutter)}${labels.join('').trimEnd()}`));
  const marks = markers(layer, c);
  appendAll(out, markerLines(marks, gutter));
  const bins = Math.min(plotWidth, Math.max(10, Math.round(2 * Math.sqrt(evals.length - c.hidden))));
  const notes = [`λ on a log axis, ${bins} bins`];
  if (pl.status === 'ok') notes.push('the fitted tail (λ ≥ xmin) in the phase colour');
  if (c.hidden > 0) notes.push(`${c.hidden} eigenvalue${c.hidden === 1 ? '' : 's'} ≈ 0 not shown`);
  out.push(
    ...wrap(notes.join('; '), Math.max(20, options.width - gutter)).map((l) => style.dim(' '.repeat(gutter) + l)),
  );
  return out;
}

/** Splits text at spaces into lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && [...line].length + 1 + [...word].length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}
