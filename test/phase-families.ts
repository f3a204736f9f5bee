/** Shared body of phase-families-*.test.ts. */
import { expect, it } from 'vitest';
import type { PhaseName } from '../src/schema/index.js';
import { EVALUATION_SEEDS, accuracy, confusionTable, runCalibration } from './generators/index.js';

/** Matrices per phase in the tests (`npm run calibrate` uses more). */
export const FAMILY_TEST_COUNT = 40;

/** Issue 4: ≥ 95 % on the clear-cut phases, ≥ 80 % on the two transitional ones. */
export const REQUIRED_ACCURACY: Readonly<Record<PhaseName, number>> = {
  'random-like': 0.95,
  'bleeding-out': 0.8,
  'bulk+spikes': 0.95,
  'bulk-decay': 0.8,
  'heavy-tailed': 0.95,
  'rank-collapse': 0.95,
};

export function familyAccuracyTest(phase: PhaseName): void {
  it(`${phase}: ≥ ${REQUIRED_ACCURACY[phase] * 100} % of ${FAMILY_TEST_COUNT} fresh matrices`, async () => {
    const outcomes = await runCalibration(EVALUATION_SEEDS.first, FAMILY_TEST_COUNT, [phase]);
    const wrong = outcomes
      .filter((o) => o.predicted !== phase)
      .map((o) => `seed ${o.matrix.seed} → ${o.predicted}: ${o.reason}`);
    expect(accuracy(outcomes, phase), `${confusionTable(outcomes)}\n${wrong.join('\n')}`).toBeGreaterThanOrEqual(
      REQUIRED_ACCURACY[phase],
    );
  });
}
