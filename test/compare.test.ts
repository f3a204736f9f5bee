/**
 * `rmt-analyze compare OLD NEW`: layers matched by id, phase change, deltas, regressions —
 * on reports whose phases and α the test sets, in both directions, and through the CLI on
 * JSON reports and real model files.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { changeOf, compareReports, type CompareReport } from '../src/compare.js';
import { PHASE_NAMES, type AnalysisReport, type PhaseName } from '../src/index.js';
import { GENERATED, runCli } from './helpers.js';
import { analyzedLayer, reportOf, skippedLayer } from './report-factory.js';

const tmp = mkdtempSync(join(tmpdir(), 'rmt-compare-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A checkpoint early in training and one later: most layers get heavier, one gets lighter,
// one collapses, one leaves the α range; a layer is added and one removed.
const early = reportOf([
  analyzedLayer({ id: 'embed', phase: 'bulk+spikes', alpha: 5.5, logNorm: 2, stableRank: 10 }),
  analyzedLayer({ id: 'attn.q', phase: 'random-like', alpha: 9, logNorm: 1.5, stableRank: 20 }),
  analyzedLayer({ id: 'attn.k', phase: 'heavy-tailed', alpha: 3, logNorm: 2.5, stableRank: 4 }),
  analyzedLayer({ id: 'mlp.up', phase: 'bulk-decay', alpha: 4.5, logNorm: 2.2, stableRank: 6 }),
  analyzedLayer({ id: 'mlp.down', phase: 'heavy-tailed', alpha: 5.9, logNorm: 2, stableRank: 5 }),
  analyzedLayer({ id: 'old.proj', phase: 'random-like', alpha: 8 }),
  skippedLayer('bias'),
]);
const late = reportOf([
  analyzedLayer({ id: 'embed', phase: 'heavy-tailed', alpha: 3.5, logNorm: 2.5, stableRank: 6 }),
  analyzedLayer({ id: 'attn.q', phase: 'bulk-decay', alpha: 5, logNorm: 1.75, stableRank: 12 }),
  analyzedLayer({ id: 'attn.k', phase: 'bulk-decay', alpha: 4.5, logNorm: 2.4, stableRank: 5 }),
  analyzedLayer({ id: 'mlp.up', phase: 'rank-collapse', alpha: null, logNorm: 2, stableRank: 1.5 }),
  analyzedLayer({ id: 'mlp.down', phase: 'heavy-tailed', alpha: 6.4, logNorm: 2, stableRank: 5 }),
  skippedLayer('bias'),
  // another spectrum than old.proj's: identical content would pair them (issue 15, item 10)
  analyzedLayer({ id: 'new.proj', phase: 'random-like', alpha: 8, stableRank: 7 }),
]);

const byLayer = (r: CompareReport) => new Map(r.layers.map((c) => [c.layer, c]));

describe('phase order', () => {
  it('heavy-tailed → bulk-decay → bulk+spikes → bleeding-out → random-like is lighter; rank-collapse is off the scale', () => {
    const scale: PhaseName[] = ['random-like', 'bleeding-out', 'bulk+spikes', 'bulk-decay', 'heavy-tailed'];
    scale.forEach((a, i) =>
      scale.forEach((b, j) =>
        expect(changeOf(a, b), `${a} → ${b}`).toBe(i === j ? 'same' : j > i ? 'heavier' : 'lighter'),
      ),
    );
    for (const p of scale) {
      expect(changeOf(p, 'rank-collapse')).toBe('collapsed');
      expect(changeOf('rank-collapse', p)).toBe('recovered');
    }
    expect(changeOf('rank-collapse', 'rank-collapse')).toBe('same');
  });
});

describe('compareReports', () => {
  it('early → late: per-layer phase change and deltas (NEW − OLD), added and removed layers', () => {
    const r = compareReports(early, late, { alphaRange: { min: 2, max: 6 } });
    const c = byLayer(r);
    expect(r.layers.map((x) => x.layer)).toEqual([
      'embed',
      'attn.q',
      'attn.k',
      'mlp.up',
      'mlp.down',
      'bias',
      'new.proj',
      'old.proj',
    ]);
    expect(c.get('embed')).toMatchObject({ presence: 'both', phaseChange: 'heavier', regressions: [] });
    expect(c.get('embed')!.delta.alpha).toBeCloseTo(-2, 12);
    expect(c.get('embed')!.delta.logNorm).toBeCloseTo(0.5, 12);
    expect(c.get('embed')!.delta.stableRank).toBeCloseTo(-4, 12);
    expect(c.get('attn.q')).toMatchObject({ phaseChange: 'heavier', regressions: [] }); // α 9 → 5 enters the range: fine
    expect(c.get('attn.k')).toMatchObject({
      phaseChange: 'lighter',
      regressions: [{ rule: 'lighter-phase', value: 'heavy-tailed → bulk-decay' }],
    });
    expect(c.get('mlp.up')).toMatchObject({
      phaseChange: 'collapsed',
      regressions: [{ rule: 'rank-collapse', value: 'bulk-decay → rank-collapse' }],
    });
    expect(c.get('mlp.up')!.delta.alpha).toBeNull(); // no α after
    expect(c.get('mlp.down')).toMatchObject({
      phaseChange: 'same',
      regressions: [{ rule: 'alpha-range 2:6', value: 6.4 }],
    });
    expect(c.get('bias')).toMatchObject({
      presence: 'both',
      phaseChange: null,
      regressions: [],
      old: { status: 'skipped' },
    });
    expect(c.get('new.proj')).toMatchObject({ presence: 'added', old: null, phaseChange: null, regressions: [] });
    expect(c.get('old.proj')).toMatchObject({ presence: 'removed', new: null, phaseChange: null, regressions: [] });
    expect(r.summary).toMatchObject({
      matched: 6,
      compared: 5,
      added: 1,
      removed: 1,
      phaseChanges: { same: 1, heavier: 2, lighter: 1, collapsed: 1, recovered: 0 },
      regressed: 3,
    });
    expect(r.gate).toBeUndefined();
  });

  it('late → early: the reverse moves are not regressions, but leaving the α range still is', () => {
    const r = compareReports(late, early, { alphaRange: { min: 2, max: 6 }, failOnRegression: true });
    const c = byLayer(r);
    expect(c.get('embed')).toMatchObject({
      phaseChange: 'lighter',
      regressions: [{ rule: 'lighter-phase', value: 'heavy-tailed → bulk+spikes' }],
    });
    expect(c.get('attn.q')!.phaseChange).toBe('lighter');
    expect(c.get('attn.q')!.regressions.map((x) => x.rule)).toEqual(['lighter-phase', 'alpha-range 2:6']);
    expect(c.get('attn.k')).toMatchObject({ phaseChange: 'heavier', regressions: [] });
    expect(c.get('mlp.up')).toMatchObject({ phaseChange: 'recovered', regressions: [] });
    expect(c.get('mlp.down')).toMatchObject({ phaseChange: 'same', regressions: [] }); // 6.4 → 5.9: back inside
    expect(c.get('new.proj')!.presence).toBe('removed');
    expect(r.gate).toEqual({
      passed: false,
      failures: [
        { layer: 'embed', model: 0, rule: 'lighter-phase', value: 'heavy-tailed → bulk+spikes' },
        { layer: 'attn.q', model: 0, rule: 'lighter-phase', value: 'bulk-decay → random-like' },
        { layer: 'attn.q', model: 0, rule: 'alpha-range 2:6', value: 9 },
      ],
    });
  });

  it('α leaving the range: only when it was inside (or unfitted) before', () => {
    const one = (alpha: number | null) => reportOf([analyzedLayer({ id: 'w', phase: 'heavy-tailed', alpha })]);
    const range = { alphaRange: { min: 2, max: 6 } };
    expect(compareReports(one(3), one(7), range).layers[0]!.regressions).toEqual([
      { rule: 'alpha-range 2:6', value: 7 },
    ]);
    expect(compareReports(one(null), one(7), range).layers[0]!.regressions).toHaveLength(1);
    expect(compareReports(one(8), one(7), range).layers[0]!.regressions).toEqual([]);
    expect(compareReports(one(3), one(null), range).layers[0]!.regressions).toEqual([]);
    expect(compareReports(one(3), one(7)).layers[0]!.regressions).toEqual([]); // no range, no α rule
  });

  it('identical reports: nothing changes, gate passes', () => {
    const r = compareReports(early, early, { failOnRegression: true, alphaRange: { min: 2, max: 6 } });
    expect(
      r.layers.every((c) => c.regressions.length === 0 && (c.phaseChange === null || c.phaseChange === 'same')),
    ).toBe(true);
    expect(r.summary.meanDeltaAlpha).toBe(0);
    expect(r.gate).toEqual({ passed: true, failures: [] });
  });
});

describe('CLI', () => {
  const write = (name: string, doc: unknown) => {
    const p = join(tmp, name);
    writeFileSync(p, JSON.stringify(doc, null, 2));
    return p;
  };
  const EARLY = write('early.json', early);
  const LATE = write('late.json', late);

  it('--fail-on-regression: early → late exits 1 with one stderr line per regressed layer', () => {
    const r = runCli(['compare', EARLY, LATE, '--fail-on-regression', '--alpha-range', '2:6', '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as CompareReport;
    expect(doc).toEqual(
      JSON.parse(
        JSON.stringify(compareReports(early, late, { alphaRange: { min: 2, max: 6 }, failOnRegression: true })),
      ),
    );
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      'rmt-analyze: compare: attn.k: lighter-phase (phase heavy-tailed → bulk-decay)',
      'rmt-analyze: compare: mlp.up: rank-collapse (phase bulk-decay → rank-collapse)',
      'rmt-analyze: compare: mlp.down: alpha-range 2:6 (α 6.4)',
      'rmt-analyze: compare failed: 3 violations in 3 layers',
    ]);
  });

  it('the other direction regresses differently; without an α range only phases count', () => {
    const r = runCli(['compare', LATE, EARLY, '--fail-on-regression']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^rmt-analyze: compare: embed: lighter-phase \(phase heavy-tailed → bulk\+spikes\)\nrmt-analyze: compare: attn\.q: lighter-phase \(phase bulk-decay → random-like\)\nrmt-analyze: compare failed: 2 violations in 2 layers\n$/,
    );
  });

  it('without --fail-on-regression the report is printed and the exit code is 0', () => {
    const r = runCli(['compare', EARLY, LATE, '--alpha-range', '2:6']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^layer\s+old phase\s+new phase\s+α old\s+α new\s+Δα\s+Δ log norm\s+Δ stable rank\s+note$/,
    );
    expect(lines.find((l) => l.startsWith('attn.k '))).toMatch(
      /^attn\.k\s+heavy-tailed\s+bulk-decay\s+3\s+4\.5\s+\+1\.5\s+-0\.1\s+\+1\s+regression: lighter-phase$/,
    );
    expect(lines.find((l) => l.startsWith('embed '))).toMatch(/\s-2\s+\+0\.5\s+-4\s+heavier$/);
    expect(lines.find((l) => l.startsWith('new.proj'))).toMatch(
      /\(absent\)\s+random-like\s+—\s+8\s+—\s+—\s+—\s+added$/,
    );
    expect(r.stdout).toMatch(
      /\n5 layers compared \(2 heavier, 1 lighter, 1 collapsed, 1 same phase\); 1 added, 1 removed; mean Δα [+-][\d.]+, .*; 3 layers regressed\n$/,
    );
  });

  it('markdown: a GFM table with a row per layer and the regressions', () => {
    const r = runCli(['compare', EARLY, LATE, '--format', 'markdown', '--fail-on-regression']);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('### rmt-analyze compare: `model.safetensors` → `model.safetensors`');
    const head = lines.indexOf(
      '| layer | old phase | new phase | α old | α new | Δα | Δ log norm | Δ stable rank | note |',
    );
    expect(lines[head + 1]).toBe('| :--- | :--- | :--- | ---: | ---: | ---: | ---: | ---: | :--- |');
    const rows = lines.slice(head + 2, head + 2 + 8);
    expect(rows.every((l) => l.startsWith('| `') && l.split(' | ').length === 9)).toBe(true);
    expect(rows[2]).toBe(
      '| `attn.k` | heavy-tailed | bulk-decay | 3 | 4.5 | +1.5 | -0.1 | +1 | **regression: lighter-phase** |',
    );
    expect(lines).toContain('**Regressions: ❌ 2 violations in 2 layers**');
  });

  it('a model against its own JSON report: every layer the same, exit 0', () => {
    const model = join(GENERATED, 'safetensors', 'sharded-lm', 'model.safetensors.index.json');
    const reportFile = join(tmp, 'lm.json');
    const saved = runCli([model, '--json']);
    writeFileSync(reportFile, saved.stdout);
    const r = runCli(['compare', reportFile, model, '--json', '--fail-on-regression', '--alpha-range', '0:100']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as CompareReport;
    const analyzed = (JSON.parse(saved.stdout) as AnalysisReport).summary.analyzed;
    expect(doc.summary).toMatchObject({
      compared: analyzed,
      added: 0,
      removed: 0,
      regressed: 0,
      meanDeltaAlpha: 0,
      meanDeltaLogNorm: 0,
    });
    expect(doc.summary.phaseChanges.same).toBe(analyzed);
    expect(doc.gate).toEqual({ passed: true, failures: [] });
  });

  it('two models: the analysis options apply to both', () => {
    const a = join(GENERATED, 'safetensors', 'dtypes.safetensors');
    const r = runCli(['compare', a, a, '--json', '--layers', 'dense.*', '--min-evals', '11']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as CompareReport;
    expect(doc.layers.map((c) => [c.layer, c.old?.status])).toEqual([
      ['dense.f32.weight', 'skipped'],
      ['dense.f16.weight', 'skipped'],
      ['dense.bf16.weight', 'skipped'],
      ['dense.f64.weight', 'skipped'],
      ['dense.f32.bias', 'skipped'],
    ]);
  });

  it.each([
    [
      'a shard part',
      () => [write('part.json', { ...early, shard: { index: 1, count: 2 } }), LATE],
      /^rmt-analyze: .*part\.json is part 1\/2 of a sharded run: merge the parts first \(rmt-analyze merge\)\n$/,
    ],
    [
      'two models on a side',
      () => [write('two.json', { ...early, models: [...early.models, ...early.models] }), LATE],
      /^rmt-analyze: .*two\.json holds 2 models; compare takes one model on each side\n$/,
    ],
    [
      'another schema version',
      () => [write('v2.json', { ...early, schemaVersion: 2 }), LATE],
      /^rmt-analyze: .*v2\.json: not an rmt-analyze v1 report \(schemaVersion 2\)\n$/,
    ],
    [
      'a missing file',
      () => [join(tmp, 'missing.json'), LATE],
      /^rmt-analyze: .*missing\.json: no such file or directory\n$/,
    ],
    [
      'a bad α range',
      () => [EARLY, LATE, '--alpha-range', '6:2'],
      /^rmt-analyze: --alpha-range: MIN 6 is greater than MAX 2/,
    ],
    ['one side only', () => [EARLY], /^rmt-analyze: missing required argument 'new'\n$/],
  ] as const)('%s: exit 2', (_what, args, message) => {
    const r = runCli(['compare', ...args()]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('every phase name round-trips through a compare', () => {
    const all = reportOf(PHASE_NAMES.map((p, i) => analyzedLayer({ id: `l${i}`, phase: p })));
    const r = runCli(['compare', write('all.json', all), write('all2.json', all), '--json', '--fail-on-regression']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as CompareReport).layers.map((c) => c.new?.phase)).toEqual([...PHASE_NAMES]);
  });
});
