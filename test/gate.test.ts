/**
 * The gate as data: evaluateGate on synthetic reports whose phases and α the test sets, the
 * rule parameter parsers, and the config file's validation messages.
 */
import { describe, expect, it } from 'vitest';
import { evaluateGate, describeRule, parseAlphaRange, parsePhaseList, type GateRule } from '../src/gate.js';
import { parseGateConfig } from '../src/config.js';
import { UsageError } from '../src/errors.js';
import { PHASE_NAMES } from '../src/schema/index.js';
import { analyzedLayer, reportOf, skippedLayer } from './report-factory.js';

const report = reportOf([
  analyzedLayer({ id: 'embed.weight', phase: 'heavy-tailed', alpha: 2.5 }),
  skippedLayer('embed.bias'),
  analyzedLayer({ id: 'attn.q.weight', phase: 'random-like', alpha: 9 }),
  analyzedLayer({ id: 'attn.k.weight', phase: 'bulk+spikes', alpha: 4.2 }),
  analyzedLayer({ id: 'mlp.up.weight', phase: 'rank-collapse', alpha: null }),
  analyzedLayer({ id: 'rnn.W[1]', name: 'rnn.W', phase: 'bulk-decay', alpha: 1.5 }),
]);

const all = { scope: [] as string[] };

describe('evaluateGate', () => {
  it('no rules: passes with no failures', () => {
    expect(evaluateGate(report, [])).toEqual({ passed: true, failures: [] });
  });

  it('fail-on-phase fails exactly the layers in a listed phase, with the phase as value', () => {
    const r = evaluateGate(report, [{ kind: 'fail-on-phase', ...all, phases: ['random-like', 'rank-collapse'] }]);
    expect(r.passed).toBe(false);
    expect(r.failures).toEqual([
      { layer: 'attn.q.weight', model: 0, rule: 'fail-on-phase random-like,rank-collapse', value: 'random-like' },
      { layer: 'mlp.up.weight', model: 0, rule: 'fail-on-phase random-like,rank-collapse', value: 'rank-collapse' },
    ]);
  });

  it('expect-phase fails the layers in none of the listed phases; all six phases always pass', () => {
    const r = evaluateGate(report, [{ kind: 'expect-phase', ...all, phases: ['heavy-tailed', 'bulk-decay'] }]);
    expect(r.failures.map((f) => [f.layer, f.value])).toEqual([
      ['attn.q.weight', 'random-like'],
      ['attn.k.weight', 'bulk+spikes'],
      ['mlp.up.weight', 'rank-collapse'],
    ]);
    expect(evaluateGate(report, [{ kind: 'expect-phase', ...all, phases: [...PHASE_NAMES] }]).passed).toBe(true);
  });

  it('alpha-range fails fitted α outside [min, max]; bounds are inclusive; a failed fit is not gated', () => {
    const r = evaluateGate(report, [{ kind: 'alpha-range', ...all, min: 2, max: 6 }]);
    expect(r.failures).toEqual([
      { layer: 'attn.q.weight', model: 0, rule: 'alpha-range 2:6', value: 9 },
      { layer: 'rnn.W[1]', model: 0, rule: 'alpha-range 2:6', value: 1.5 },
    ]);
    expect(evaluateGate(report, [{ kind: 'alpha-range', ...all, min: 1.5, max: 9 }]).passed).toBe(true);
    expect(
      evaluateGate(report, [{ kind: 'alpha-range', ...all, min: null, max: 4.2 }]).failures.map((f) => f.layer),
    ).toEqual(['attn.q.weight']);
    expect(
      evaluateGate(report, [{ kind: 'alpha-range', ...all, min: 2.5, max: null }]).failures.map((f) => f.layer),
    ).toEqual(['rnn.W[1]']);
  });

  it('skipped layers are never gated', () => {
    const r = evaluateGate(report, [{ kind: 'expect-phase', ...all, phases: ['heavy-tailed'] }]);
    expect(r.failures.some((f) => f.layer === 'embed.bias')).toBe(false);
  });

  it('a scope limits the rule to layers whose name or id matches; * crosses dots', () => {
    const attn: GateRule = { kind: 'fail-on-phase', scope: ['attn.*'], phases: [...PHASE_NAMES] };
    expect(evaluateGate(report, [attn]).failures.map((f) => f.layer)).toEqual(['attn.q.weight', 'attn.k.weight']);
    expect(evaluateGate(report, [{ ...attn, scope: ['*.weight'] }]).failures).toHaveLength(4);
    // by tensor name (all directions) or by id (one direction)
    expect(evaluateGate(report, [{ ...attn, scope: ['rnn.W'] }]).failures.map((f) => f.layer)).toEqual(['rnn.W[1]']);
    expect(evaluateGate(report, [{ ...attn, scope: ['rnn.W\\[1\\]'] }]).failures.map((f) => f.layer)).toEqual([
      'rnn.W[1]',
    ]);
    expect(evaluateGate(report, [{ ...attn, scope: ['*embed*', 'mlp.*'] }]).failures.map((f) => f.layer)).toEqual([
      'embed.weight',
      'mlp.up.weight',
    ]);
    expect(describeRule({ ...attn, scope: ['*embed*', 'mlp.*'] })).toBe(
      `fail-on-phase ${PHASE_NAMES.join(',')} for *embed* mlp.*`,
    );
  });

  it('failures come in layer order, then rule order, and carry the model index', () => {
    const two = reportOf(
      [
        analyzedLayer({ id: 'w', phase: 'random-like', alpha: 9 }),
        analyzedLayer({ id: 'w', model: 1, phase: 'random-like', alpha: 1.2 }),
      ],
      [
        { path: 'a.onnx', format: 'onnx', tensors: 1, bytes: 1 },
        { path: 'b.onnx', format: 'onnx', tensors: 1, bytes: 1 },
      ],
    );
    const r = evaluateGate(two, [
      { kind: 'alpha-range', ...all, min: 2, max: 6 },
      { kind: 'fail-on-phase', ...all, phases: ['random-like'] },
    ]);
    expect(r.failures.map((f) => [f.model, f.rule.split(' ')[0]])).toEqual([
      [0, 'alpha-range'],
      [0, 'fail-on-phase'],
      [1, 'alpha-range'],
      [1, 'fail-on-phase'],
    ]);
  });
});

