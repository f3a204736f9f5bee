/**
 * CI gate (issue 6): rules are data, and evaluating them is a pure function of the report.
 * The CLI flags (`--fail-on-phase`, `--expect-phase`, `--alpha-range`, `--gate-layers`) and
 * the config file (src/config.ts) both produce `GateRule`s; the CLI prints the failures and
 * turns `passed: false` into exit code 1.
 *
 * Rules look at analysed layers only: a skipped layer has no phase and no α.
 */
import { patternsMatcher } from './layer-pattern.js';
import { UsageError } from './errors.js';
import { PHASE_NAMES, type LayerResult, type PhaseName } from './schema/index.js';
import type { AnalysisReport, GateFailure, GateResult } from './schema/index.js';

/** Which layers a rule looks at: globs on the tensor name or the layer id (any matches); empty = all. */
export type GateScope = readonly string[];

export type GateRule =
  /** Fail if a layer is in one of `phases`. */
  | { readonly kind: 'fail-on-phase'; readonly scope: GateScope; readonly phases: readonly PhaseName[] }
  /** Fail if a layer is in none of `phases`. */
  | { readonly kind: 'expect-phase'; readonly scope: GateScope; readonly phases: readonly PhaseName[] }
  /** Fail if a fitted α lies outside [min, max] (null: unbounded on that side). */
  | {
      readonly kind: 'alpha-range';
      readonly scope: GateScope;
      readonly min: number | null;
      readonly max: number | null;
    };

export type GateRuleKind = GateRule['kind'];

/** The rule as one short, stable line: `alpha-range 2:6 for *attn*`. Used as `failures[].rule`. */
export function describeRule(rule: GateRule): string {
  const params = rule.kind === 'alpha-range' ? formatRange(rule.min, rule.max) : rule.phases.join(',');
  const scope = rule.scope.length > 0 ? ` for ${rule.scope.join(' ')}` : '';
  return `${rule.kind} ${params}${scope}`;
}

export function formatRange(min: number | null, max: number | null): string {
  return `${min ?? ''}:${max ?? ''}`;
}

/**
 * Evaluates every rule on every analysed layer (a failed layer fails `expect-phase`); failures
 * in layer order, then rule order.
 */
export function evaluateGate(report: Pick<AnalysisReport, 'layers'>, rules: readonly GateRule[]): GateResult {
  const compiled = rules.map((rule) => ({ rule, description: describeRule(rule), inScope: scopeMatcher(rule.scope) }));
  const failures: GateFailure[] = [];
  for (const layer of report.layers) {
    if (layer.status === 'failed') {
      // A layer that could not be computed has no phase: it cannot meet an expected one.
      for (const { rule, description, inScope } of compiled) {
        if (rule.kind === 'expect-phase' && inScope(layer))
          failures.push({ layer: layer.id, model: layer.model, rule: description, value: 'failed' });
      }
      continue;
    }
    if (layer.status !== 'analyzed') continue;
    for (const { rule, description, inScope } of compiled) {
      if (!inScope(layer)) continue;
      const value = violation(rule, layer);
      if (value !== undefined) failures.push({ layer: layer.id, model: layer.model, rule: description, value });
    }
  }
  return { passed: failures.length === 0, failures };
}

/** The offending value when `layer` breaks `rule`, undefined when it passes. */
function violation(rule: GateRule, layer: Extract<LayerResult, { status: 'analyzed' }>): string | number | undefined {
  switch (rule.kind) {
    case 'fail-on-phase':
      return rule.phases.includes(layer.phase.name) ? layer.phase.name : undefined;
    case 'expect-phase':
      return rule.phases.includes(layer.phase.name) ? undefined : layer.phase.name;
    case 'alpha-range': {
      // Only a fitted α can be out of range; a failed fit is reported by the table, not gated.
      if (layer.powerLaw.status !== 'ok') return undefined;
      const alpha = layer.powerLaw.alpha;
      const out = (rule.min !== null && alpha < rule.min) || (rule.max !== null && alpha > rule.max);
      return out ? alpha : undefined;
    }
  }
}

/** Globs match as `--layers` does (src/layer-pattern.ts): `*` also crosses `.` and `/`, a plain word any part. */
export function scopeMatcher(scope: GateScope): (layer: Pick<LayerResult, 'id' | 'name'>) => boolean {
  if (scope.length === 0) return () => true;
  const match = patternsMatcher(scope)!;
  return (layer) => match(layer.name) || match(layer.id);
}

/**
 * The scope globs that match no layer of the report, each once: a rule scoped by a typo
 * would pass silently, so the CLI refuses it (exit 2).
 */
export function unmatchedScopes(report: Pick<AnalysisReport, 'layers'>, rules: readonly GateRule[]): string[] {
  const globs = [...new Set(rules.flatMap((r) => r.scope))];
  return globs.filter((glob) => !report.layers.some(scopeMatcher([glob])));
}

// ── Parsing rule parameters (shared by the CLI flags and the config file) ─────────────────

const PHASE_SET: ReadonlySet<string> = new Set(PHASE_NAMES);

/** Checks one phase name; the message lists the valid ones. */
export function checkPhase(name: string): name is PhaseName {
  return PHASE_SET.has(name);
}

export function unknownPhaseMessage(name: string): string {
  return `unknown phase '${name}' (phases: ${PHASE_NAMES.join(', ')})`;
}

/** `random-like,bulk+spikes` → phases; throws UsageError naming `what` on an unknown or empty name. */
export function parsePhaseList(text: string, what: string): PhaseName[] {
  const names = text.split(',').map((s) => s.trim());
  if (names.some((n) => n === ''))
    throw new UsageError(`${what}: expected a comma-separated list of phases, got '${text}'`);
  for (const n of names) if (!checkPhase(n)) throw new UsageError(`${what}: ${unknownPhaseMessage(n)}`);
  return [...new Set(names)] as PhaseName[];
}

/** `MIN:MAX`, either side may be empty (`2:` or `:6`), not both; MIN ≤ MAX. */
export function parseAlphaRange(text: string, what: string): { min: number | null; max: number | null } {
  const m = /^\s*([^:]*?)\s*:\s*([^:]*?)\s*$/.exec(text);
  const bad = (why: string) => new UsageError(`${what}: ${why}, got '${text}' (expected MIN:MAX, e.g. 2:6, 2: or :6)`);
  if (!m) throw bad('malformed range');
  const bound = (s: string) => {
    if (s === '') return null;
    const x = Number(s);
    if (!Number.isFinite(x)) throw bad(`'${s}' is not a number`);
    return x;
  };
  const min = bound(m[1]!);
  const max = bound(m[2]!);
  if (min === null && max === null) throw bad('give at least one bound');
  if (min !== null && max !== null && min > max) throw bad(`MIN ${min} is greater than MAX ${max}`);
  return { min, max };
}
