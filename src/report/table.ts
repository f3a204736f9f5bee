/**
 * The terminal table: one row per layer, the numbers an engineer reads at a glance.
 * Colour (chalk) is decided by the caller: the CLI passes `color` from the terminal and NO_COLOR.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { AnalyzedLayer, LayerResult, PhaseName } from '../schema/index.js';
import type { AnalysisReport, Summary } from '../schema/index.js';
import { formatNumber, formatShape, notAnalysed, skippedCounts } from './format.js';
import { printable } from '../errors.js';
import { PHASE_PALETTE } from './palette.js';
import { sparkHistogram, type TerminalStyle } from './terminal-histogram.js';
import { describeFailure, failureCount } from './gate-text.js';
import { appendAll, maxOf } from '../arrays.js';
import { cutEnd, fitTable, shortenMiddle, shortenNames, wrapText } from './table-fit.js';

export interface TableOptions {
  readonly color: boolean;
  /** Print each phase's reason under its row. */
  readonly explain?: boolean;
  /** Print a compact ESD histogram under each analysed row (needs the layer's eigenvalues). */
  readonly plot?: boolean;
  /** Terminal width in characters (undefined: unlimited, as when piped); see table-fit.ts. */
  readonly width?: number;
  /** List skipped layers too (by default one line counts them by reason). */
  readonly showSkipped?: boolean;
  /** Extra columns asked for with --columns (EXTRA_COLUMNS), before the phase. */
  readonly columns?: readonly ExtraColumn[];
}

/** Columns shown only when asked for (`--columns`): per-layer numbers the default table leaves out. */
export const EXTRA_COLUMNS = ['hill', 'alpha-weighted', 'log-alpha-norm'] as const;
export type ExtraColumn = (typeof EXTRA_COLUMNS)[number];

const PHASE_COLOR = (phase: PhaseName) => (c: ChalkInstance) => c[PHASE_PALETTE[phase].ansi];

/** The terminal colours as a TerminalStyle, for the histograms (plain when `color` is false). */
export function terminalStyle(color: boolean): TerminalStyle {
  const c = new Chalk({ level: color ? 1 : 0 });
  return { phase: (p, s) => PHASE_COLOR(p)(c)(s), dim: (s) => c.dim(s), bold: (s) => c.bold(s) };
}

interface Column {
  readonly title: string;
  readonly align: 'left' | 'right';
  readonly cell: (l: LayerResult) => string;
}

const COLUMNS: readonly Column[] = [
  { title: 'layer', align: 'left', cell: (l) => printable(l.id, 120) },
  { title: 'kind', align: 'left', cell: (l) => l.kind },
  { title: 'shape', align: 'left', cell: (l) => formatShape(l.shape) },
  {
    title: 'N×M',
    align: 'right',
    cell: (l) => (l.status === 'analyzed' ? `${l.N}×${l.M}${l.slices > 1 ? `·${l.slices}` : ''}` : ''),
  },
  { title: 'Q', align: 'right', cell: (l) => (l.status === 'analyzed' ? formatNumber(l.Q, 3) : '') },
  { title: 'λmax', align: 'right', cell: (l) => (l.status === 'analyzed' ? formatNumber(l.metrics.lambdaMax) : '') },
  {
    title: 'stable rank',
    align: 'right',
    cell: (l) => (l.status === 'analyzed' ? formatNumber(l.metrics.stableRank) : ''),
  },
  {
    title: 'entropy',
    align: 'right',
    cell: (l) => (l.status === 'analyzed' ? formatNumber(l.metrics.entropy, 3) : ''),
  },
  {
    title: 'α',
    align: 'right',
    cell: (l) =>
      l.status === 'analyzed' && l.powerLaw.status === 'ok'
        ? formatNumber(l.powerLaw.alpha, 3)
        : l.status === 'analyzed'
          ? '—'
          : '',
  },
  {
    title: 'D',
    align: 'right',
    cell: (l) => (l.status === 'analyzed' && l.powerLaw.status === 'ok' ? formatNumber(l.powerLaw.D, 2) : ''),
  },
  {
    title: 'xmin',
    align: 'right',
    cell: (l) => (l.status === 'analyzed' && l.powerLaw.status === 'ok' ? formatNumber(l.powerLaw.xmin, 3) : ''),
  },
  // Which tail model fits best (issue 8): PL, TPL (power law with exponential cutoff) or EXP.
  {
    title: 'fit',
    align: 'left',
    cell: (l) => (l.status === 'analyzed' && l.powerLaw.status === 'ok' ? l.powerLaw.bestFit : ''),
  },
  { title: 'phase', align: 'left', cell: (l) => (l.status === 'analyzed' ? l.phase.name : printable(notAnalysed(l))) },
];