describe('rule parameters', () => {
  it('phase lists: comma-separated, exact names, duplicates folded', () => {
    expect(parsePhaseList('random-like,bulk+spikes', '--x')).toEqual(['random-like', 'bulk+spikes']);
    expect(parsePhaseList(' heavy-tailed , heavy-tailed ', '--x')).toEqual(['heavy-tailed']);
    expect(() => parsePhaseList('heavy', '--fail-on-phase')).toThrow(UsageError);
    expect(() => parsePhaseList('heavy', '--fail-on-phase')).toThrow(
      /^--fail-on-phase: unknown phase 'heavy' \(phases: random-like, bleeding-out, bulk\+spikes, bulk-decay, heavy-tailed, rank-collapse\)$/,
    );
    expect(() => parsePhaseList('Heavy-Tailed', '--x')).toThrow(/unknown phase/);
    expect(() => parsePhaseList('random-like,', '--x')).toThrow(/comma-separated list/);
    expect(() => parsePhaseList('', '--x')).toThrow(UsageError);
  });

  it('α ranges: MIN:MAX with either side open', () => {
    expect(parseAlphaRange('2:6', '--a')).toEqual({ min: 2, max: 6 });
    expect(parseAlphaRange('2:', '--a')).toEqual({ min: 2, max: null });
    expect(parseAlphaRange(':6.5', '--a')).toEqual({ min: null, max: 6.5 });
    expect(parseAlphaRange('3:3', '--a')).toEqual({ min: 3, max: 3 });
    for (const bad of ['2-6', '6:2', ':', 'a:6', '2:6:7', '', '2:Infinity', '1e999:']) {
      expect(() => parseAlphaRange(bad, '--alpha-range'), bad).toThrow(/^--alpha-range: .*got '.*' \(expected MIN:MAX/);
    }
  });
});

describe('config file', () => {
  const parse = (doc: unknown) => parseGateConfig(typeof doc === 'string' ? doc : JSON.stringify(doc), 'ci.json');

  it('turns each entry into rules in a fixed order, scoped by its layers', () => {
    const rules = parse({
      $schema: './x.json',
      gate: [
        { failOnPhase: ['rank-collapse'] },
        {
          layers: ['*attn*', '*mlp*'],
          alphaRange: { min: 2, max: 6 },
          expectPhase: 'heavy-tailed, bulk-decay',
          failOnPhase: ['random-like'],
        },
        { layers: 'embed*', alphaRange: '2:' },
      ],
    });
    expect(rules).toEqual([
      { kind: 'fail-on-phase', scope: [], phases: ['rank-collapse'] },
      { kind: 'fail-on-phase', scope: ['*attn*', '*mlp*'], phases: ['random-like'] },
      { kind: 'expect-phase', scope: ['*attn*', '*mlp*'], phases: ['heavy-tailed', 'bulk-decay'] },
      { kind: 'alpha-range', scope: ['*attn*', '*mlp*'], min: 2, max: 6 },
      { kind: 'alpha-range', scope: ['embed*'], min: 2, max: null },
    ]);
    expect(parse({ gate: [] })).toEqual([]);
    expect(parse({ gate: [{ alphaRange: { max: 6 } }] })).toEqual([
      { kind: 'alpha-range', scope: [], min: null, max: 6 },
    ]);
  });

  it.each([
    ['{ "gate": [', /^ci\.json: not valid JSON \(/],
    [[], /^ci\.json: \$: expected an object like \{ "gate": \[ … \] \}, got an array$/],
    [{}, /^ci\.json: \$: missing "gate" \(an array of rules\)$/],
    [{ gate: [], rules: [] }, /^ci\.json: \$: unknown key 'rules' \(allowed: \$schema, gate\)$/],
    [{ gate: {} }, /^ci\.json: \$\.gate: expected an array of rules, got an object$/],
    [{ gate: ['x'] }, /^ci\.json: \$\.gate\[0\]: expected an object, got the string "x"$/],
    [
      { gate: [{ layers: '*' }] },
      /^ci\.json: \$\.gate\[0\]: no rule in it \(give failOnPhase, expectPhase, alphaRange\)$/,
    ],
    [
      { gate: [{ failOnPhase: ['random-like'], alpha: 2 }] },
      /^ci\.json: \$\.gate\[0\]: unknown key 'alpha' \(allowed: layers, failOnPhase, expectPhase, alphaRange\)$/,
    ],
    [
      { gate: [{ failOnPhase: ['random-like'] }, { expectPhase: ['heavy-tailed', 'heavy'] }] },
      /^ci\.json: \$\.gate\[1\]\.expectPhase\[1\]: unknown phase 'heavy' \(phases: random-like, /,
    ],
    [{ gate: [{ expectPhase: 'heavy-tailed,heavy' }] }, /^ci\.json: \$\.gate\[0\]\.expectPhase: unknown phase 'heavy'/],
    [
      { gate: [{ failOnPhase: [] }] },
      /^ci\.json: \$\.gate\[0\]\.failOnPhase: expected a non-empty array of phase names, got an array$/,
    ],
    [
      { gate: [{ failOnPhase: [3] }] },
      /^ci\.json: \$\.gate\[0\]\.failOnPhase\[0\]: expected a phase name, got number 3$/,
    ],
    [
      { gate: [{ alphaRange: { min: 6, max: 2 } }] },
      /^ci\.json: \$\.gate\[0\]\.alphaRange: min 6 is greater than max 2$/,
    ],
    [
      { gate: [{ alphaRange: { min: '2' } }] },
      /^ci\.json: \$\.gate\[0\]\.alphaRange\.min: expected a number, got the string "2"$/,
    ],
    [{ gate: [{ alphaRange: {} }] }, /^ci\.json: \$\.gate\[0\]\.alphaRange: give "min", "max" or both$/],
    [
      { gate: [{ alphaRange: { min: 1, mx: 2 } }] },
      /^ci\.json: \$\.gate\[0\]\.alphaRange: unknown key 'mx' \(allowed: min, max\)$/,
    ],
    [{ gate: [{ alphaRange: '2-6' }] }, /^ci\.json: \$\.gate\[0\]\.alphaRange: malformed range, got '2-6'/],
    [
      { gate: [{ alphaRange: [2, 6] }] },
      /^ci\.json: \$\.gate\[0\]\.alphaRange: expected \{ "min": …, "max": … \} or "MIN:MAX", got an array$/,
    ],
    [
      { gate: [{ layers: [], failOnPhase: ['random-like'] }] },
      /^ci\.json: \$\.gate\[0\]\.layers: expected a glob or a non-empty array of globs, got an array$/,
    ],
    [
      { gate: [{ layers: ['a', ''], failOnPhase: ['random-like'] }] },
      /^ci\.json: \$\.gate\[0\]\.layers\[1\]: expected a non-empty glob string, got the string ""$/,
    ],
  ])('%j is refused with file, path and problem', (doc, message) => {
    expect(() => parse(doc)).toThrow(UsageError);
    expect(() => parse(doc)).toThrow(message);
  });
});
