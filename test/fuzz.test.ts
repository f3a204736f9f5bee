/**
 * Fuzz suite (issue 3): 2,000 seeded mutants of the generated fixtures of every format, each
 * run through the built CLI: exit 0 or 2, one line naming the file on exit 2, valid JSON on
 * exit 0, never a stack trace, an internal error, a hang (> 5 s) or > 512 MB.
 * The long campaign is `npm run fuzz -- --cases 100000`.
 */
import { expect, it } from 'vitest';
import { runFuzz, TARGETS } from '../scripts/fuzz/run.js';

it('2,000 mutated model files keep the bad-input contract', { timeout: 600_000 }, async () => {
  const summary = await runFuzz({ cases: 2000, seed: 20261126, workers: 2 });
  const report = summary.failures
    .map((f) => `case ${f.id} [${f.target}] ${f.mutations}: ${f.problem}\n${f.stderr}`)
    .join('\n');
  expect(summary.failures, report).toEqual([]);
  expect(summary.exit0 + summary.exit2).toBe(2000);
  // Every target was exercised, and mutants both pass and fail reading.
  expect(Object.keys(summary.byTarget).sort()).toEqual(TARGETS.map((t) => t.label).sort());
  expect(summary.exit0).toBeGreaterThan(0);
  expect(summary.exit2).toBeGreaterThan(0);
  expect(summary.maxRssMB).toBeLessThan(512);
});
