/**
 * `rmt-analyze compare OLD NEW`: each side is a model (analysed now) or a JSON report written
 * earlier with --json; the comparison is src/compare.ts.
 */
import { Command } from 'commander';
import { analyze } from '../analyze.js';
import { compareReports, type CompareReport } from '../compare.js';
import { parseRename } from '../compare-pairing.js';
import { UsageError, printable } from '../errors.js';
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
  rename?: [string, string][];
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
    )
    .option(
      '--rename <from=to>',
      'pair OLD layer FROM (an id, or a prefix of ids) with NEW layer TO (repeatable); names that differ by a ' +
        'common prefix or suffix, or layers with identical content, are paired without it',
      (v: string, previous: [string, string][] = []) => {
        const pair = parseRename(v);
        if (pair === undefined) throw new UsageError(`--rename: expected FROM=TO, got '${v}'`);
        return [...previous, pair];
      },
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
    renames: opts.rename,
  });
  const how = pairingNote(report);
  if (how !== undefined) io.stderr.write(`rmt-analyze: note: ${printable(how, 2000)}\n`);
  io.stdout.write(renderCompare(report, format, { color: useColor(io, opts.color) }));
  return reportGate(report.gate, newReport.models, io, 'compare');
}

/** A JSON report (starts with '{' and has a schemaVersion) or anything `analyze` reads. */
async function loadSide(path: string, opts: CompareCliOptions): Promise<AnalysisReport> {
  const saved = await readReportIfAny(path);
  if (saved) return saved;
  return analyze([path], { layers: opts.layers, exclude: opts.exclude, kind: opts.kind, minEvals: opts.minEvals });
}

/** What was paired how, when anything but equal ids paired layers, or nothing was paired by id. */
function pairingNote(report: CompareReport): string | undefined {
  const p = report.pairing;
  const { added, removed } = report.summary;
  const onlyByName = p.rename === 0 && p.content === 0 && p.affixes.length === 0;
  if (onlyByName && (p.name > 0 || added === 0 || removed === 0)) return undefined;
  const parts = [`${p.name} by name`];
  if (p.rename > 0) parts.push(`${p.rename} by --rename`);
  for (const a of p.affixes) parts.push(`${a.count} as ${a.rule}`);
  if (p.content > 0) parts.push(`${p.content} by identical content`);
  let note = `paired layers: ${parts.join(', ')}`;
  if (added > 0 || removed > 0) note += `; ${removed} only in OLD, ${added} only in NEW`;
  if (added > 0 && removed > 0) note += ' (--rename FROM=TO pairs them)';
  return note;
}
