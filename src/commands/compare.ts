/**
 * `rmt-analyze compare OLD NEW`: each side is a model (analysed now) or a JSON report written
 * earlier with --json; the comparison is src/compare.ts.
 */
import { Command } from 'commander';
import { analyze } from '../analyze.js';
import { openRegularFile } from '../load/open-file.js';
import { sniffFormat } from '../load/index.js';
import { InputError, UsageError } from '../errors.js';
import { compareReports } from '../compare.js';
import { parseAlphaRange } from '../gate.js';
import { SCHEMA_VERSION, type AnalysisReport } from '../schema/index.js';
import { COMPARE_FORMATS, renderCompare, type CompareFormat } from '../report/compare.js';
import { addOptions, colorOption, formatOptions, selectionOptions } from './options.js';
import { useColor, type CliIO } from './context.js';
import { reportGate } from './gate.js';
import { readJsonReport } from './read-report.js';

interface CompareCliOptions {
  format: CompareFormat;
  json?: boolean;
  failOnRegression?: boolean;
  alphaRange?: { min: number | null; max: number | null };
  layers?: string[];
  exclude?: string[];
  minEvals: number;
  color: boolean;
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
  if (await startsWithBrace(path)) {
    const doc = await readJsonReport(path);
    if (typeof doc === 'object' && doc !== null && 'schemaVersion' in doc) {
      if (doc.schemaVersion !== SCHEMA_VERSION || !Array.isArray(doc.layers) || !Array.isArray(doc.models)) {
        throw new InputError(
          path,
          `not an rmt-analyze v${SCHEMA_VERSION} report (schemaVersion ${JSON.stringify(doc.schemaVersion)})`,
        );
      }
      // A part written with --shard i/n holds only some layers.
      const shard = (doc as { shard?: { index: number; count: number } }).shard;
      if (shard)
        throw new UsageError(
          `${path} is part ${shard.index}/${shard.count} of a sharded run: merge the parts first (rmt-analyze merge)`,
        );
      return doc;
    }
  }
  return analyze([path], { layers: opts.layers, exclude: opts.exclude, minEvals: opts.minEvals });
}

async function startsWithBrace(path: string): Promise<boolean> {
  let opened: Awaited<ReturnType<typeof openRegularFile>>;
  try {
    // Not blocking on a FIFO; anything but a regular file goes to the model loader, which names the problem.
    opened = await openRegularFile(path);
  } catch {
    return false;
  }
  const { handle, stats } = opened;
  try {
    const head = new Uint8Array(64);
    const { bytesRead } = await handle.read(head, 0, 64, 0);
    // Binary (NUL bytes) is never a report, even when the loader would not know it either.
    if (head.subarray(0, bytesRead).includes(0)) return false;
    // The model loader's own sniffing: JSON opening an object that is not a safetensors
    // header (whose u64 length can start with '{') is what the loader calls an index.
    return sniffFormat(head.subarray(0, bytesRead), path, stats.size)?.name === 'safetensors-index';
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}
