/**
 * Help that helps (issue 15, item 5): `rmt-analyze --help` also shows the default command's
 * options, examples and the exit codes; no arguments prints the usage; a mistyped
 * subcommand gets a suggestion instead of "no such file".
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';

export const EXAMPLES = `
Examples:
  rmt-analyze model.onnx                                  a table of every layer
  rmt-analyze model.safetensors --json | jq '.summary'    one JSON document
  rmt-analyze hf-model-dir --layers attn --sort alpha     some layers, by α
  rmt-analyze model.onnx --report report.html             + an HTML report with ESD plots
  rmt-analyze model.onnx --fail-on-phase rank-collapse --alpha-range 2:6   a CI gate
  rmt-analyze render report.json --format markdown        a saved --json report, re-rendered
  rmt-analyze compare old.safetensors new.safetensors     two checkpoints, layer by layer
  rmt-analyze plot model.onnx --layer fc1                 one layer's ESD

Exit codes:
  0  the report was printed (and the gate, if any, passed)
  1  a gate rule failed, or compare --fail-on-regression found a regression
  2  usage error, unreadable input, or a layer whose computation failed
`;

/** The analysis options (the default command's) for the program's --help. */
export function analysisOptionsHelp(analyze: Command): string {
  const full = analyze.helpInformation();
  const at = full.indexOf('\nOptions:\n');
  const options = at >= 0 ? full.slice(at + '\nOptions:\n'.length) : '';
  return `\nAnalysis options (rmt-analyze [analyze] [options] <model...>):\n${options}`;
}

/** What `rmt-analyze` with no arguments prints on stderr. */
export function usageText(program: Command): string {
  const full = program.helpInformation();
  const usage = full.split('\nOptions:\n')[0]!.trimEnd();
  const commands = full.indexOf('\nCommands:\n');
  return (
    `${usage}\n${commands >= 0 ? full.slice(commands).trimEnd() : ''}\n\n` +
    "Run 'rmt-analyze --help' for the options, examples and exit codes.\n"
  );
}

/**
 * The first argument when it looks like a mistyped subcommand rather than a model: not a
 * command, not an existing path, no dot or slash, and close to a command's name.
 */
export function checkSubcommandTypo(args: readonly string[], commands: readonly string[]): void {
  const first = args.find((a) => !a.startsWith('-'));
  if (first === undefined || first !== args[0] || commands.includes(first)) return;
  if (/[./\\]/.test(first) || existsSync(first)) return;
  const near = commands
    .map((name) => ({ name, d: editDistance(first.toLowerCase(), name) }))
    .filter(({ name, d }) => d <= Math.max(1, Math.floor(name.length / 3)))
    .sort((a, b) => a.d - b.d);
  if (near.length === 0) return;
  throw new UsageError(
    `unknown command '${first}' (did you mean '${near[0]!.name}'?); ` +
      `a model of that name would be given as ./${first}`,
  );
}

/** Levenshtein distance with transpositions counted as one edit (Damerau, optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}
