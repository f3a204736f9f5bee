/**
 * The gate through the built CLI, on real files, with rules whose outcome the test controls:
 * phase lists built from the phases the run actually reports (so the tests do not depend
 * on the classifier), α bounds set around the α the fixture actually gets.
 *   exit 0: passed or no rules · 1: a rule failed · 2: bad rule, flag or config file
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, GENERATED, runCli } from './helpers.js';
import { PHASE_NAMES, type AnalysisReport, type AnalyzedLayer, type PhaseName } from '../src/index.js';
import { writeSafetensors } from '../scripts/fixtures/safetensors-writer.js';
import { signedPermutedDiagonal } from '../scripts/fixtures/seeded.js';

const DTYPES = join(GENERATED, 'safetensors', 'dtypes.safetensors');
const ALL = PHASE_NAMES.join(',');
const json = (stdout: string) => JSON.parse(stdout) as AnalysisReport;

let baseline: AnalysisReport;
let analyzed: AnalyzedLayer[];
const tmp = mkdtempSync(join(tmpdir(), 'rmt-gate-'));

beforeAll(() => {
  const r = runCli([DTYPES, '--json']);
  expect(r.code).toBe(0);
  baseline = json(r.stdout);
  analyzed = baseline.layers.filter((l): l is AnalyzedLayer => l.status === 'analyzed');
  expect(analyzed.length).toBeGreaterThan(3);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the CLI in `cwd` (for the config file found in the working directory). */
function runIn(cwd: string, args: readonly string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const alphas = () =>
  analyzed
    .filter((l) => l.powerLaw.status === 'ok')
    .map((l) => ({ id: l.id, alpha: (l.powerLaw as { alpha: number }).alpha }));

/** stderr lines naming violating layers (without the closing summary line). */
const layerLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('rmt-analyze: gate: '));

describe('no rules', () => {
  it('no gate key, exit 0', () => {
    expect(baseline.gate).toBeUndefined();
    expect('gate' in baseline).toBe(false);
  });
});