/** Columns shown only when some layer has the result (--randomize, --vectors), before the phase. */
const OPTIONAL_COLUMNS: readonly (Column & { readonly shown: (l: LayerResult) => boolean })[] = [
  {
    title: 'traps',
    align: 'right',
    shown: (l) => l.status === 'analyzed' && l.traps !== undefined,
    cell: (l) => (l.status === 'analyzed' && l.traps ? String(l.traps.numTraps) : ''),
  },
  {
    // Mean participation ratio of the tail / bulk eigenvectors (1/3 ≈ random, → 0 localized).
    title: 'PR tail/bulk',
    align: 'right',
    shown: (l) => l.status === 'analyzed' && l.vectors !== undefined,
    cell: (l) =>
      l.status === 'analyzed' && l.vectors
        ? `${formatNumber(l.vectors.tail.participationRatio, 2)}/${formatNumber(l.vectors.bulk.participationRatio, 2)}`
        : '',
  },
];

/** The --columns columns: Hill α (xmin at the median), α-weighted (α̂ = α·log₁₀λ_max), log α-norm. */
const REQUESTED_COLUMNS: Readonly<Record<ExtraColumn, Column>> = {
  hill: {
    title: 'α Hill',
    align: 'right',
    cell: (l) => (l.status !== 'analyzed' ? '' : l.hill?.alpha == null ? '—' : formatNumber(l.hill.alpha, 3)),
  },
  'alpha-weighted': {
    title: 'α̂',
    align: 'right',
    cell: (l) =>
      l.status !== 'analyzed' ? '' : l.metrics.alphaWeighted === null ? '—' : formatNumber(l.metrics.alphaWeighted, 3),
  },
  'log-alpha-norm': {
    title: 'log α-norm',
    align: 'right',
    cell: (l) =>
      l.status !== 'analyzed' ? '' : l.metrics.logAlphaNorm === null ? '—' : formatNumber(l.metrics.logAlphaNorm, 3),
  },
};

function columnsFor(report: AnalysisReport, requested: readonly ExtraColumn[] = []): readonly Column[] {
  const extra = OPTIONAL_COLUMNS.filter((c) => report.layers.some(c.shown));
  const asked = EXTRA_COLUMNS.filter((c) => requested.includes(c)).map((c) => REQUESTED_COLUMNS[c]);
  return [...COLUMNS.slice(0, -1), ...asked, ...extra, COLUMNS[COLUMNS.length - 1]!];
}

export function renderTable(report: AnalysisReport, options: TableOptions): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const allColumns = columnsFor(report, options.columns);
  const shown = options.showSkipped ? report.layers : report.layers.filter((l) => l.status !== 'skipped');
  const allRows = shown.map((l) => allColumns.map((col) => col.cell(l)));
  // Fit the terminal: drop low-priority columns, shorten names in the middle, cut long reasons.
  const fit = fitTable(
    allColumns.map((col) => col.title),
    allRows,
    options.width,
  );
  const columns = fit.keep.map((i) => allColumns[i]!);
  const last = columns.length - 1;
  const names = shortenNames(
    allRows.map((r) => r[0]!),
    fit.firstWidth,
  );
  const rows = allRows.map((r, n) =>
    fit.keep.map((i, k) => (k === 0 ? names[n]! : k === last ? cutEnd(r[i]!, fit.lastWidth) : r[i]!)),
  );
  const width = options.width ?? Infinity;
  // The last column (phase / skip reason) is not padded, so long reasons do not widen the table.
  const widths = columns.map((col, i) =>
    i === columns.length - 1
      ? 0
      : maxOf(
          rows.map((r) => r[i]!.length),
          col.title.length,
        ),
  );
  const pad = (s: string, i: number) => (columns[i]!.align === 'right' ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  const rowOf = new Map(shown.map((l, r) => [l, rows[r]!]));
  const out: string[] = [];
  out.push(c.bold(columns.map((col, i) => pad(col.title, i)).join('  ')));
  const multiModel = report.models.length > 1;
  for (const [model, layers] of byModel(report.layers)) {
    if (multiModel) out.push(c.bold.underline(shortenMiddle(printable(report.models[model]?.path ?? ''), width)));
    for (const layer of layers) {
      const cells = rowOf.get(layer);
      if (cells) appendAll(out, layerLines(layer, cells.map(pad), options, c, width));
    }
    const skipped = options.showSkipped ? '' : skippedCounts(layers);
    const line = `${skipped} (--show-skipped lists them)`;
    if (skipped !== '') for (const l of wrapText(line, width, '  ', '')) out.push(c.dim(l));
    // Each model's own summary (models[i].summary) under its rows: one pooled mean hides which is which.
    const info = report.models[model];
    if (multiModel && info && !('error' in info) && info.summary)
      for (const l of wrapText(summaryLines(info.summary, c).join('; '), width, '  ', '')) out.push(l);
  }
  out.push('');
  for (const m of report.models) if ('error' in m) out.push(c.red(`unreadable: ${printable(m.error, 1000)}`));
  const footer = [...summaryLines(report.summary, c), ...(report.gate ? gateLines(report, c) : [])];
  for (const line of footer) appendAll(out, wrapText(line, width, '  ', ''));
  return out.join('\n') + '\n';
}

