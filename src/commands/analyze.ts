/** `rmt-analyze [analyze] <model...>`: the default command. */
import { Command, Option } from 'commander';
import { analyze } from '../analyze.js';
import { UsageError, printable } from '../errors.js';
import { readReportIfAny } from './read-report.js';
import type { GateRule } from '../gate.js';
import { NEEDS_EIGENVALUES, REPORT_FORMATS, type ReportFormat } from '../report/index.js';
import { DEFAULT_TRAP_SEED } from '../traps.js';
import {
  addOptions,
  colorOption,
  explainOption,
  formatOptions,
  jobsOption,
  nonNegativeInteger,
  selectionOptions,
  sortOption,
  type ColorChoice,
  columnsOption,
} from './options.js';
import type { ExtraColumn } from '../report/table.js';
import type { SortKey } from '../report/sort.js';
import type { LayerKind } from '../types.js';
import { progressBar } from './progress.js';
import type { CliIO } from './context.js';
import { DROP_ORDER } from '../report/table-fit.js';
import { checkReportWritable, withoutEigenvalues, writeHtmlReport } from './report-file.js';
import { addGateOptions, applyGate, reportGate, resolveGateRules, type GateCliOptions } from './gate.js';
import { parseShardSpec, type ShardSpec } from '../shard.js';
import { printReport } from './print-report.js';
import { reportIncomplete } from './incomplete.js';
import { addRecommendOptions, applyRecommendations, type RecommendCliOptions } from './recommend.js';

interface AnalyzeCliOptions extends GateCliOptions, RecommendCliOptions {
  columns?: ExtraColumn[];
  shard?: ShardSpec;
  json?: boolean;
  format?: ReportFormat;
  eigenvalues?: boolean;
  layers?: string[];
  exclude?: string[];
  kind?: LayerKind[];
  sort: SortKey;
  minEvals: number;
  color: ColorChoice;
  explain?: boolean;
  report?: string;
  plot?: boolean;
  showSkipped?: boolean;
  randomize?: boolean;
  seed: number;
  vectors?: boolean;
  jobs?: number;
  base?: string;
}

/** How the table fits the terminal (the columns it drops first are table-fit.ts's DROP_ORDER). */
export const TABLE_WIDTH_HELP =
  '\nThe table fits the terminal width (COLUMNS overrides it; unlimited when piped): long layer names are\n' +
  `shortened in the middle and columns are dropped, first: ${DROP_ORDER.join(', ')}.\n`;

export function analyzeCommand(io: CliIO, done: (code: Promise<number>) => void): Command {
  const cmd = new Command('analyze')
    .description('analyse every weight matrix of the given models (the default command)')
    .argument(
      '<model...>',
      'ONNX, safetensors, PyTorch or GGUF file, *.safetensors.index.json, Hugging Face model directory, ' +
        'or PEFT LoRA adapter directory',
    );
  addOptions(cmd, formatOptions(REPORT_FORMATS, 'same as --format json: one JSON document (schema v1)'));
  cmd
    .option('--eigenvalues', 'include every layer’s eigenvalues in the JSON output')
    .addOption(explainOption())
    .option('--plot', 'print a compact ESD histogram (log λ) under each layer’s row')
    .option('--report <file>', 'also write a self-contained HTML report with ESD plots to <file>')
    .option('--show-skipped', 'list skipped layers in the table and the HTML index (default: one line counts them)')
    .addOption(columnsOption());
  addOptions(cmd, selectionOptions());
  cmd
    .option(
      '--randomize',
      'look for correlation traps: shuffle each weight matrix and count eigenvalues above its MP edge',
    )
    .addOption(
      new Option('--seed <n>', 'seed of the --randomize shuffle')
        .default(DEFAULT_TRAP_SEED)
        .argParser(nonNegativeInteger('--seed')),
    )
    .option(
      '--base <model>',
      'with a LoRA adapter: also analyse each adapted base weight W and the fine-tuned W + ΔW (named <W>+lora)',
    )
    .option('--vectors', 'eigenvector localization of the tail and bulk (O(M³) per layer: slow for large layers)')
    .addOption(jobsOption())
    .addOption(sortOption());
  addOptions(cmd, colorOption());
  cmd.option(
    '--shard <i/n>',
    'analyse only part i of n (balanced by estimated cost); combine the JSON parts with `rmt-analyze merge`',
    parseShardSpec,
  );
  addRecommendOptions(cmd);
  const gateRules = addGateOptions(cmd);
  cmd.addHelpText('after', TABLE_WIDTH_HELP);
  return cmd.action((paths: string[], opts: AnalyzeCliOptions) => done(runAnalyze(paths, opts, io, gateRules)));
}