describe('--fail-on-phase', () => {
  it('listing all six phases fails every analysed layer: exit 1, one stderr line per layer, gate in JSON', () => {
    const r = runCli([DTYPES, '--json', '--fail-on-phase', ALL]);
    expect(r.code).toBe(1);
    const doc = json(r.stdout);
    expect(doc.gate?.passed).toBe(false);
    expect(doc.gate?.failures.map((f) => f.layer)).toEqual(analyzed.map((l) => l.id));
    expect(
      doc.gate?.failures.every((f) => f.rule === `fail-on-phase ${ALL}` && PHASE_NAMES.includes(f.value as PhaseName)),
    ).toBe(true);
    // everything but the gate is the plain report
    const { gate: _gate, ...rest } = doc;
    expect(rest).toEqual(baseline);
    expect(layerLines(r.stderr)).toEqual(
      analyzed.map((l) => `rmt-analyze: gate: ${l.id}: fail-on-phase ${ALL} (phase ${l.phase.name})`),
    );
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(
      `rmt-analyze: gate failed: ${analyzed.length} violations in ${analyzed.length} layers`,
    );
  });

  it('each phase the run reports fails exactly the layers in it; the phases it does not report pass', () => {
    const present = [...new Set(analyzed.map((l) => l.phase.name))];
    for (const phase of present) {
      const r = runCli([DTYPES, '--json', '--fail-on-phase', phase]);
      expect(r.code).toBe(1);
      expect(json(r.stdout).gate!.failures.map((f) => f.layer)).toEqual(
        analyzed.filter((l) => l.phase.name === phase).map((l) => l.id),
      );
    }
    const absent = PHASE_NAMES.filter((p) => !present.includes(p));
    if (absent.length > 0) {
      const r = runCli([DTYPES, '--json', '--fail-on-phase', absent.join(',')]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(json(r.stdout).gate).toEqual({ passed: true, failures: [] });
    }
  });
});

describe('--expect-phase', () => {
  it('all six phases: passes, exit 0, gate passed in JSON, nothing on stderr', () => {
    const r = runCli([DTYPES, '--json', '--expect-phase', ALL]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(json(r.stdout).gate).toEqual({ passed: true, failures: [] });
  });

  it('the phases not reported for a layer: that layer fails', () => {
    const target = analyzed[0]!;
    const others = PHASE_NAMES.filter((p) => p !== target.phase.name);
    const r = runCli([DTYPES, '--json', '--expect-phase', others.join(',')]);
    expect(r.code).toBe(1);
    const failed = json(r.stdout).gate!.failures;
    expect(failed.map((f) => f.layer)).toEqual(
      analyzed.filter((l) => l.phase.name === target.phase.name).map((l) => l.id),
    );
    expect(failed[0]!.value).toBe(target.phase.name);
  });
});

describe('--alpha-range', () => {
  it('bounds at the smallest and largest fitted α pass (inclusive)', () => {
    const a = alphas().map((x) => x.alpha);
    const r = runCli([DTYPES, '--json', '--alpha-range', `${Math.min(...a)}:${Math.max(...a)}`]);
    expect(r.code).toBe(0);
    expect(json(r.stdout).gate?.passed).toBe(true);
  });

  it('a bound between the fitted α fails exactly the layers beyond it, with α as the value', () => {
    const sorted = [...new Set(alphas().map((x) => x.alpha))].sort((x, y) => x - y);
    expect(sorted.length).toBeGreaterThan(1);
    const cut = (sorted[0]! + sorted[1]!) / 2;
    const above = runCli([DTYPES, '--json', '--alpha-range', `:${cut}`]);
    expect(above.code).toBe(1);
    const failures = json(above.stdout).gate!.failures;
    expect(failures.map((f) => [f.layer, f.value])).toEqual(
      alphas()
        .filter((x) => x.alpha > cut)
        .map((x) => [x.id, x.alpha]),
    );
    expect(failures[0]!.rule).toBe(`alpha-range :${cut}`);
    const below = runCli([DTYPES, '--json', '--alpha-range', `${cut}:`]);
    expect(below.code).toBe(1);
    expect(json(below.stdout).gate!.failures.map((f) => f.layer)).toEqual(
      alphas()
        .filter((x) => x.alpha < cut)
        .map((x) => x.id),
    );
    expect(layerLines(below.stderr)[0]).toMatch(/^rmt-analyze: gate: \S+: alpha-range [\d.]+: \(α [\d.]+\)$/);
  });
});

describe('--gate-layers', () => {
  it('scopes the rules after it; rules before it apply to every layer', () => {
    const r = runCli([DTYPES, '--json', '--gate-layers', 'dense.*', '--fail-on-phase', ALL]);
    expect(r.code).toBe(1);
    const dense = analyzed.filter((l) => l.name.startsWith('dense.')).map((l) => l.id);
    expect(json(r.stdout).gate!.failures.map((f) => f.layer)).toEqual(dense);
    expect(json(r.stdout).gate!.failures[0]!.rule).toBe(`fail-on-phase ${ALL} for dense.*`);

    const mixed = runCli([
      DTYPES,
      '--json',
      '--expect-phase',
      ALL,
      '--gate-layers',
      'conv.*',
      '--gate-layers',
      '*embed*',
      '--fail-on-phase',
      ALL,
      '--gate-layers',
      '*.bias', // matches a skipped layer only (a glob matching no layer at all is a usage error)
      '--fail-on-phase',
      ALL,
    ]);
    expect(mixed.code).toBe(1);
    expect(json(mixed.stdout).gate!.failures.map((f) => [f.layer, f.rule])).toEqual([
      ['conv.weight', `fail-on-phase ${ALL} for conv.* *embed*`],
      ['embed_tokens.weight', `fail-on-phase ${ALL} for conv.* *embed*`],
    ]);
  });

  it('a scope matching no analysed layer passes', () => {
    const r = runCli([DTYPES, '--json', '--gate-layers', '*.bias', '--fail-on-phase', ALL]);
    expect(r.code).toBe(0);
    expect(json(r.stdout).gate).toEqual({ passed: true, failures: [] });
  });
});

describe('usage errors: exit 2, one line on stderr, nothing on stdout', () => {
  it.each([
    [
      ['--fail-on-phase', 'heavy'],
      /^rmt-analyze: --fail-on-phase: unknown phase 'heavy' \(phases: random-like, bleeding-out, bulk\+spikes, bulk-decay, heavy-tailed, rank-collapse\)\n$/,
    ],
    [['--expect-phase', 'random-like,Heavy-Tailed'], /^rmt-analyze: --expect-phase: unknown phase 'Heavy-Tailed'/],
    [['--fail-on-phase', ''], /^rmt-analyze: --fail-on-phase: expected a comma-separated list of phases, got ''\n$/],
    [
      ['--alpha-range', '2-6'],
      /^rmt-analyze: --alpha-range: malformed range, got '2-6' \(expected MIN:MAX, e\.g\. 2:6, 2: or :6\)\n$/,
    ],
    [['--alpha-range', '6:2'], /^rmt-analyze: --alpha-range: MIN 6 is greater than MAX 2/],
    [['--alpha-range', 'x:2'], /^rmt-analyze: --alpha-range: 'x' is not a number/],
    [
      ['--alpha-range', '2:6', '--gate-layers', '*attn*'],
      /^rmt-analyze: --gate-layers '\*attn\*' is not followed by a rule to scope: put it before the rules it applies to/,
    ],
    [['--gate-layers', 'a', '--gate-layers', 'b'], /^rmt-analyze: --gate-layers 'a' 'b' is not followed by a rule/],
    [['--gate-layers', ' ', '--alpha-range', '2:6'], /^rmt-analyze: --gate-layers: empty glob\n$/],
    [['--config', 'no-such-config.json'], /^rmt-analyze: no-such-config\.json: no such file\n$/],
  ])('%j', (args, message) => {
    const r = runCli([DTYPES, ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });
});

describe('config file', () => {
  const write = (dir: string, name: string, doc: unknown) => {
    const p = join(dir, name);
    writeFileSync(p, typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2));
    return p;
  };

  it('rmt-analyze.config.json in the working directory is read; --no-config ignores it; --config replaces it', () => {
    const dir = mkdtempSync(join(tmp, 'cwd-'));
    write(dir, 'rmt-analyze.config.json', { gate: [{ layers: 'dense.*', failOnPhase: PHASE_NAMES }] });
    const found = runIn(dir, [DTYPES, '--json']);
    expect(found.code).toBe(1);
    const dense = analyzed.filter((l) => l.name.startsWith('dense.')).map((l) => l.id);
    expect(json(found.stdout).gate!.failures.map((f) => f.layer)).toEqual(dense);

    const ignored = runIn(dir, [DTYPES, '--json', '--no-config']);
    expect(ignored.code).toBe(0);
    expect(json(ignored.stdout).gate).toBeUndefined();

    const other = write(tmp, 'other.json', { gate: [{ expectPhase: PHASE_NAMES }] });
    const replaced = runIn(dir, [DTYPES, '--json', '--config', other]);
    expect(replaced.code).toBe(0);
    expect(json(replaced.stdout).gate).toEqual({ passed: true, failures: [] });
  });

  it('config rules come first, then the flags’ rules', () => {
    const cfg = write(tmp, 'both.json', { gate: [{ layers: 'conv.*', alphaRange: { max: 0.5 } }] });
    const r = runCli([DTYPES, '--json', '--config', cfg, '--gate-layers', 'conv.*', '--fail-on-phase', ALL]);
    expect(r.code).toBe(1);
    expect(json(r.stdout).gate!.failures.map((f) => f.rule)).toEqual([
      'alpha-range :0.5 for conv.*',
      `fail-on-phase ${ALL} for conv.*`,
    ]);
    expect(layerLines(r.stderr)).toHaveLength(1); // one line per violating layer
    expect(layerLines(r.stderr)[0]).toMatch(
      /^rmt-analyze: gate: conv\.weight: alpha-range :0\.5 for conv\.\* \(α [\d.]+\); fail-on-phase .* \(phase [a-z+-]+\)$/,
    );
  });

  it('an invalid config is a usage error naming the file, the JSON path and the problem, before any analysis', () => {
    const bad = write(tmp, 'bad.json', { gate: [{ layers: '*', expectPhase: ['heavy-tailed', 'heavy'] }] });
    const r = runCli([DTYPES, '--json', '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `rmt-analyze: ${bad}: $.gate[0].expectPhase[1]: unknown phase 'heavy' (phases: ${PHASE_NAMES.join(', ')})\n`,
    );

    const dir = mkdtempSync(join(tmp, 'cwd-'));
    write(dir, 'rmt-analyze.config.json', '{ "gate": [ }');
    const found = runIn(dir, [DTYPES]);
    expect(found.code).toBe(2);
    expect(found.stderr).toMatch(/^rmt-analyze: rmt-analyze\.config\.json: not valid JSON \(/);
  });
});

describe('gate in the table', () => {
  it('the footer says failed, with each failure; passed says passed', () => {
    const failed = runCli([DTYPES, '--gate-layers', 'conv.*', '--fail-on-phase', ALL]);
    expect(failed.code).toBe(1);
    const conv = analyzed.find((l) => l.id === 'conv.weight')!;
    expect(failed.stdout).toMatch(
      new RegExp(
        `\\ngate failed: 1 violation in 1 layer\\n  conv\\.weight: fail-on-phase .* for conv\\.\\* \\(phase ${conv.phase.name.replace('+', '\\+')}\\)\\n$`,
      ),
    );
    const passed = runCli([DTYPES, '--expect-phase', ALL]);
    expect(passed.code).toBe(0);
    expect(passed.stdout).toMatch(/\ngate passed\n$/);
    expect(runCli([DTYPES]).stdout).not.toMatch(/gate/);
  });
});

describe('hostile layer names', () => {
  it('control characters in a violating layer name are shown escaped on stderr and in the table', async () => {
    const file = join(tmp, 'hostile.safetensors');
    const name = 'evil\u001b[2J\nname.weight';
    await writeSafetensors(file, [
      {
        name,
        dtype: 'F32',
        shape: [12, 10],
        values: signedPermutedDiagonal(12, 10, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3),
      },
    ]);
    const r = runCli([file, '--fail-on-phase', ALL]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('\u001b');
    expect(r.stdout).not.toContain('\u001b');
    expect(layerLines(r.stderr)[0]).toMatch(/^rmt-analyze: gate: evil\\x1b\[2J\\nname\.weight: fail-on-phase /);
    expect(r.stdout).toMatch(/\n {2}evil\\x1b\[2J\\nname\.weight: fail-on-phase /);
  });
});
