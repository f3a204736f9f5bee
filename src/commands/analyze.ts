/** `rmt-analyze [analyze] <model...>`: the default command. */
import { Command, Option } from 'commander';
import { analyze } from '../analyze.js';
import { REPORTERS, REPORT_FORMATS, type ReportFormat } from '../report/index.js';
import { DEFAULT_MIN_EVALS } from '../matrices.js';
import { DEFAULT_TRAP_SEED } from '../traps.js';
import { collect, nonNegativeInteger, positiveInteger } from './options.js';
import { progressBar } from './progress.js';
import { useColor, type CliIO } from './context.js';

interface AnalyzeCliOptions {
  json?: boolean;
  format?: ReportFormat;
  eigenvalues?: boolean;
  layers?: string[];
  exclude?: string[];
  minEvals: number;
  color: boolean;
  explain?: boolean;
  randomize?: boolean;
  seed: number;
  vectors?: boolean;
}

export function analyzeCommand(io: CliIO, done: (code: Promise<number>) => void): Command {
  return new Command('analyze')
    .description('analyse every weight matrix of the given models (the default command)')
    .argument('<model...>', 'ONNX file, safetensors file, *.safetensors.index.json, or Hugging Face model directory')
    .addOption(new Option('--format <format>', 'output format').choices(REPORT_FORMATS).default('table'))
    .option('--json', 'same as --format json: one JSON document (schema v1)')
    .option('--eigenvalues', 'include every layer’s eigenvalues in the JSON output')
    .option('--explain', 'print the reason for each layer’s phase under its row')
    .option('--layers <glob>', 'analyse only tensors whose name matches (repeatable; * also crosses . and /)', collect)
    .option('--exclude <glob>', 'leave out tensors whose name matches (repeatable)', collect)
    .addOption(
      new Option('--min-evals <n>', 'analyse a layer only when M·slices ≥ n')
        .default(DEFAULT_MIN_EVALS)
        .argParser(positiveInteger('--min-evals')),
    )
    .option('--randomize', 'look for correlation traps: shuffle each weight matrix and count eigenvalues above its MP edge')
    .addOption(
      new Option('--seed <n>', 'seed of the --randomize shuffle').default(DEFAULT_TRAP_SEED).argParser(nonNegativeInteger('--seed')),
    )
    .option('--vectors', 'eigenvector localization of the tail and bulk (O(M³) per layer: slow for large layers)')
    .option('--no-color', 'no colours in the table (also: NO_COLOR=1)')
    .action((paths: string[], opts: AnalyzeCliOptions) => done(runAnalyze(paths, opts, io)));
}

async function runAnalyze(paths: string[], opts: AnalyzeCliOptions, io: CliIO): Promise<number> {
  const format: ReportFormat = opts.json ? 'json' : (opts.format ?? 'table');
  const progress = format === 'table' ? progressBar(io.stderr) : undefined;
  let report;
  try {
    report = await analyze(paths, {
      layers: opts.layers,
      exclude: opts.exclude,
      minEvals: opts.minEvals,
      eigenvalues: opts.eigenvalues,
      randomize: opts.randomize,
      seed: opts.seed,
      vectors: opts.vectors,
      onProgress: progress ? (e) => progress.update(e) : undefined,
      onWarning: (message) => {
        progress?.clear();
        io.stderr.write(`rmt-analyze: warning: ${message}\n`);
      },
    });
  } finally {
    progress?.clear();
  }
  if (opts.eigenvalues && format !== 'json') io.stderr.write('rmt-analyze: note: --eigenvalues only affects JSON output\n');
  io.stdout.write(REPORTERS[format](report, { color: useColor(io, opts.color), explain: opts.explain }));
  return 0;
}
