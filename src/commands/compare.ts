/**
 * `rmt-analyze compare OLD NEW`: each side is a model (analysed now) or a JSON report written
 * earlier with --json; the comparison is src/compare.ts.
 */
import { Command } from 'commander';
import { analyze } from '../analyze.js';
import { compareReports } from '../compare.js';
import { parseAlphaRange } from '../gate.js';
import type { AnalysisReport } from '../schema/index.js';
import type { LayerKind } from '../types.js';
import { COMPARE_FORMATS, renderCompare, type CompareFormat } from '../report/compare.js';
import { addOptions, colorOption, formatOptions, selectionOptions, type ColorChoice } from './options.js';
import { useColor, type CliIO } from './context.js';
import { reportGate } from './gate.js';
import { readReportIfAny } from './read-report.js';

interface CompareCliOptions {
  format: CompareFormat;
  json?: boolean;
  failOnRegression?: boolean;
  alphaRange?: { min: number | null; max: number | null };
  layers?: string[];
  exclude?: string[];
  kind?: LayerKind[];
  minEvals: number;
  color: ColorChoice;
}

export function compareCommand(io: CliIO, done: (code: Promise<number>) => void): Command {
  const cmd = new Command('compare')
    .description('compare two checkpoints layer by layer: phase change, Δα, Δ log norm, Δ stable rank')
    .argument('<old>', 'a model, or a JSON report written with --json')
    .argument('<new>', 'a model, or a JSON report written with --json');
  addOptions(cmd, formatOptions(COMPARE_FORMATS));
  cmd
    .option(
      '--fail-on-regression',
      'exit 1 when a layer moves to a lighter phase (or into rank-collapse), or its α leaves --alpha-range',
    )
    .option('--alpha-range <min:max>', 'the α range a layer must not leave (2:6, 2: or :6)', (v: string) =>
      parseAlphaRange(v, '--alpha-range'),
    );
  addOptions(cmd, selectionOptions('models only: '), colorOption());
  return cmd.action((oldPath: string, newPath: string, opts: CompareCliOptions) =>
    done(runCompare(oldPath, newPath, opts, io)),
  );
}

async function runCompare(oldPath: string, newPath: string, opts: CompareCliOptions, io: CliIO): Promise<number> {
  const format: CompareFormat = opts.json ? 'json' : opts.format;
  const load = (path: string) => loadSide(path, opts);
  const oldReport = await load(oldPath);
  const newReport = await load(newPath);
  const report = compareReports(oldReport, newReport, {
    alphaRange: opts.alphaRange,
    failOnRegression: opts.failOnRegression,
    names: [oldPath, newPath],
  });
  io.stdout.write(renderCompare(report, format, { color: useColor(io, opts.color) }));
  return reportGate(report.gate, newReport.models, io, 'compare');
}

/** A JSON report (starts with '{' and has a schemaVersion) or anything `analyze` reads. */
async function loadSide(path: string, opts: CompareCliOptions): Promise<AnalysisReport> {
  const saved = await readReportIfAny(path);
  if (saved) return saved;
  return analyze([path], { layers: opts.layers, exclude: opts.exclude, kind: opts.kind, minEvals: opts.minEvals });
}
