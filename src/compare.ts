/**
 * `rmt-analyze compare OLD NEW`: two reports of one model (checkpoints of a training run, a
 * model before and after fine-tuning or quantization, or its export to another format), layers
 * paired by id, then as src/compare-pairing.ts says. Per layer: the
 * phase change, Δα, Δ log norm and Δ stable rank (NEW − OLD), and whether it regressed.
 *
 * Phases are ordered by how much structure training has put into the layer:
 *   random-like < bleeding-out < bulk+spikes < bulk-decay < heavy-tailed
 * A layer regresses when it moves to a lighter phase, when it moves into rank-collapse (off
 * that scale: never an improvement), or — with an α range — when its fitted α leaves the
 * range (inside or unfitted before, outside now). Pure; the CLI decides the exit code.
 */
import { UsageError } from './errors.js';
import { formatRange } from './gate.js';
import type { AnalysisReport, GateFailure, GateResult, ModelInfo } from './schema/index.js';
import type { LayerResult, PhaseName } from './schema/index.js';
import { pairLayers, type PairedBy, type Pairing, type Renames } from './compare-pairing.js';

/** Position on the training scale; rank-collapse is off it. */
export const PHASE_ORDER: Readonly<Record<Exclude<PhaseName, 'rank-collapse'>, number>> = {
  'random-like': 0,
  'bleeding-out': 1,
  'bulk+spikes': 2,
  'bulk-decay': 3,
  'heavy-tailed': 4,
};

export type PhaseChange = 'same' | 'heavier' | 'lighter' | 'collapsed' | 'recovered';

/** One side of a layer's comparison. */
export interface LayerSnapshot {
  readonly status: 'analyzed' | 'skipped';
  readonly phase: PhaseName | null;
  /** null: skipped, or the power-law fit failed. */
  readonly alpha: number | null;
  readonly logNorm: number | null;
  readonly stableRank: number | null;
}

export interface Regression {
  readonly rule: 'lighter-phase' | 'rank-collapse' | `alpha-range ${string}`;
  /** `heavy-tailed → bulk-decay`, or the new α. */
  readonly value: string | number;
}

export interface LayerComparison {
  /** The layer id (the tensor name, with "[d]" per direction or stacked matrix). */
  readonly layer: string;
  /** `added`: only in NEW; `removed`: only in OLD. */
  readonly presence: 'both' | 'added' | 'removed';
  /** The OLD layer's id, when it was paired with this one other than by the same id. */
  readonly oldLayer?: string;
  readonly pairedBy?: Exclude<PairedBy, 'name'>;
  readonly old: LayerSnapshot | null;
  readonly new: LayerSnapshot | null;
  /** Only when the layer is analysed on both sides. */
  readonly phaseChange: PhaseChange | null;
  /** NEW − OLD, where both sides have the value. */
  readonly delta: {
    readonly alpha: number | null;
    readonly logNorm: number | null;
    readonly stableRank: number | null;
  };
  readonly regressions: readonly Regression[];
}

export interface CompareSummary {
  /** Layers in both reports / analysed in both. */
  readonly matched: number;
  readonly compared: number;
  readonly added: number;
  readonly removed: number;
  readonly phaseChanges: Readonly<Record<PhaseChange, number>>;
  /** Layers with at least one regression. */
  readonly regressed: number;
  /** Means over layers compared with the value on both sides (null when none). */
  readonly meanDeltaAlpha: number | null;
  readonly meanDeltaLogNorm: number | null;
  readonly meanDeltaStableRank: number | null;
}

/** The `compare --json` document. */
export interface CompareReport {
  readonly schemaVersion: 1;
  readonly tool: { readonly name: string; readonly version: string };
  readonly old: { readonly models: readonly ModelInfo[] };
  readonly new: { readonly models: readonly ModelInfo[] };
  /** The α range regressions were checked against, when given. */
  readonly alphaRange: { readonly min: number | null; readonly max: number | null } | null;
  /** How the layers of OLD and NEW were paired: by name, --rename, prefix/suffix rules, content. */
  readonly pairing: Pairing['how'];
  readonly layers: readonly LayerComparison[];
  readonly summary: CompareSummary;
  /** With --fail-on-regression: the regressions as gate failures. */
  readonly gate?: GateResult;
}

export interface CompareOptions {
  readonly alphaRange?: { readonly min: number | null; readonly max: number | null };
  /** Add `gate` (every regression fails it). */
  readonly failOnRegression?: boolean;
  /** Names of the two sides, for messages. */
  readonly names?: readonly [string, string];
  /** `--rename FROM=TO`: an OLD layer id (or a prefix of OLD ids) and its NEW name. */
  readonly renames?: Renames;
}

