/**
 * The gate on the command line: the rule flags, the config file, and the verdict on stderr.
 * Shared by `analyze` and `merge`.
 *
 * `--gate-layers GLOB` scopes the rule flags that follow it, up to the next `--gate-layers`
 * (several in a row add up); rules before the first one apply to every layer:
 *   --fail-on-phase rank-collapse --gate-layers '*attn*' --alpha-range 2:6
 */
import { Command, Option } from 'commander';
import { UsageError, printable } from '../errors.js';
import { evaluateGate, parseAlphaRange, parsePhaseList, unmatchedScopes, type GateRule } from '../gate.js';
import { describeViolation, failureCount } from '../report/gate-text.js';
import { loadGateConfig, CONFIG_FILE_NAME } from '../config.js';
import { PHASE_NAMES } from '../schema/index.js';
import type { AnalysisReport, GateResult, ModelInfo } from '../schema/index.js';
import type { CliIO } from './context.js';

export interface GateCliOptions {
  /** A path, false for --no-config, undefined for the default file in the working directory. */
  readonly config?: string | false;
}

type Item =
  | { readonly type: 'scope'; readonly glob: string }
  | { readonly type: 'rule'; readonly make: (scope: string[]) => GateRule };

/** Adds the gate flags to `cmd`; the returned function gives the rules they spell, in order. */
export function addGateOptions(cmd: Command): () => GateRule[] {
  // Commander calls the parsers in command-line order, which is what gives --gate-layers its meaning.
  const items: Item[] = [];
  const rule = (make: (value: string, scope: string[]) => GateRule) => (value: string) => {
    const made = make(value, []); // validates now, so a bad value fails with its flag's name
    items.push({ type: 'rule', make: (scope) => ({ ...made, scope }) });
    return value;
  };
  cmd
    .addOption(
      new Option(
        '--fail-on-phase <phases>',
        `gate: fail if a layer is in one of these phases (comma-separated: ${PHASE_NAMES.join(', ')})`,
      ).argParser(rule((v, scope) => ({ kind: 'fail-on-phase', scope, phases: parsePhaseList(v, '--fail-on-phase') }))),
    )
    .addOption(
      new Option('--expect-phase <phases>', 'gate: fail if a layer is in none of these phases').argParser(
        rule((v, scope) => ({ kind: 'expect-phase', scope, phases: parsePhaseList(v, '--expect-phase') })),
      ),
    )
    .addOption(
      new Option('--alpha-range <min:max>', 'gate: fail if a fitted α is outside [min, max] (2:6, 2: or :6)').argParser(
        rule((v, scope) => ({ kind: 'alpha-range', scope, ...parseAlphaRange(v, '--alpha-range') })),
      ),
    )
    .addOption(
      new Option(
        '--gate-layers <glob>',
        'gate: the rule flags after this apply only to layers matching the glob (repeatable)',
      ).argParser((glob: string) => {
        if (glob.trim() === '') throw new UsageError('--gate-layers: empty glob');
        items.push({ type: 'scope', glob });
        return glob;
      }),
    )
    .option('--config <file>', `gate rules per layer glob from a JSON file (default: ./${CONFIG_FILE_NAME} if present)`)
    .option('--no-config', `ignore ./${CONFIG_FILE_NAME}`);

  return () => {
    const rules: GateRule[] = [];
    let scope: string[] = [];
    let scopeUsed = true;
    for (const item of items) {
      if (item.type === 'scope') {
        if (scopeUsed) scope = [];
        scope.push(item.glob);
        scopeUsed = false;
      } else {
        rules.push(item.make([...scope]));
        scopeUsed = true;
      }
    }
    if (!scopeUsed) {
      const g = scope.map((s) => `'${s}'`).join(' ');
      throw new UsageError(
        `--gate-layers ${g} is not followed by a rule to scope: put it before the rules it applies to ` +
          `(e.g. --gate-layers ${g.split(' ')[0]} --alpha-range 2:6)`,
      );
    }
    return rules;
  };
}

