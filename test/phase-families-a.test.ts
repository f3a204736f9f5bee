/**
 * Accuracy of the phase classifier on seeded matrices of each phase (issue 4 acceptance),
 * on evaluation seeds disjoint from the tuning seeds the thresholds were chosen on.
 * Split over two files so that vitest runs them in parallel.
 */
import { describe } from 'vitest';
import { familyAccuracyTest } from './phase-families.js';

describe('phase families on evaluation seeds (1 of 2)', () => {
  for (const phase of ['random-like', 'bleeding-out', 'bulk+spikes', 'rank-collapse'] as const)
    familyAccuracyTest(phase);
});