export function compareReports(
  oldReport: AnalysisReport,
  newReport: AnalysisReport,
  options: CompareOptions = {},
): CompareReport {
  const [oldName, newName] = options.names ?? ['OLD', 'NEW'];
  oneModel(oldReport, oldName);
  oneModel(newReport, newName);
  const range = options.alphaRange ?? null;
  const pairing = pairLayers(oldReport.layers, newReport.layers, options.renames);
  const oldOf = new Map(pairing.pairs.map((p) => [p.new, p]));

  const layers: LayerComparison[] = [];
  for (const l of newReport.layers) {
    const pair = oldOf.get(l);
    const compared = compareLayer(l.id, pair?.old, l, range);
    layers.push(pair && pair.by !== 'name' ? { ...compared, oldLayer: pair.old.id, pairedBy: pair.by } : compared);
  }
  for (const l of pairing.onlyOld) layers.push(compareLayer(l.id, l, undefined, range));

  const phaseChanges: Record<PhaseChange, number> = { same: 0, heavier: 0, lighter: 0, collapsed: 0, recovered: 0 };
  for (const c of layers) if (c.phaseChange) phaseChanges[c.phaseChange]++;
  const deltas = (k: keyof LayerComparison['delta']) =>
    layers.map((c) => c.delta[k]).filter((x): x is number => x !== null);
  const summary: CompareSummary = {
    matched: layers.filter((c) => c.presence === 'both').length,
    compared: layers.filter((c) => c.phaseChange !== null).length,
    added: layers.filter((c) => c.presence === 'added').length,
    removed: layers.filter((c) => c.presence === 'removed').length,
    phaseChanges,
    regressed: layers.filter((c) => c.regressions.length > 0).length,
    meanDeltaAlpha: mean(deltas('alpha')),
    meanDeltaLogNorm: mean(deltas('logNorm')),
    meanDeltaStableRank: mean(deltas('stableRank')),
  };

  const report: CompareReport = {
    schemaVersion: 1,
    tool: newReport.tool,
    old: { models: oldReport.models },
    new: { models: newReport.models },
    alphaRange: range,
    pairing: pairing.how,
    layers,
    summary,
  };
  if (!options.failOnRegression) return report;
  const failures: GateFailure[] = layers.flatMap((c) =>
    c.regressions.map((r) => ({ layer: c.layer, model: 0, rule: r.rule, value: r.value })),
  );
  return { ...report, gate: { passed: failures.length === 0, failures } };
}

function compareLayer(
  id: string,
  before: LayerResult | undefined,
  after: LayerResult | undefined,
  range: CompareOptions['alphaRange'] | null,
): LayerComparison {
  const o = before ? snapshot(before) : null;
  const n = after ? snapshot(after) : null;
  const diff = (k: 'alpha' | 'logNorm' | 'stableRank') => (o?.[k] != null && n?.[k] != null ? n[k]! - o[k]! : null);
  const phaseChange = o?.phase && n?.phase ? changeOf(o.phase, n.phase) : null;
  const regressions: Regression[] = [];
  if (o?.phase && n?.phase) {
    if (phaseChange === 'lighter') regressions.push({ rule: 'lighter-phase', value: `${o.phase} → ${n.phase}` });
    if (phaseChange === 'collapsed') regressions.push({ rule: 'rank-collapse', value: `${o.phase} → ${n.phase}` });
    if (range && n.alpha !== null && outside(n.alpha, range) && !(o.alpha !== null && outside(o.alpha, range))) {
      regressions.push({ rule: `alpha-range ${formatRange(range.min, range.max)}`, value: n.alpha });
    }
  }
  return {
    layer: id,
    presence: o && n ? 'both' : n ? 'added' : 'removed',
    old: o,
    new: n,
    phaseChange,
    delta: { alpha: diff('alpha'), logNorm: diff('logNorm'), stableRank: diff('stableRank') },
    regressions,
  };
}

export function changeOf(from: PhaseName, to: PhaseName): PhaseChange {
  if (from === to) return 'same';
  if (to === 'rank-collapse') return 'collapsed';
  if (from === 'rank-collapse') return 'recovered';
  return PHASE_ORDER[to] > PHASE_ORDER[from] ? 'heavier' : 'lighter';
}

function outside(alpha: number, range: { min: number | null; max: number | null }): boolean {
  return (range.min !== null && alpha < range.min) || (range.max !== null && alpha > range.max);
}

function snapshot(l: LayerResult): LayerSnapshot {
  if (l.status !== 'analyzed') return { status: 'skipped', phase: null, alpha: null, logNorm: null, stableRank: null };
  return {
    status: 'analyzed',
    phase: l.phase.name,
    alpha: l.powerLaw.status === 'ok' ? l.powerLaw.alpha : null,
    logNorm: finiteOrNull(l.metrics.logNorm),
    stableRank: finiteOrNull(l.metrics.stableRank),
  };
}

function oneModel(report: AnalysisReport, name: string): void {
  if (report.models.length !== 1) {
    throw new UsageError(`${name} holds ${report.models.length} models; compare takes one model on each side`);
  }
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function mean(xs: readonly number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}
