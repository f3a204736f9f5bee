/**
 * Calibration of the phase classifier (issue 4): generates seeded matrices of every phase
 * (test/generators), runs each through the pipeline the CLI uses, and prints the confusion
 * matrix with per-phase accuracy. The thresholds in src/phase-thresholds.ts were chosen on
 * the tuning seeds; by default this runs on the evaluation seeds, never used for tuning.
 *
 *   npm run calibrate                       # evaluation seeds
 *   npm run calibrate -- --tuning           # the seeds the thresholds were chosen on
 *   npm run calibrate -- --count 50         # matrices per phase (default 100)
 *   npm run calibrate -- --first 300000     # any other fresh seed range
 *   npm run calibrate -- --errors           # list each misclassified matrix with its reason
 *   npm run calibrate -- --features out.tsv # write every matrix's decision features (TSV)
 */
import { writeFileSync } from 'node:fs';
import {
  EVALUATION_SEEDS,
  TUNING_SEEDS,
  confusionTable,
  featureRow,
  runCalibration,
} from '../test/generators/index.js';

function parseArgs(argv: readonly string[]) {
  const args = {
    tuning: false,
    count: 100,
    first: undefined as number | undefined,
    errors: false,
    features: undefined as string | undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--tuning') args.tuning = true;
    else if (a === '--errors') args.errors = true;
    else if (a === '--count') args.count = Number(argv[++i]);
    else if (a === '--first') args.first = Number(argv[++i]);
    else if (a === '--features') args.features = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isSafeInteger(args.count) || args.count < 1) throw new Error('--count must be a positive integer');
  if (args.first !== undefined && !Number.isSafeInteger(args.first)) throw new Error('--first must be an integer');
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
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

await main();
