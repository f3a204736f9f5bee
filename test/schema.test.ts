/**
 * schema/report.v1.schema.json, the JSON Schema of the v1 document shipped in the package:
 * real outputs of the CLI validate against it (every kind of run: plain, --eigenvalues,
 * several models, gate passed and failed, a shard part, a merge), typed synthetic reports
 * cover the union branches the fixtures do not reach, and it rejects what is not v1.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { GENERATED, ROOT } from './helpers.js';
import { runCliAsync } from './cli-async.js';
import { PHASE_NAMES, type AnalysisReport, type AnalyzedLayer } from '../src/index.js';
import { evaluateGate } from '../src/gate.js';
import { analyzedLayer, reportOf, skippedLayer } from './report-factory.js';

const SCHEMA_PATH = join(ROOT, 'schema', 'report.v1.schema.json');
const ST = join(GENERATED, 'safetensors');
const ALL = PHASE_NAMES.join(',');
const tmp = mkdtempSync(join(tmpdir(), 'rmt-schema-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let validate: ValidateFunction;
beforeAll(() => {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')));
});

const errors = () => JSON.stringify(validate.errors, null, 1);

describe('real outputs validate', () => {
  const runs: Record<string, string[]> = {
    'dtypes with eigenvalues': [join(ST, 'dtypes.safetensors'), '--eigenvalues'],
    'tied weights': [join(ST, 'tied.safetensors')],
    'degenerate weights': [join(ST, 'numerics.safetensors')],
    'two models': [join(ST, 'hf-model'), join(ST, 'tied.safetensors')],
    'sharded checkpoint': [join(ST, 'sharded', 'model.safetensors.index.json')],
    'realistic sharded checkpoint': [join(ST, 'sharded-lm', 'model.safetensors.index.json')],
    'ONNX: LSTM, conv, quantized, If subgraphs': ['lstm.onnx', 'conv.onnx', 'quant-dql.onnx', 'constants-if.onnx'].map((f) => join(GENERATED, 'onnx', f)),
    'gate failed': [join(ST, 'dtypes.safetensors'), '--fail-on-phase', ALL, '--alpha-range', '3:'],
    'gate passed': [join(ST, 'dtypes.safetensors'), '--expect-phase', ALL],
    'shard part 1/2': [join(ST, 'sharded-lm', 'model.safetensors.index.json'), '--shard', '1/2', '--eigenvalues'],
    'shard part 2/2': [join(ST, 'sharded-lm', 'model.safetensors.index.json'), '--shard', '2/2', '--eigenvalues'],
  };
  const outputs = new Map<string, { code: number | null; stdout: string }>();
  beforeAll(async () => {
    const done = await Promise.all(Object.entries(runs).map(async ([name, args]) => [name, await runCliAsync([...args, '--json'])] as const));
    for (const [name, r] of done) outputs.set(name, r);
  });

  it.each(Object.keys(runs))('%s', (name) => {
    const r = outputs.get(name)!;
    expect([0, 1]).toContain(r.code);
    const doc = JSON.parse(r.stdout) as AnalysisReport;
    expect(validate(doc), errors()).toBe(true);
    expect(doc.layers.length).toBeGreaterThan(0);
  });

  it('the merge of the parts', async () => {
    const parts = ['shard part 1/2', 'shard part 2/2'].map((name, i) => {
      const file = join(tmp, `p${i}.json`);
      writeFileSync(file, outputs.get(name)!.stdout);
      return file;
    });
    const r = await runCliAsync(['merge', ...parts, '--json', '--alpha-range', '2:6']);
    const doc = JSON.parse(r.stdout) as AnalysisReport;
    expect(validate(doc), errors()).toBe(true);
    expect(doc.gate).toBeDefined();
    expect(doc.shard).toBeUndefined();
  });
});

describe('typed synthetic reports reach every branch', () => {
  it('every phase, a failed power-law fit, an MP fit, the alternatives of issue 8', () => {
    const layers = PHASE_NAMES.map((p, i) => analyzedLayer({ id: `l${i}`, phase: p, alpha: i === 0 ? null : 2 + i }));
    const withFits: AnalyzedLayer = {
      ...analyzedLayer({ id: 'fits' }),
      mp: { status: 'ok', sigma: 1.02, lambdaPlus: 3.9, lambdaMinus: 0.1, twWidth: 0.05, numSpikes: 2, softRank: 0.4, bulkKS: 0.03 },
      powerLaw: {
        status: 'ok',
        alpha: 3.1,
        xmin: 2,
        xmax: 40,
        D: 0.05,
        sigma: 0.3,
        numTail: 20,
        bestFit: 'TPL',
        alternatives: {
          truncatedPowerLaw: { alpha: 2.5, lambda: 0.01, logLikelihood: -40 },
          exponential: { lambda: 0.2, logLikelihood: -55 },
          powerLawLogLikelihood: -42,
          plVsTpl: { R: -2, p: 0.04 },
          plVsExp: { R: 13, p: 0.001 },
        },
      },
      eigenvalues: [0.5, 1, 40],
    };
    const report = reportOf([...layers, withFits, skippedLayer('b')]);
    expect(validate(report), errors()).toBe(true);
    const gated = { ...report, gate: evaluateGate(report, [{ kind: 'alpha-range', scope: [], min: 2, max: 5 }]) };
    expect(gated.gate.passed).toBe(false);
    expect(validate(gated), errors()).toBe(true);
    expect(validate(reportOf([]))).toBe(true);
  });
});

describe('what is not v1 is rejected', () => {
  const good = reportOf([analyzedLayer({ id: 'w', phase: 'heavy-tailed' }), skippedLayer('b')]);
  const mutate = (f: (d: any) => void) => {
    const d = JSON.parse(JSON.stringify(good));
    f(d);
    return d;
  };
  it.each([
    ['another schemaVersion', (d: any) => (d.schemaVersion = 2)],
    ['an unknown phase name', (d: any) => (d.layers[0].phase.name = 'heavy')],
    ['an unknown status', (d: any) => (d.layers[0].status = 'failed')],
    ['an unknown top-level key', (d: any) => (d.extra = 1)],
    ['an unknown layer key', (d: any) => (d.layers[0].alpha = 3)],
    ['a skipped layer with metrics', (d: any) => (d.layers[1].metrics = d.layers[0].metrics)],
    ['an analysed layer without a phase', (d: any) => delete d.layers[0].phase],
    ['a missing summary', (d: any) => delete d.summary],
    ['a summary missing a phase count', (d: any) => delete d.summary.phases['rank-collapse']],
    ['a NaN written as null', (d: any) => (d.layers[0].metrics.stableRank = null)],
    ['a power-law ok without α', (d: any) => delete d.layers[0].powerLaw.alpha],
    ['a failed fit without a reason', (d: any) => delete d.layers[0].mp.reason],
    ['an unknown dtype', (d: any) => (d.layers[0].dtype = 'F128')],
    ['an unknown model format', (d: any) => (d.models[0].format = 'gguf')],
    ['a gate that passed with failures', (d: any) => (d.gate = { passed: true, failures: [{ layer: 'w', model: 0, rule: 'fail-on-phase heavy-tailed', value: 'heavy-tailed' }] })],
    ['a gate that failed without failures', (d: any) => (d.gate = { passed: false, failures: [] })],
    ['a gate failure with an unknown rule', (d: any) => (d.gate = { passed: false, failures: [{ layer: 'w', model: 0, rule: 'max-alpha 6', value: 7 }] })],
    ['a shard without positions', (d: any) => (d.shard = { index: 1, count: 2, totalLayers: 2, digests: [], options: { layers: [], exclude: [], minEvals: 10, eigenvalues: false }, cost: { part: 0, total: 0 } })],
  ])('%s', (_what, f) => {
    expect(validate(good), errors()).toBe(true);
    expect(validate(mutate(f))).toBe(false);
  });
});

describe('shipped in the package', () => {
  it('listed in package.json files and exports, and packed', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.files).toContain('schema/');
    expect(pkg.exports['./schema/report.v1.schema.json']).toBe('./schema/report.v1.schema.json');
    const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    expect(packed[0].files.map((f: { path: string }) => f.path)).toContain('schema/report.v1.schema.json');
  });
});
