/**
 * The command line shell: builds the commander program, runs the chosen subcommand, and
 * turns errors into one line and an exit code. The only module that sets process.exitCode
 * (DESIGN.md §2). stdout carries the report and nothing else; progress, warnings and
 * errors go to stderr.
 *   exit 0: ok · 1: a gate rule failed · 2: usage error or unreadable input
 */
import { Command, CommanderError } from 'commander';
import { RmtError, UsageError, printable } from './errors.js';
import { TOOL_VERSION } from './version.js';
import type { CliIO } from './commands/context.js';
import { analyzeCommand, TABLE_WIDTH_HELP } from './commands/analyze.js';
import { plotCommand } from './commands/plot.js';
import { compareCommand } from './commands/compare.js';
import { mergeCommand } from './commands/merge.js';
import { renderCommand } from './commands/render.js';
import { analysisOptionsHelp, checkSubcommandTypo, EXAMPLES, usageText } from './commands/help.js';

export type { CliIO } from './commands/context.js';

function buildProgram(io: CliIO, done: (code: Promise<number>) => void): Command {
  const program = new Command()
    .name('rmt-analyze')
    .description(
      'Random-matrix diagnostics of neural-network weights: the eigenvalue spectrum of every layer, ' +
        'power-law and Marchenko–Pastur fits, and its phase of training.',
    )
    .version(TOOL_VERSION, '-V, --version')
    .option('--debug', 'print stack traces for errors')
    .enablePositionalOptions(false)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(s.replace(/^error: /, 'rmt-analyze: ')),
    });
  const analyze = analyzeCommand(io, done);
  program.addCommand(analyze, { isDefault: true });
  program.addCommand(renderCommand(io, done));
  program.addCommand(plotCommand(io, done));
  program.addCommand(compareCommand(io, done));
  program.addCommand(mergeCommand(io, done));
  // Subcommands inherit the program's output configuration and exit behaviour.
  for (const cmd of [program, ...program.commands]) {
    cmd.exitOverride();
    cmd.configureOutput(program.configureOutput());
    if (cmd !== program) cmd.option('--debug', 'print stack traces for errors');
  }
  program
    .usage('[analyze] [options] <model...>  |  <command> [options] …')
    .addHelpText('after', () => analysisOptionsHelp(analyze) + TABLE_WIDTH_HELP + EXAMPLES);
  return program;
}

/** Runs the CLI on `argv` (process.argv style) and returns the exit code. */
export async function main(
  argv: readonly string[],
  io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  const debug = argv.includes('--debug');
  const stdout = watchOutput(io.stdout);
  watchOutput(io.stderr); // nowhere left to report a failing stderr: its errors must not crash the run
  const code = await runProgram(argv, io, debug);
  const fault = await stdout.flushed();
  if (fault === undefined || fault.code === 'EPIPE') return code;
  io.stderr.write(`rmt-analyze: cannot write the report to standard output: ${printable(fault.message)}\n`);
  return 2;
}

async function runProgram(argv: readonly string[], io: CliIO, debug: boolean): Promise<number> {
  let pending: Promise<number> | undefined;
  const program = buildProgram(io, (p) => {
    pending = p;
  });
  const args = argv.slice(2).filter((a) => a !== '--debug');
  if (args.length === 0) {
    io.stderr.write(usageText(program));
    return 2;
  }
  try {
    checkSubcommandTypo(
      args,
      program.commands.map((c) => c.name()),
    );
  } catch (e) {
    return reportError(e, io, debug);
  }
  try {
    await program.parseAsync(argv as string[]);
  } catch (e) {
    if (e instanceof CommanderError) {
      return ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(e.code) ? 0 : 2;
    }
    return reportError(e, io, debug);
  }
  try {
    return pending === undefined ? 0 : await pending;
  } catch (e) {
    return reportError(e, io, debug);
  }
}

/**
 * Output faults are the run's, not a crash: a reader that goes away (`| head`, EPIPE) ends
 * the output quietly, as `cat` and ripgrep do, with the run's own exit code; any other write
 * error (ENOSPC on a full disk, EIO) is one line and exit 2. Node reports both as an 'error'
 * event on the stream (fatal when unhandled) and to the write callbacks; this keeps the first.
 */
function watchOutput(stream: CliIO['stdout']): { flushed(): Promise<NodeJS.ErrnoException | undefined> } {
  let fault: NodeJS.ErrnoException | undefined;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    fault ??= e;
  });
  return {
    flushed: () =>
      new Promise((resolve) => {
        const s = stream as NodeJS.WritableStream & { destroyed?: boolean; writableEnded?: boolean };
        if (fault !== undefined || s.destroyed === true || s.writableEnded === true) return resolve(fault);
        // An empty write completes after every earlier one: its callback sees their fault.
        s.write('', (e?: Error | null) => resolve(fault ?? (e as NodeJS.ErrnoException | null) ?? undefined));
      }),
  };
}

function reportError(e: unknown, io: CliIO, debug: boolean): number {
  if (e instanceof RmtError) {
    // Usage errors may list several lines (e.g. candidate layers); input errors are one line.
    io.stderr.write(`rmt-analyze: ${printable(e.message, 4000, e instanceof UsageError)}\n`);
    if (debug && e.stack) io.stderr.write(e.stack + '\n');
    return e.exitCode;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  io.stderr.write(
    `rmt-analyze: internal error: ${printable(err.message)}${debug ? '' : ' (run with --debug for details)'}\n`,
  );
  if (debug && err.stack) io.stderr.write(err.stack + '\n');
  return 2;
}

/** Entry point for bin/rmt-analyze.js. */
export async function run(): Promise<void> {
  process.exitCode = await main(process.argv);
}