/** The gate's rules and where they came from (for messages). */
export interface ResolvedGate {
  readonly config: readonly GateRule[];
  /** How the config file is named in messages. */
  readonly configName: string;
  readonly flags: readonly GateRule[];
}

/** Layers named when a scope matches none. */
const LAYERS_LISTED = 8;

/**
 * The config file's rules, then the flags' rules. A config file found in the working directory
 * (not named by --config) is announced on stderr, so that a gate nobody asked for is visible.
 */
export async function resolveGateRules(
  flagRules: () => GateRule[],
  opts: GateCliOptions,
  io: CliIO,
): Promise<ResolvedGate> {
  const flags = flagRules();
  const config = await loadGateConfig(opts.config, process.cwd());
  const configName = typeof opts.config === 'string' ? opts.config : `./${CONFIG_FILE_NAME}`;
  if (opts.config === undefined && config.length > 0) {
    const n = config.length === 1 ? '1 gate rule' : `${config.length} gate rules`;
    io.stderr.write(`rmt-analyze: note: ${n} from ${configName} (--no-config ignores it)\n`);
  }
  return { config, configName: printable(configName), flags };
}

/**
 * The report with its `gate` (the last key, as in the v1 document), or unchanged when there
 * are no rules. A layer glob that matches no layer is a usage error: its rules would check
 * nothing and the gate would pass whatever the model.
 */
export function applyGate(report: AnalysisReport, gate: ResolvedGate): AnalysisReport {
  const rules = [...gate.config, ...gate.flags];
  if (rules.length === 0) return report;
  checkScopes(report, gate.flags, '--gate-layers');
  checkScopes(report, gate.config, `${gate.configName}: layers`);
  const { gate: _old, ...rest } = report;
  return { ...rest, gate: evaluateGate(report, rules) };
}

function checkScopes(report: AnalysisReport, rules: readonly GateRule[], what: string): void {
  const unmatched = unmatchedScopes(report, rules);
  if (unmatched.length === 0) return;
  const globs = unmatched.map((g) => `'${printable(g, 200)}'`).join(', ');
  const analysed = report.layers.filter((l) => l.status === 'analyzed');
  const pool = analysed.length > 0 ? analysed : report.layers;
  const shown = pool.slice(0, LAYERS_LISTED).map((l) => `  ${printable(l.id, 200)}`);
  if (pool.length > LAYERS_LISTED) shown.push(`  … and ${pool.length - LAYERS_LISTED} more`);
  throw new UsageError(
    `${what} ${globs} ${unmatched.length === 1 ? 'matches' : 'match'} no layer, so ` +
      `${unmatched.length === 1 ? 'its rules' : 'their rules'} would check nothing; ` +
      `the ${analysed.length > 0 ? 'analysed ' : ''}layers are:\n${shown.length > 0 ? shown.join('\n') : '  (none)'}`,
  );
}

/**
 * Prints the failures on stderr, one line per violating layer, and returns the exit code.
 * `label`: `gate`, or `compare` for regressions.
 */
export function reportGate(
  gate: GateResult | undefined,
  models: readonly ModelInfo[],
  io: CliIO,
  label = 'gate',
): number {
  if (gate === undefined || gate.passed) return 0;
  const byLayer = new Map<string, { layer: string; model: number; text: string[] }>();
  for (const f of gate.failures) {
    const key = `${f.model}\u0000${f.layer}`;
    const entry = byLayer.get(key) ?? { layer: f.layer, model: f.model, text: [] };
    entry.text.push(describeViolation(f));
    byLayer.set(key, entry);
  }
  const multiModel = models.length > 1;
  for (const { layer, model, text } of byLayer.values()) {
    const where = multiModel ? ` [${printable(models[model]?.path ?? String(model))}]` : '';
    io.stderr.write(`rmt-analyze: ${label}: ${printable(layer, 200)}${where}: ${printable(text.join('; '), 2000)}\n`);
  }
  io.stderr.write(`rmt-analyze: ${label} failed: ${failureCount(gate)}\n`);
  return 1;
}
