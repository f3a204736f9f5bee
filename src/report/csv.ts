/**
 * `--format csv`: one row per layer (skipped ones included), every number at full
 * precision, for spreadsheets and data frames. RFC 4180 quoting; empty cells where a value
 * does not apply (skipped layers, failed fits). With --randomize and --vectors, their columns;
 * with gate rules, two more columns say which rules each layer broke.
 */
import type { AnalyzedLayer, LayerResult } from '../schema/index.js';
import type { AnalysisReport } from '../schema/index.js';
import { printable } from '../errors.js';

type Cell = string | number | null | undefined;

interface Column {
  readonly name: string;
  readonly cell: (l: LayerResult, report: AnalysisReport) => Cell;
}

const analyzed = (f: (l: AnalyzedLayer) => Cell) => (l: LayerResult) => (l.status === 'analyzed' ? f(l) : null);
const pl = (f: (p: Extract<AnalyzedLayer['powerLaw'], { status: 'ok' }>) => Cell) =>
  analyzed((l) => (l.powerLaw.status === 'ok' ? f(l.powerLaw) : null));
const mp = (f: (p: Extract<AnalyzedLayer['mp'], { status: 'ok' }>) => Cell) =>
  analyzed((l) => (l.mp.status === 'ok' ? f(l.mp) : null));

/** Column names follow the JSON field names; fit fields are prefixed where they would clash. */
export const CSV_COLUMNS: readonly Column[] = [
  { name: 'model', cell: (l, r) => r.models[l.model]?.path ?? l.model },
  { name: 'id', cell: (l) => l.id },
  { name: 'name', cell: (l) => l.name },
  { name: 'kind', cell: (l) => l.kind },
  { name: 'shape', cell: (l) => l.shape.join('x') },
  { name: 'dtype', cell: (l) => l.dtype },
  { name: 'status', cell: (l) => l.status },
  { name: 'skipReason', cell: (l) => (l.status === 'skipped' ? l.skipReason : null) },
  { name: 'N', cell: analyzed((l) => l.N) },
  { name: 'M', cell: analyzed((l) => l.M) },
  { name: 'Q', cell: analyzed((l) => l.Q) },
  { name: 'slices', cell: analyzed((l) => l.slices) },
  { name: 'numEvals', cell: analyzed((l) => l.numEvals) },
  { name: 'lambdaMax', cell: analyzed((l) => l.metrics.lambdaMax) },
  { name: 'norm', cell: analyzed((l) => l.metrics.norm) },
  { name: 'logNorm', cell: analyzed((l) => l.metrics.logNorm) },
  { name: 'logSpectralNorm', cell: analyzed((l) => l.metrics.logSpectralNorm) },
  { name: 'stableRank', cell: analyzed((l) => l.metrics.stableRank) },
  { name: 'entropy', cell: analyzed((l) => l.metrics.entropy) },
  { name: 'rank', cell: analyzed((l) => l.metrics.rank) },
  { name: 'rankLoss', cell: analyzed((l) => l.metrics.rankLoss) },
  { name: 'alphaWeighted', cell: analyzed((l) => l.metrics.alphaWeighted) },
  { name: 'logAlphaNorm', cell: analyzed((l) => l.metrics.logAlphaNorm) },
  { name: 'powerLawStatus', cell: analyzed((l) => l.powerLaw.status) },
  { name: 'alpha', cell: pl((p) => p.alpha) },
  { name: 'xmin', cell: pl((p) => p.xmin) },
  { name: 'xmax', cell: pl((p) => p.xmax) },
  { name: 'D', cell: pl((p) => p.D) },
  { name: 'alphaSigma', cell: pl((p) => p.sigma) },
  { name: 'numTail', cell: pl((p) => p.numTail) },
  { name: 'bestFit', cell: pl((p) => p.bestFit) },
  { name: 'hillAlpha', cell: analyzed((l) => l.hill?.alpha ?? null) },
  { name: 'hillXmin', cell: analyzed((l) => l.hill?.xmin ?? null) },
  { name: 'powerLawReason', cell: analyzed((l) => (l.powerLaw.status === 'failed' ? l.powerLaw.reason : null)) },
  { name: 'mpStatus', cell: analyzed((l) => l.mp.status) },
  { name: 'mpSigma', cell: mp((m) => m.sigma) },
  { name: 'lambdaPlus', cell: mp((m) => m.lambdaPlus) },
  { name: 'lambdaMinus', cell: mp((m) => m.lambdaMinus) },
  { name: 'twWidth', cell: mp((m) => m.twWidth) },
  { name: 'numSpikes', cell: mp((m) => m.numSpikes) },
  { name: 'mpSoftRank', cell: mp((m) => m.softRank) },
  { name: 'bulkKS', cell: mp((m) => m.bulkKS) },
  { name: 'mpReason', cell: analyzed((l) => (l.mp.status === 'failed' ? l.mp.reason : null)) },
  { name: 'phase', cell: analyzed((l) => l.phase.name) },
  { name: 'phaseReason', cell: analyzed((l) => l.phase.reason) },
];