/** The layers of each model, in report order. */
function byModel(layers: readonly LayerResult[]): Map<number, LayerResult[]> {
  const groups = new Map<number, LayerResult[]>();
  for (const l of layers) {
    const group = groups.get(l.model);
    if (group) group.push(l);
    else groups.set(l.model, [l]);
  }
  return groups;
}

/** One layer's row (its cells padded), with its --explain and --plot lines. */
function layerLines(
  layer: LayerResult,
  cells: string[],
  options: TableOptions,
  c: ChalkInstance,
  width: number,
): string[] {
  if (layer.status !== 'analyzed')
    return [layer.status === 'failed' ? c.red(cells.join('  ')) : c.dim(cells.join('  '))];
  cells[cells.length - 1] = PHASE_COLOR(layer.phase.name)(c)(cells[cells.length - 1]!);
  const out = [cells.join('  ')];
  if (options.explain) {
    // Reasons are sentences: wrapped under the row (indented), never by the terminal.
    for (const text of [printable(layer.phase.reason), ...explainExtras(layer)])
      for (const line of wrapText(text, width, '      ', '    ↳ ')) out.push(c.dim(line));
  }
  if (options.plot && layer.eigenvalues)
    appendAll(out, sparkHistogram(layer, layer.eigenvalues, { style: terminalStyle(options.color) }));
  return out;
}

function summaryLines(s: Summary, c: ChalkInstance): string[] {
  const phases = Object.entries(s.phases)
    .filter(([, n]) => n > 0)
    .map(([p, n]) => PHASE_COLOR(p as PhaseName)(c)(`${p} ${n}`))
    .join(', ');
  const lines = [
    `${s.analyzed} of ${s.layers} layers analysed${s.skipped > 0 ? `, ${s.skipped} skipped` : ''}` +
      `${s.failed ? `, ${c.red(`${s.failed} failed`)}` : ''}${phases ? `: ${phases}` : ''}`,
  ];
  if (s.analyzed > 0) {
    lines.push(
      `mean α ${formatNumber(s.meanAlpha, 3)}, mean α-weighted ${formatNumber(s.meanAlphaWeighted, 3)}, ` +
        `mean log-norm ${formatNumber(s.meanLogNorm, 3)}, mean stable rank ${formatNumber(s.meanStableRank, 3)}`,
    );
  }
  return lines;
}

function gateLines(report: AnalysisReport, c: ChalkInstance): string[] {
  const gate = report.gate!;
  if (gate.passed) return [c.green('gate passed')];
  const where = (model: number) =>
    report.models.length > 1 ? ` [${printable(report.models[model]?.path ?? String(model))}]` : '';
  return [
    c.red.bold(`gate failed: ${failureCount(gate)}`),
    ...gate.failures.map((f) => c.red(`  ${printable(describeFailure(f), 1000)}${where(f.model)}`)),
  ];
}

/** --explain lines for the issue-8 diagnostics: the best-fit decision, traps, localization. */
function explainExtras(layer: AnalyzedLayer): string[] {
  const lines: string[] = [];
  const pl = layer.powerLaw;
  if (pl.status === 'ok' && pl.alternatives?.status === 'ok') {
    const t = pl.alternatives.truncatedPowerLaw;
    lines.push(
      `tail fit ${pl.bestFit}: ${pl.alternatives.reason} ` +
        `(TPL α ${formatNumber(t.alpha, 3)}, Λ ${formatNumber(t.lambda, 3)})`,
    );
  }
  if (layer.traps) {
    const t = layer.traps;
    lines.push(
      `traps ${t.numTraps}: shuffled λmax ${formatNumber(t.lambdaMaxRandom)} ` +
        `vs MP edge ${formatNumber(t.lambdaPlusRandom)} ` +
        `(threshold ${formatNumber(t.threshold)}), JS distance to the original ESD ${formatNumber(t.distance, 3)}`,
    );
  }
  if (layer.vectors) {
    const v = layer.vectors;
    const g = (s: typeof v.tail) =>
      s.computed > 0 ? `PR ${formatNumber(s.participationRatio, 3)}, entropy ${formatNumber(s.entropy, 3)}` : 'none';
    lines.push(
      `eigenvectors (${v.split.by}): tail ${v.tail.count} ${g(v.tail)}; bulk ${v.bulk.count} ${g(v.bulk)}; ` +
        `random PR ${formatNumber(v.random.participationRatio, 3)}, entropy ${formatNumber(v.random.entropy, 3)}`,
    );
  }
  return lines;
}
