/** Classifies seeded matrices of each phase and tabulates the confusion matrix (tests and `npm run calibrate`). */
import { PHASE_NAMES, type PhaseName } from '../../src/schema/index.js';
import type { PhaseFeatures } from '../../src/phase.js';
import { PHASE_GENERATORS, type GeneratedMatrix } from './families.js';
import { analyseGenerated, featuresOfLayer } from './analyse.js';

export interface Outcome {
  readonly truth: PhaseName;
  readonly predicted: PhaseName;
  readonly matrix: GeneratedMatrix;
  readonly reason: string;
  readonly features: PhaseFeatures;
}

/** Classifies `count` matrices of each phase in `phases`, seeds first … first + count − 1. */
export async function runCalibration(
  first: number,
  count: number,
  phases: readonly PhaseName[] = PHASE_NAMES,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const truth of phases) {
    for (let i = 0; i < count; i++) {
      const matrix = PHASE_GENERATORS[truth](first + i);
      const layer = await analyseGenerated(matrix, { eigenvalues: true });
      // Let the event loop breathe (test-runner heartbeats) between matrices.
      await new Promise((resolve) => setImmediate(resolve));
      outcomes.push({
        truth,
        predicted: layer.phase.name,
        matrix,
        reason: layer.phase.reason,
        features: featuresOfLayer(layer, matrix.values),
      });
    }
  }
  return outcomes;
}

/** Fraction of the matrices built as `phase` that were classified as `phase`. */
export function accuracy(outcomes: readonly Outcome[], phase: PhaseName): number {
  const mine = outcomes.filter((o) => o.truth === phase);
  return mine.filter((o) => o.predicted === phase).length / Math.max(1, mine.length);
}

const SHORT: Record<PhaseName, string> = {
  'random-like': 'random',
  'bleeding-out': 'bleed',
  'bulk+spikes': 'spikes',
  'bulk-decay': 'decay',
  'heavy-tailed': 'heavy',
  'rank-collapse': 'collapse',
};

/** Rows: the phase a matrix was built in; columns: the phase it was classified as. */
export function confusionTable(outcomes: readonly Outcome[]): string {
  const key = (t: PhaseName, p: PhaseName) => `${t}|${p}`;
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(key(o.truth, o.predicted), (counts.get(key(o.truth, o.predicted)) ?? 0) + 1);
  const lines = [
    'built \\ classified'.padEnd(18) + PHASE_NAMES.map((p) => SHORT[p].padStart(9)).join('') + '    correct',
  ];
  for (const truth of PHASE_NAMES) {
    const total = outcomes.filter((o) => o.truth === truth).length;
    if (total === 0) continue;
    const row = PHASE_NAMES.map((p) => String(counts.get(key(truth, p)) ?? 0).padStart(9)).join('');
    lines.push(truth.padEnd(18) + row + `   ${(100 * accuracy(outcomes, truth)).toFixed(1).padStart(5)}%`);
  }
  const correct = outcomes.filter((o) => o.truth === o.predicted).length;
  lines.push(`overall ${correct}/${outcomes.length} (${((100 * correct) / Math.max(1, outcomes.length)).toFixed(1)}%)`);
  return lines.join('\n');
}

/** One matrix's decision features as a flat record (for TSV dumps). */
export function featureRow(o: Outcome): Record<string, string | number> {
  const f = o.features;
  const e = f.edge;
  return {
    truth: o.truth,
    predicted: o.predicted,
    seed: o.matrix.seed,
    variant: o.matrix.variant,
    N: Number(o.matrix.params.N),
    M: Number(o.matrix.params.M),
    zeroFraction: f.zeroFraction,
    outliers: e?.outliers ?? -1,
    near: e?.near ?? -1,
    far: e?.far ?? -1,
    few: e?.few ?? -1,
    topRatio: e?.topRatio ?? -1,
    topTW: e?.topTW ?? -1,
    topStrength: e?.topStrength ?? -1,
    outlierMass: e?.outlierMass ?? -1,
    bulkKS: e?.bulkKS ?? -1,
    atBound: e?.atBound ?? '',
    alpha: f.alpha ?? -1,
    D: f.D ?? -1,
    numTail: f.numTail ?? -1,
  };
}
