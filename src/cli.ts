/**
 * The command line: argv → options → analyze() → reporter → exit code. The only module that
 * writes to the process's streams or sets process.exitCode (DESIGN.md §2).
 * stdout carries the report and nothing else; progress, warnings and errors go to stderr.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { analyze, type ProgressEvent } from './analyze.js';
import { RmtError } from './errors.js';
import { renderJson } from './report/json.js';
import { renderTable } from './report/table.js';
import { TOOL_VERSION } from './version.js';

export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

interface CliOptions {
  json?: boolean;
  eigenvalues?: boolean;
  layers?: string[];
  exclude?: string[];
  minEvals: number;
  color: boolean;
  explain?: boolean;
  debug?: boolean;
}

function positiveInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
      throw new InvalidArgumentError(`${name} must be a positive integer, got '${value}'`);
    }
    return n;
  };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function buildProgram(io: CliIO): Command {
  return new Command()
    .name('rmt-analyze')
    .description(
      'Random-matrix diagnostics of neural-network weights: the eigenvalue spectrum of each layer, ' +
        'power-law and Marchenko–Pastur fits, and its phase of training.',
    )
    .version(TOOL_VERSION, '-V, --version')
    .argument('<model...>', 'ONNX file, safetensors file, *.safetensors.index.json, or Hugging Face model directory')
    .option('--json', 'print one JSON document (schema v1) instead of the table')
    .option('--eigenvalues', 'include every layer’s eigenvalues in the JSON output')
    .option('--explain', 'print the reason for each layer’s phase under its row')
    .option('--layers <glob>', 'analyse only tensors whose name matches (repeatable; * also crosses . and /)', collect)
    .option('--exclude <glob>', 'leave out tensors whose name matches (repeatable)', collect)
    .addOption(
      new Option('--min-evals <n>', 'analyse a layer only when M·slices ≥ n').default(10).argParser(positiveInteger('--min-evals')),
    )
    .option('--no-color', 'no colours in the table (also: NO_COLOR=1)')
    .option('--debug', 'print stack traces for errors')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(s.replace(/^error: /, 'rmt-analyze: ')),
    });
}

/** Runs the CLI and returns the exit code: 0 ok, 1 gate failed, 2 usage or input error. */
export async function main(argv: readonly string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  const program = buildProgram(io);
  let debug = argv.includes('--debug');
  try {
    program.parse(argv as string[]);
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : 2;
    }
    throw e;
  }
  const opts = program.opts<CliOptions>();
  debug = opts.debug === true;
  const paths = program.args;
  try {
    const progress = io.stderr.isTTY && !opts.json ? progressPrinter(io.stderr) : undefined;
    const report = await analyze(paths, {
      layers: opts.layers,
      exclude: opts.exclude,
      minEvals: opts.minEvals,
      eigenvalues: opts.eigenvalues,
      onProgress: progress?.update,
    });
    progress?.clear();
    if (opts.eigenvalues && !opts.json) {
      io.stderr.write('rmt-analyze: note: --eigenvalues only affects --json output\n');
    }
    const color = opts.color && !noColorEnv(io.env) && io.stdout.isTTY === true;
    io.stdout.write(opts.json ? renderJson(report) : renderTable(report, { color, explain: opts.explain }));
    return 0;
  } catch (e) {
    return reportError(e, io, debug);
  }
}

function noColorEnv(env: NodeJS.ProcessEnv): boolean {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== '';
}

function reportError(e: unknown, io: CliIO, debug: boolean): number {
  if (e instanceof RmtError) {
    io.stderr.write(`rmt-analyze: ${e.message}\n`);
    if (debug && e.stack) io.stderr.write(e.stack + '\n');
    return e.exitCode;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  io.stderr.write(`rmt-analyze: internal error: ${err.message}${debug ? '' : ' (run with --debug for details)'}\n`);
  if (debug && err.stack) io.stderr.write(err.stack + '\n');
  return 2;
}

/** A one-line progress indicator on a TTY stderr, redrawn in place. */
function progressPrinter(stream: NodeJS.WritableStream) {
  const started = Date.now();
  let shown = false;
  return {
    update(e: ProgressEvent) {
      // Only once the run has taken a second, so quick runs stay clean.
      if (Date.now() - started < 1000) return;
      shown = true;
      const width = 24;
      const filled = Math.round((width * e.done) / Math.max(1, e.total));
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      const name = e.layer.length > 40 ? '…' + e.layer.slice(-39) : e.layer;
      stream.write(`\r\x1b[K${bar} ${e.done}/${e.total} ${name}`);
    },
    clear() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}

/** Entry point for bin/rmt-analyze.js. */
export async function run(): Promise<void> {
  process.exitCode = await main(process.argv);
}