async function runAnalyze(
  paths: string[],
  opts: AnalyzeCliOptions,
  io: CliIO,
  gateRules: () => GateRule[],
): Promise<number> {
  const format: ReportFormat = opts.json ? 'json' : (opts.format ?? 'table');
  // Rules first: a bad rule or config file is a usage error before any work is done.
  const rules = await resolveGateRules(gateRules, opts, io);
  // An unwritable --report fails now, not after the analysis it would throw away.
  if (opts.report !== undefined) await checkReportWritable(opts.report);
  if (opts.shard && (opts.prune !== undefined || opts.lrBalance)) {
    throw new UsageError('--prune and --lr-balance need the whole model: give them to `rmt-analyze merge`');
  }
  for (const path of paths) {
    if ((await readReportIfAny(path)) !== undefined)
      throw new UsageError(
        `${path} is an rmt-analyze report, not a model: print it in another format with ` +
          `'rmt-analyze render ${path} --format …', or compare it with 'rmt-analyze compare OLD NEW'`,
      );
  }
  const progress = progressBar(io.stderr);
  // Plots are drawn from the eigenvalues: keep them when any output plots, and print them
  // only where they were asked for (--eigenvalues) or are the output (html).
  const printEigenvalues =
    opts.eigenvalues === true || NEEDS_EIGENVALUES.has(format) || (opts.plot === true && format === 'table');
  let report;
  try {
    report = await analyze(paths, {
      layers: opts.layers,
      exclude: opts.exclude,
      kind: opts.kind,
      minEvals: opts.minEvals,
      eigenvalues: printEigenvalues || opts.report !== undefined,
      shard: opts.shard,
      randomize: opts.randomize,
      base: opts.base,
      seed: opts.seed,
      vectors: opts.vectors,
      jobs: opts.jobs,
      onProgress: progress ? (e) => progress.update(e) : undefined,
      onNote: (message) => {
        progress?.clear();
        io.stderr.write(`rmt-analyze: note: ${printable(message, 1000)}\n`);
      },
      onWarning: (message) => {
        progress?.clear();
        io.stderr.write(`rmt-analyze: warning: ${printable(message, 1000)}\n`);
      },
    });
  } finally {
    progress?.clear();
  }
  report = applyRecommendations(applyGate(report, rules), opts);
  if (opts.eigenvalues && format !== 'json')
    io.stderr.write('rmt-analyze: note: --eigenvalues only affects JSON output\n');
  if (opts.plot && format !== 'table') io.stderr.write('rmt-analyze: note: --plot only affects table output\n');
  if ((opts.prune !== undefined || opts.lrBalance) && format !== 'json')
    io.stderr.write('rmt-analyze: note: --prune and --lr-balance write `recommendations` in the JSON output\n');
  if (opts.shard && format !== 'json') io.stderr.write('rmt-analyze: note: only --json shard parts can be merged\n');
  if (opts.report !== undefined) await writeHtmlReport(opts.report, report, io, opts.showSkipped);
  if (!printEigenvalues) report = withoutEigenvalues(report);
  // A part records whether its layers carry eigenvalues as printed (not as computed for
  // --report or --plot), so parts merge by what they hold.
  if (report.shard)
    report = {
      ...report,
      shard: { ...report.shard, options: { ...report.shard.options, eigenvalues: printEigenvalues } },
    };
  printReport(report, format, opts, io);
  const gateCode = reportGate(report.gate, report.models, io);
  return reportIncomplete(report, io) > 0 ? 2 : gateCode;
}
