/**
 * The gate config file: `rmt-analyze.config.json` in the working directory, or `--config
 * FILE`. It holds gate rules per layer glob:
 *
 *   {
 *     "gate": [
 *       { "layers": "*", "failOnPhase": ["rank-collapse", "random-like"] },
 *       { "layers": ["*attn*", "*mlp*"], "alphaRange": { "min": 2, "max": 6 },
 *         "expectPhase": "heavy-tailed,bulk-decay" }
 *     ]
 *   }
 *
 * Every problem is a UsageError (exit 2) naming the file, the JSON path and what is wrong:
 *   `ci.json: $.gate[1].expectPhase[0]: unknown phase 'heavy' (phases: …)`.
 */
import { join } from 'node:path';
import { FormatError, UsageError } from './errors.js';
import { readTextFile } from './load/open-file.js';
import { checkPhase, parseAlphaRange, unknownPhaseMessage, type GateRule } from './gate.js';
import type { PhaseName } from './schema/index.js';

export const CONFIG_FILE_NAME = 'rmt-analyze.config.json';

/** A config file is a few rules: anything larger is not one (and is not read into memory). */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

const TOP_KEYS = ['$schema', 'gate'] as const;
const ENTRY_KEYS = ['layers', 'failOnPhase', 'expectPhase', 'alphaRange'] as const;
const RULE_KEYS = ['failOnPhase', 'expectPhase', 'alphaRange'] as const;

/**
 * Reads the rules of `path` (an explicit `--config`), or of rmt-analyze.config.json in `cwd`
 * when `path` is undefined and that file exists. `false` (from `--no-config`) reads nothing.
 */
export async function loadGateConfig(path: string | false | undefined, cwd: string): Promise<GateRule[]> {
  if (path === false) return [];
  const file = path ?? join(cwd, CONFIG_FILE_NAME);
  let text: string;
  try {
    // Not blocking on a FIFO, not reading /dev/zero or a directory: open-file.ts.
    text = await readTextFile(file, MAX_CONFIG_BYTES);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (path === undefined && code === 'ENOENT') return [];
    const shown = path ?? CONFIG_FILE_NAME;
    if (e instanceof FormatError) throw new UsageError(`${shown}: ${e.message}`);
    throw new UsageError(
      `${shown}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : 'cannot be read'}`,
    );
  }
  return parseGateConfig(text, path ?? CONFIG_FILE_NAME);
}

/** Parses and validates a config document; `file` names it in messages. */
export function parseGateConfig(text: string, file: string): GateRule[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const fail = (path: string, problem: string): never => {
    throw new UsageError(`${file}: ${path}: ${problem}`);
  };
  if (!isObject(doc)) return fail('$', `expected an object like { "gate": [ … ] }, got ${typeOf(doc)}`);
  checkKeys(doc, TOP_KEYS, '$', fail);
  if (!('gate' in doc)) return fail('$', 'missing "gate" (an array of rules)');
  const gate = doc.gate;
  if (!Array.isArray(gate)) return fail('$.gate', `expected an array of rules, got ${typeOf(gate)}`);

  const rules: GateRule[] = [];
  gate.forEach((entry: unknown, i) => {
    const at = `$.gate[${i}]`;
    if (!isObject(entry)) return fail(at, `expected an object, got ${typeOf(entry)}`);
    checkKeys(entry, ENTRY_KEYS, at, fail);
    const scope = parseScope(entry.layers, `${at}.layers`, fail);
    if (!RULE_KEYS.some((k) => k in entry)) return fail(at, `no rule in it (give ${RULE_KEYS.join(', ')})`);
    if ('failOnPhase' in entry)
      rules.push({ kind: 'fail-on-phase', scope, phases: parsePhases(entry.failOnPhase, `${at}.failOnPhase`, fail) });
    if ('expectPhase' in entry)
      rules.push({ kind: 'expect-phase', scope, phases: parsePhases(entry.expectPhase, `${at}.expectPhase`, fail) });
    if ('alphaRange' in entry)
      rules.push({ kind: 'alpha-range', scope, ...parseRange(entry.alphaRange, `${at}.alphaRange`, fail) });
  });
  return rules;
}

type Fail = (path: string, problem: string) => never;

function parseScope(value: unknown, at: string, fail: Fail): string[] {
  if (value === undefined) return [];
  const globs = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(globs) || globs.length === 0)
    return fail(at, `expected a glob or a non-empty array of globs, got ${typeOf(value)}`);
  return globs.map((g: unknown, i) => {
    if (typeof g !== 'string' || g.trim() === '')
      return fail(Array.isArray(value) ? `${at}[${i}]` : at, `expected a non-empty glob string, got ${typeOf(g)}`);
    return g;
  });
}

/** An array of phase names, or one comma-separated string as on the command line. */
function parsePhases(value: unknown, at: string, fail: Fail): PhaseName[] {
  if (typeof value === 'string') {
    const names = value.split(',').map((s) => s.trim());
    for (const n of names) {
      if (n === '') fail(at, `expected phase names separated by commas, got '${value}'`);
      if (!checkPhase(n)) fail(at, unknownPhaseMessage(n));
    }
    return [...new Set(names)] as PhaseName[];
  }
  if (!Array.isArray(value) || value.length === 0)
    return fail(at, `expected a non-empty array of phase names, got ${typeOf(value)}`);
  value.forEach((n: unknown, i) => {
    if (typeof n !== 'string') fail(`${at}[${i}]`, `expected a phase name, got ${typeOf(n)}`);
    else if (!checkPhase(n)) fail(`${at}[${i}]`, unknownPhaseMessage(n));
  });
  return [...new Set(value as PhaseName[])];
}

/** `{ "min": 2, "max": 6 }` (either optional) or the CLI's `"2:6"`. */
function parseRange(value: unknown, at: string, fail: Fail): { min: number | null; max: number | null } {
  if (typeof value === 'string') {
    try {
      return parseAlphaRange(value, 'alphaRange');
    } catch (e) {
      return fail(at, (e as Error).message.replace(/^alphaRange: /, ''));
    }
  }
  if (!isObject(value)) return fail(at, `expected { "min": …, "max": … } or "MIN:MAX", got ${typeOf(value)}`);
  checkKeys(value, ['min', 'max'], at, fail);
  const bound = (key: 'min' | 'max') => {
    const x = value[key];
    if (x === undefined || x === null) return null;
    if (typeof x !== 'number' || !Number.isFinite(x))
      return fail(`${at}.${key}`, `expected a number, got ${typeOf(x)}`);
    return x;
  };
  const min = bound('min');
  const max = bound('max');
  if (min === null && max === null) return fail(at, 'give "min", "max" or both');
  if (min !== null && max !== null && min > max) return fail(at, `min ${min} is greater than max ${max}`);
  return { min, max };
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], at: string, fail: Fail): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) fail(at, `unknown key '${key}' (allowed: ${allowed.join(', ')})`);
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function typeOf(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'string') return `the string ${JSON.stringify(x.length > 40 ? x.slice(0, 40) + '…' : x)}`;
  if (typeof x === 'object') return 'an object';
  if (typeof x === 'number' || typeof x === 'boolean') return `${typeof x} ${String(x)}`;
  return typeof x;
}
