/** Argument parsers shared by subcommands; they throw commander's InvalidArgumentError (exit 2). */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { AnalyzeOptions } from '../analyze.js';
import { DEFAULT_MIN_EVALS } from '../matrices.js';
import { LAYER_KINDS, parseKinds } from '../selection.js';
import { SORT_KEYS } from '../report/sort.js';
import { EXTRA_COLUMNS, type ExtraColumn } from '../report/table.js';
import type { LayerKind } from '../types.js';

export function positiveInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
      throw new InvalidArgumentError(`${name} must be a positive integer, got '${value}'`);
    }
    return n;
  };
}

export function nonNegativeInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n)) {
      throw new InvalidArgumentError(`${name} must be a non-negative integer, got '${value}'`);
    }
    return n;
  };
}

/** For repeatable options: `--layers a --layers b` → ['a', 'b']. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

// ── Option groups, each flag declared once and reused by every subcommand that takes it ──

/**
 * An option whose parsed value fills `AnalyzeOptions[key]`: commander's attribute name for the
 * flag must be the key, so a renamed flag or field fails at the first run of any command.
 */
function analysisFlag<K extends keyof AnalyzeOptions>(key: K, option: Option): Option {
  if (option.attributeName() !== key)
    throw new Error(`option ${option.flags} fills '${option.attributeName()}', not AnalyzeOptions.${key}`);
  return option;
}

/**
 * Which tensors are analysed: --layers, --exclude, --kind, --min-evals. `prefix` qualifies the
 * help (e.g. "models only: ").
 */
export function selectionOptions(prefix = ''): Option[] {
  return [
    analysisFlag(
      'layers',
      new Option(
        '--layers <glob>',
        `${prefix}analyse only tensors whose name matches: a glob (* also crosses . and /) or, without ` +
          'glob characters, any part of the name (repeatable)',
      ).argParser(collect),
    ),
    analysisFlag(
      'exclude',
      new Option(
        '--exclude <glob>',
        `${prefix}leave out tensors whose name matches, as --layers (repeatable)`,
      ).argParser(collect),
    ),
    analysisFlag(
      'kind',
      new Option(
        '--kind <kinds>',
        `${prefix}analyse only layers of these kinds (comma-separated: ${LAYER_KINDS.join(', ')})`,
      ).argParser((v: string, previous: LayerKind[] = []) => [...new Set([...previous, ...parseKinds(v)])]),
    ),
    minEvalsOption(prefix),
  ];
}

export function minEvalsOption(prefix = ''): Option {
  return analysisFlag(
    'minEvals',
    new Option('--min-evals <n>', `${prefix}analyse a layer only when M·slices ≥ n`)
      .default(DEFAULT_MIN_EVALS)
      .argParser(positiveInteger('--min-evals')),
  );
}

export function jobsOption(): Option {
  return analysisFlag(
    'jobs',
    new Option('--jobs <n>', 'cores to use (default: all)').argParser(positiveInteger('--jobs')),
  );
}

/** --format (from `formats`) and its --json shorthand. */
export function formatOptions(formats: readonly string[], jsonHelp = 'same as --format json'): Option[] {
  return [
    new Option('--format <format>', 'output format').choices(formats).default('table'),
    new Option('--json', jsonHelp),
  ];
}

export function explainOption(): Option {
  return new Option('--explain', 'print the reason for each layer’s phase under its row');
}

export const COLOR_WHEN = ['auto', 'always', 'never'] as const;
/** `--color WHEN`, `--no-color` (false): commander's value for both. */
export type ColorChoice = (typeof COLOR_WHEN)[number] | boolean;

/** --color auto|always|never and --no-color (src/commands/context.ts decides). */
export function colorOption(): Option[] {
  return [
    new Option(
      '--color <when>',
      'colour: auto (on a terminal, unless NO_COLOR; FORCE_COLOR forces it when piped), always or never',
    )
      .choices(COLOR_WHEN)
      .default('auto'),
    new Option('--no-color', 'no colours (same as --color never; also NO_COLOR=1)'),
  ];
}

/** Adds each option of the groups to `cmd`, in order. */
export function addOptions(cmd: Command, ...groups: (Option | Option[])[]): Command {
  for (const option of groups.flat()) cmd.addOption(option);
  return cmd;
}

/** --sort: the order of the rows of the human formats (src/report/sort.ts). */
export function sortOption(): Option {
  return new Option('--sort <key>', 'order of the rows (ascending; JSON keeps file order)')
    .choices(SORT_KEYS)
    .default('file');
}

/** `--columns hill,alpha-weighted,log-alpha-norm`: extra table columns (table format only). */
export function columnsOption(): Option {
  return new Option(
    '--columns <list>',
    `extra table columns, comma-separated: ${EXTRA_COLUMNS.join(', ')} (Hill α; α̂ = α·log₁₀λmax; log α-norm)`,
  ).argParser((v: string, previous: ExtraColumn[] = []) => {
    const names = v
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
    const unknown = names.filter((x) => !(EXTRA_COLUMNS as readonly string[]).includes(x));
    if (unknown.length > 0 || names.length === 0) {
      throw new InvalidArgumentError(`expected some of ${EXTRA_COLUMNS.join(', ')}; got '${unknown[0] ?? v}'`);
    }
    return [...new Set([...previous, ...(names as ExtraColumn[])])];
  });
}