/** The gate columns, present only when the report has a gate: `pass`/`fail` and the rules broken. */
const GATE_COLUMNS = (report: AnalysisReport): Column[] => {
  const broken = new Map<string, string[]>();
  const key = (model: number, id: string) => `${model}\u0000${id}`;
  for (const f of report.gate?.failures ?? []) {
    const k = key(f.model, f.layer);
    broken.set(k, [...(broken.get(k) ?? []), f.rule]);
  }
  return [
    { name: 'gate', cell: analyzed((l) => (broken.has(key(l.model, l.id)) ? 'fail' : 'pass')) },
    { name: 'gateFailures', cell: analyzed((l) => (broken.get(key(l.model, l.id)) ?? []).join('; ')) },
  ];
};

type Traps = NonNullable<AnalyzedLayer['traps']>;
type Vectors = NonNullable<AnalyzedLayer['vectors']>;
const traps = (f: (t: Traps) => Cell) => analyzed((l) => (l.traps ? f(l.traps) : null));
const vectors = (f: (v: Vectors) => Cell) => analyzed((l) => (l.vectors ? f(l.vectors) : null));

/** With --randomize: the correlation-trap fields (JSON `traps.*`), prefixed `traps`. */
export const TRAP_COLUMNS: readonly Column[] = [
  { name: 'trapsSeed', cell: traps((t) => t.seed) },
  { name: 'numTraps', cell: traps((t) => t.numTraps) },
  { name: 'trapsLambdaMaxRandom', cell: traps((t) => t.lambdaMaxRandom) },
  { name: 'trapsLambdaPlusRandom', cell: traps((t) => t.lambdaPlusRandom) },
  { name: 'trapsThreshold', cell: traps((t) => t.threshold) },
  { name: 'trapsDistance', cell: traps((t) => t.distance) },
  { name: 'trapsKsDistance', cell: traps((t) => t.ksDistance) },
];

/** With --vectors: eigenvector localization (JSON `vectors.*`), tail and bulk groups. */
export const VECTOR_COLUMNS: readonly Column[] = [
  { name: 'vectorsSplit', cell: vectors((v) => v.split.by) },
  ...(['tail', 'bulk'] as const).flatMap((g): Column[] => {
    const G = g === 'tail' ? 'Tail' : 'Bulk';
    return [
      { name: `vectors${G}Count`, cell: vectors((v) => v[g].count) },
      { name: `vectors${G}ParticipationRatio`, cell: vectors((v) => v[g].participationRatio) },
      { name: `vectors${G}LocalizationRatio`, cell: vectors((v) => v[g].localizationRatio) },
      { name: `vectors${G}Entropy`, cell: vectors((v) => v[g].entropy) },
    ];
  }),
  { name: 'vectorsRandomParticipationRatio', cell: vectors((v) => v.random.participationRatio) },
];

export function renderCsv(report: AnalysisReport): string {
  const has = (f: (l: AnalyzedLayer) => boolean) => report.layers.some((l) => l.status === 'analyzed' && f(l));
  const columns = [
    ...CSV_COLUMNS,
    ...(has((l) => l.traps !== undefined) ? TRAP_COLUMNS : []),
    ...(has((l) => l.vectors !== undefined) ? VECTOR_COLUMNS : []),
    ...(report.gate ? GATE_COLUMNS(report) : []),
  ];
  const lines = [columns.map((c) => csvField(c.name)).join(',')];
  for (const layer of report.layers) lines.push(columns.map((c) => csvField(c.cell(layer, report))).join(','));
  return lines.join('\n') + '\n';
}

/**
 * RFC 4180: quote a field holding a comma, quote, CR or LF, doubling inner quotes. Numbers in
 * shortest round-trip form. Text (names and paths come from the model) is hostile twice over:
 * control, bidi and invisible characters are shown escaped as in the table (a CSV is also
 * read with `cat`), and a cell a spreadsheet would run as a formula (starting with = + - @,
 * OWASP "CSV Injection") is prefixed with an apostrophe.
 */
export function csvField(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = printable(value, Number.POSITIVE_INFINITY);
  const s = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
