/**
 * Calibration of the phase classifier (issue 4): generates seeded matrices of every phase
 * (test/generators), runs each through the pipeline the CLI uses, and prints the confusion
 * matrix with per-phase accuracy. The thresholds in src/phase-thresholds.ts were chosen on
 * the tuning seeds; by default this runs on the evaluation seeds, never used for tuning.
 *
 * Then the Marchenko–Pastur ground truth (issue 16): planted BBP spikes over Q × M, Gaussian
 * and Student-t bulks (test/generators/mp-truth.ts), and the spike count's recall, precision,
 * exact and ±1 rates for our fit (src/fit/mp.ts) beside a reimplementation of
 * WeightWatcher's (test/generators/ww-mp.ts) and beside the count rule with the true σ.
 *
 *   npm run calibrate                       # evaluation seeds, then the MP ground truth
 *   npm run calibrate -- --tuning           # the seeds the thresholds were chosen on
 *   npm run calibrate -- --count 50         # matrices per phase (default 100)
 *   npm run calibrate -- --first 300000     # any other fresh seed range
 *   npm run calibrate -- --errors           # list each misclassified matrix with its reason
 *   npm run calibrate -- --features out.tsv # write every matrix's decision features (TSV)
 *   npm run calibrate -- --mp-only          # only the MP ground truth (--no-mp: only the phases)
 *   npm run calibrate -- --mp-count 27      # MP matrices per (Q, M) cell up to M = 256 (default 9)
 *   npm run calibrate -- --mp-tsv out.tsv   # write every MP case's counts and σ (TSV)
 */
import { writeFileSync } from 'node:fs';
import {
  EVALUATION_SEEDS,
  TUNING_SEEDS,
  confusionTable,
  featureRow,
  runCalibration,
} from '../test/generators/index.js';
import { createSpectrumEngine } from '../src/spectrum/index.js';
import { DEFAULT_PER_CELL, runTruth, truthGrid, truthTable } from '../test/generators/mp-scores.js';
import type { TruthOutcome } from '../test/generators/mp-truth.js';

function parseArgs(argv: readonly string[]) {
  const args = {
    tuning: false,
    count: 100,
    first: undefined as number | undefined,
    errors: false,
    features: undefined as string | undefined,
    phases: true,
    mp: true,
    mpCount: DEFAULT_PER_CELL,
    mpTsv: undefined as string | undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--tuning') args.tuning = true;
    else if (a === '--errors') args.errors = true;
    else if (a === '--count') args.count = Number(argv[++i]);
    else if (a === '--first') args.first = Number(argv[++i]);
    else if (a === '--features') args.features = argv[++i];
    else if (a === '--no-mp') args.mp = false;
    else if (a === '--mp-only') args.phases = false;
    else if (a === '--mp-count') args.mpCount = Number(argv[++i]);
    else if (a === '--mp-tsv') args.mpTsv = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isSafeInteger(args.count) || args.count < 1) throw new Error('--count must be a positive integer');
  if (!Number.isSafeInteger(args.mpCount) || args.mpCount < 1) throw new Error('--mp-count must be a positive integer');
  if (args.first !== undefined && !Number.isSafeInteger(args.first)) throw new Error('--first must be an integer');
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.phases) await phases(args);
  if (args.mp) await marchenkoPastur(args.mpCount, args.mpTsv);
}

async function phases(args: ReturnType<typeof parseArgs>): Promise<void> {
  const range = args.tuning ? TUNING_SEEDS : EVALUATION_SEEDS;
  const first = args.first ?? range.first;
  const kind = args.first !== undefined ? 'custom' : args.tuning ? 'tuning' : 'evaluation';
  const started = Date.now();
  console.log(`phase calibration: ${args.count} matrices per phase, ${kind} seeds ${first}–${first + args.count - 1}`);
  const outcomes = await runCalibration(first, args.count);
  console.log(confusionTable(outcomes));
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (args.errors) {
    for (const o of outcomes.filter((x) => x.truth !== x.predicted)) {
      const p = o.matrix.params;
      console.log(
        `${o.truth} seed ${o.matrix.seed} (${o.matrix.variant}, ${p.N}×${p.M}) → ${o.predicted}: ${o.reason}`,
      );
    }
  }
  if (args.features) {
    const rows = outcomes.map(featureRow);
    const cols = Object.keys(rows[0] ?? {});
    writeFileSync(
      args.features,
      [cols.join('\t'), ...rows.map((r) => cols.map((c) => String(r[c])).join('\t'))].join('\n') + '\n',
    );
    console.log(`features written to ${args.features}`);
  }
}

/** The MP ground-truth comparison: eigenvalues through the pipeline's engine, both fits. */
async function marchenkoPastur(perCell: number, tsv: string | undefined): Promise<void> {
  const started = Date.now();
  const cases = truthGrid(perCell);
  console.log(
    `\nMarchenko–Pastur spike count vs planted BBP spikes: ${cases.length} matrices, ${perCell} per (Q, M) cell ` +
      'up to M = 256 (fewer above), N ≤ 8192, float64',
  );
  const engine = createSpectrumEngine();
  let outcomes: TruthOutcome[];
  try {
    outcomes = await runTruth(cases, (W, rows, cols) => engine.eigenvalues(W, rows, cols));
  } finally {
    await engine.close();
  }
  console.log(truthTable(outcomes, 'planted'));
  console.log(truthTable(outcomes, 'detectable'));
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (tsv) {
    const cols = ['seed', 'Q', 'M', 'N', 'bulk', 'mode', 'planted', 'detectable', 'sigmaTrue'];
    const head = [...cols, 'ours', 'oursSigma', 'ww', 'wwSigma', 'oracle'];
    const rows = outcomes.map((o) =>
      [...cols.map((c) => String(o[c as keyof TruthOutcome])), o.ours.found, o.ours.sigma, o.ww.found, o.ww.sigma]
        .concat([o.oracle.found])
        .join('\t'),
    );
    writeFileSync(tsv, `${[head.join('\t'), ...rows].join('\n')}\n`);
    console.log(`MP cases written to ${tsv}`);
  }
}

await main();
