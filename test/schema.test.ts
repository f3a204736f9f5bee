/**
 * schema/report.v1.schema.json, the JSON Schema of the v1 document shipped in the package:
 * real outputs of the CLI validate against it (every kind of run: plain, --eigenvalues,
 * --randomize, --vectors, several models, gate passed and failed, a shard part, a merge, the
 * reference model, silero), typed synthetic reports cover the union branches the fixtures do
 * not reach, and it rejects what is not v1. That its fields are the type's is
 * test/schema-drift.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { GENERATED, REFERENCE, ROOT, SILERO } from './helpers.js';
import { runCliAsync } from './cli-async.js';
import {
  PHASE_NAMES,
  type AnalysisReport,
  type AnalyzedLayer,
  type CorrelationTraps,
  type EigenvectorLocalization,
  type MpOk,
  type PowerLawOk,
  type TailModels,
  type VectorGroupStats,
} from '../src/index.js';
import { evaluateGate } from '../src/gate.js';
import { analyzedLayer, failedLayer, reportOf, skippedLayer } from './report-factory.js';
import { instancePaths, schemaShape } from './schema-shape.js';

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
  const ONNX = ['lstm.onnx', 'conv.onnx', 'quant-dql.onnx', 'constants-if.onnx'].map((f) => join(GENERATED, 'onnx', f));
  const runs: Record<string, string[]> = {
    'dtypes with eigenvalues': [join(ST, 'dtypes.safetensors'), '--eigenvalues'],
    'tied weights': [join(ST, 'tied.safetensors')],
    'degenerate weights': [join(ST, 'numerics.safetensors')],
    'two models': [join(ST, 'hf-model'), join(ST, 'tied.safetensors')],
    'sharded checkpoint': [join(ST, 'sharded', 'model.safetensors.index.json')],
    'realistic sharded checkpoint': [join(ST, 'sharded-lm', 'model.safetensors.index.json')],
    'ONNX: LSTM, conv, quantized, If subgraphs': ONNX,
    'gate failed': [join(ST, 'dtypes.safetensors'), '--fail-on-phase', ALL, '--alpha-range', '3:'],
    'gate passed': [join(ST, 'dtypes.safetensors'), '--expect-phase', ALL],
    'shard part 1/2': [join(ST, 'sharded-lm', 'model.safetensors.index.json'), '--shard', '1/2', '--eigenvalues'],
    'shard part 2/2': [join(ST, 'sharded-lm', 'model.safetensors.index.json'), '--shard', '2/2', '--eigenvalues'],
    'traps and vectors': [join(ST, 'dtypes.safetensors'), '--randomize', '--vectors'],
    'traps, vectors and eigenvalues': [
      join(ST, 'dtypes.safetensors'),
      '--randomize',
      '--vectors',
      '--eigenvalues',
      '--seed',
      '7',
    ],
    'ONNX: traps, vectors and eigenvalues': [...ONNX, '--randomize', '--vectors', '--eigenvalues'],
    // A flat eigenvector: its participation ratio computes to 1.0000000000000002.
    'degenerate weights: traps, vectors and eigenvalues': [
      join(ST, 'numerics.safetensors'),
      '--randomize',
      '--vectors',
      '--eigenvalues',
    ],
    'reference model, every phase': [join(REFERENCE, 'synthetic.safetensors'), '--eigenvalues'],
    'silero VAD': [join(SILERO, 'silero_vad.onnx')],
    'silero VAD: traps, vectors and eigenvalues': [
      join(SILERO, 'silero_vad.onnx'),
      '--randomize',
      '--vectors',
      '--eigenvalues',
    ],
  };
  const outputs = new Map<string, { code: number | null; stdout: string }>();
  beforeAll(async () => {
    const done = await Promise.all(
      Object.entries(runs).map(async ([name, args]) => [name, await runCliAsync([...args, '--json'])] as const),
    );
    for (const [name, r] of done) outputs.set(name, r);
  });

  it.each(Object.keys(runs))('%s', (name) => {
    const r = outputs.get(name)!;
    expect([0, 1]).toContain(r.code);
    const doc = JSON.parse(r.stdout) as AnalysisReport;
    expect(validate(doc), errors()).toBe(true);
    expect(doc.layers.length).toBeGreaterThan(0);
  });

  it('the runs hold the optional parts they were asked for (so that validating them means something)', () => {
    const analyzed = (name: string) => {
      const doc = JSON.parse(outputs.get(name)!.stdout) as AnalysisReport;
      return doc.layers.filter((l): l is AnalyzedLayer => l.status === 'analyzed');
    };
    for (const name of Object.keys(runs).filter((n) => n.endsWith('traps, vectors and eigenvalues'))) {
      const layers = analyzed(name);
      expect(layers.length, name).toBeGreaterThan(0);
      for (const l of layers) {
        expect(l.eigenvalues, `${name}: ${l.id}`).toBeDefined();
        expect(l.traps?.eigenvalues, `${name}: ${l.id}`).toBeDefined();
        expect(l.vectors?.perVector, `${name}: ${l.id}`).toBeDefined();
      }
    }
    expect(analyzed('traps, vectors and eigenvalues').every((l) => l.traps!.seed === 7)).toBe(true);
    for (const l of analyzed('traps and vectors')) {
      expect(l.traps).toBeDefined();
      expect(l.traps!.eigenvalues).toBeUndefined();
      expect(l.vectors).toBeDefined();
      expect(l.vectors!.perVector).toBeUndefined();
    }
    // Traps found, the MP fit at its bound, and both kinds of tail split, in real outputs.
    const silero = analyzed('silero VAD: traps, vectors and eigenvalues');
    expect(silero.some((l) => l.traps!.numTraps > 0)).toBe(true);
    expect(silero.some((l) => l.mp.status === 'ok' && l.mp.atBound !== undefined)).toBe(true);
    const onnx = analyzed('ONNX: traps, vectors and eigenvalues');
    expect(new Set(onnx.map((l) => l.vectors!.split.by))).toEqual(new Set(['mp-spikes', 'power-law-tail']));
    expect(
      new Set(onnx.map((l) => (l.powerLaw.status === 'ok' ? l.powerLaw.alternatives?.status : undefined))),
    ).toEqual(new Set(['ok', 'failed']));
    const degenerate = analyzed('degenerate weights: traps, vectors and eigenvalues');
    expect(
      degenerate.some(
        (l) => l.vectors!.tail.participationRatio === null || l.vectors!.bulk.participationRatio === null,
      ),
    ).toBe(true);
    const reference = JSON.parse(outputs.get('reference model, every phase')!.stdout) as AnalysisReport;
    for (const phase of PHASE_NAMES) expect(reference.summary.phases[phase], phase).toBeGreaterThan(0);
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

// ── Typed samples: the compiler checks them against the types, the schema must accept them ──
const tailModels: TailModels = {
  status: 'ok',
  powerLaw: { logLikelihood: -42 },
  truncatedPowerLaw: { alpha: 2.5, lambda: 0.01, logLikelihood: -40, boundary: false },
  exponential: { lambda: 0.2, logLikelihood: -55 },
  plVsTpl: { R: -2, normalizedR: -2, p: 0.023, test: 'nested-boundary' },
  expVsTpl: { R: -15, normalizedR: -5.48, p: 4.3e-8, test: 'nested' },
  plVsExp: { R: 13, normalizedR: 2.9, p: 0.004, test: 'vuong' },
  significance: 0.05,
  reason: 'TPL significantly better than PL (p = 0.023) and EXP (p = 4.3e-8)',
};
const powerLawOk: PowerLawOk = {
  status: 'ok',
  alpha: 3.1,
  xmin: 2,
  xmax: 40,
  D: 0.05,
  sigma: 0.3,
  numTail: 20,
  bestFit: 'TPL',
  alternatives: tailModels,
};
const mpOk: MpOk = {
  status: 'ok',
  sigma: 1.02,
  lambdaPlus: 3.9,
  lambdaMinus: 0.1,
  twWidth: 0.05,
  numSpikes: 2,
  softRank: 0.1,
  bulkKS: 0.03,
  scale: 0.25,
  bulkSize: 30,
};
const traps: CorrelationTraps = {
  seed: 3,
  numTraps: 2,
  lambdaMaxRandom: 9,
  lambdaPlusRandom: 4.1,
  threshold: 4.5,
  distance: 0.31,
  ksDistance: 0.2,
  trapEigenvalues: [9, 5],
  mpFit: { lambdaPlus: 4, numSpikes: 2 },
  eigenvalues: [0, 0.5, 1, 4, 5, 9],
};
const group = (count: number, computed: number): VectorGroupStats =>
  computed === 0
    ? { count, computed, participationRatio: null, minParticipationRatio: null, localizationRatio: null, entropy: null }
    : { count, computed, participationRatio: 0.3, minParticipationRatio: 0.05, localizationRatio: 0.28, entropy: 0.8 };
const random = { participationRatio: 0.33, localizationRatio: 0.3, entropy: 0.79 };
const vectors: EigenvectorLocalization = {
  dimension: 32,
  split: { by: 'mp-spikes', threshold: 4.2 },
  tail: group(2, 2),
  bulk: group(30, 30),
  numNull: 0,
  random,
  perVector: {
    eigenvalue: [1, 5, 9],
    participationRatio: [0.3, 0.1, 0.02],
    localizationRatio: [0.3, 0.2, 0.05],
    entropy: [0.8, 0.5, 0.1],
  },
};

/** Every optional part present: alternatives fitted, traps with their MP fit and ESD, vectors per vector. */
const everythingBase = analyzedLayer({ id: 'everything' });
const everything: AnalyzedLayer = {
  ...everythingBase,
  powerLaw: powerLawOk,
  mp: mpOk,
  phase: {
    ...everythingBase.phase,
    evidence: {
      ...everythingBase.phase.evidence,
      edge: {
        threshold: 4.1,
        outliers: 12,
        near: 4,
        far: 8,
        few: 5,
        topRatio: 10.3,
        topTW: 180,
        topStrength: 3.2,
        outlierMass: 0.4,
        bulkKS: 0.2,
        ksLimit: 0.15,
        bulkFitsMp: false,
        scaleFree: true,
        atBound: 'upper',
      },
    },
  },
  eigenvalues: [0.5, 1, 40],
  hill: { alpha: 2.7, xmin: 1 },
  traps,
  vectors,
};
/** The other branches: MP fit at its lower bound, alternatives failed, traps without an MP fit, nothing computed for vectors. */
const lowerBoundBase = analyzedLayer({ id: 'lower-bound', phase: 'rank-collapse' });
const lowerBound: AnalyzedLayer = {
  ...lowerBoundBase,
  hill: { alpha: null, xmin: 0 },
  phase: {
    ...lowerBoundBase.phase,
    evidence: { ...lowerBoundBase.phase.evidence, lowRank: { rank: 64, lambdaMin: 0, randomSpread: null } },
  },
  powerLaw: {
    ...powerLawOk,
    bestFit: 'PL',
    alternatives: { status: 'failed', reason: 'tail of 3 point(s), fewer than 5: no test has power' },
  },
  mp: { ...mpOk, atBound: 'lower' },
  traps: {
    seed: 0,
    numTraps: 0,
    lambdaMaxRandom: 0.2,
    lambdaPlusRandom: 0.3,
    threshold: 0.35,
    distance: 0,
    ksDistance: 0,
    trapEigenvalues: [],
  },
  vectors: {
    dimension: 32,
    split: { by: 'none', threshold: null },
    tail: group(0, 0),
    bulk: group(0, 0),
    numNull: 32,
    random,
  },
};
/** A hand-made result without alternatives (optional in the type), the MP fit at its upper bound, an EXP tail split by the power law. */
const upperBoundBase = analyzedLayer({ id: 'upper-bound', phase: 'heavy-tailed' });
const upperBound: AnalyzedLayer = {
  ...upperBoundBase,
  // A LoRA update's evidence, with a random-factor bound (lowerBound has none).
  phase: {
    ...upperBoundBase.phase,
    evidence: { ...upperBoundBase.phase.evidence, lowRank: { rank: 8, lambdaMin: 0.1, randomSpread: 36 } },
  },
  powerLaw: { status: 'ok', alpha: 2.2, xmin: 3, xmax: 30, D: 0.04, sigma: 0.2, numTail: 36, bestFit: 'EXP' },
  mp: { ...mpOk, atBound: 'upper' },
  vectors: {
    ...vectors,
    split: { by: 'power-law-tail', threshold: 3 },
    tail: group(36, 0),
    perVector: { eigenvalue: [], participationRatio: [], localizationRatio: [], entropy: [] },
  },
};

describe('typed synthetic reports reach every branch', () => {
  const phases = PHASE_NAMES.map((p, i) => analyzedLayer({ id: `l${i}`, phase: p, alpha: i === 0 ? null : 2 + i }));
  const pooled = reportOf([...phases, everything, lowerBound, upperBound, skippedLayer('b'), failedLayer('f')]);
  const metadata = { variant: 'zip', architecture: 'llama', name: 'tiny', fileType: 'MOSTLY_Q4_K_M' };
  const main: AnalysisReport = { ...pooled, models: pooled.models.map((m) => ({ ...m, metadata })) };
  const gated: AnalysisReport = {
    ...main,
    gate: evaluateGate(main, [{ kind: 'alpha-range', scope: [], min: 2, max: 5 }]),
  };
  const passed: AnalysisReport = { ...main, gate: evaluateGate(main, []) };
  const part: AnalysisReport = {
    ...reportOf([everything, skippedLayer('b')]),
    shard: {
      index: 2,
      count: 3,
      totalLayers: 7,
      positions: [4, 6],
      digests: [{ position: 4, layers: 1, sha1: '0123456789abcdef0123456789abcdef01234567' }],
      options: {
        layers: ['*attn*'],
        exclude: ['*.bias'],
        kinds: ['dense', 'conv2d'],
        minEvals: 10,
        eigenvalues: true,
        randomize: true,
        seed: 7,
        vectors: false,
      },
      cost: { part: 1e6, total: 3e6 },
    },
  };
  const plainPart: AnalysisReport = {
    ...part,
    shard: { ...part.shard!, options: { ...part.shard!.options, randomize: false, seed: null } },
  };
  const row = { model: 0, id: 'l1', name: 'l1' };
  const recommended: AnalysisReport = {
    ...main,
    recommendations: {
      pruning: {
        target: 0.5,
        epsilon: 0.3,
        alphaSource: 'power-law',
        layers: [
          { ...row, sparsity: 0.42, alpha: 2.5 },
          { ...row, id: 'l2', sparsity: 0.5, alpha: null },
        ],
      },
      learningRate: {
        alphaSource: 'hill',
        layers: [
          { ...row, factor: 0.5, alpha: 2.1 },
          { ...row, id: 'l2', factor: 1, alpha: null },
        ],
      },
    },
  };
  const reports: Record<string, AnalysisReport> = {
    'every branch': main,
    'with recommendations': recommended,
    'gate failed': gated,
    'gate passed': passed,
    'a shard part': part,
    'a shard part without --randomize': plainPart,
    'no layers': reportOf([]),
    'an unreadable model among several': reportOf(
      [skippedLayer('b')],
      [
        { path: 'model.safetensors', format: 'safetensors', tensors: 1, bytes: 1000 },
        { path: 'broken.onnx', error: 'broken.onnx: the file ends inside its header' },
      ],
    ),
    // per-model summaries (issue 15, item 6), one with a failed layer
    'several models, each with its summary': reportOf(
      [everything, failedLayer('f', 'solver', 1)],
      [
        { path: 'a.safetensors', format: 'safetensors', tensors: 1, bytes: 1000 },
        { path: 'b.safetensors', format: 'safetensors', tensors: 1, bytes: 1000 },
      ],
    ),
  };

  it.each(Object.keys(reports))('%s', (name) => {
    expect(validate(reports[name]), errors()).toBe(true);
  });

  it('gate samples are what they say', () => {
    expect(gated.gate!.passed).toBe(false);
    expect(gated.gate!.failures.some((f) => typeof f.value === 'number')).toBe(true);
    expect(passed.gate).toEqual({ passed: true, failures: [] });
  });

  it('together they reach every field, every union branch, and null and a number wherever both are allowed', () => {
    const shape = schemaShape(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')));
    const seen = new Map<string, Set<string>>();
    for (const r of Object.values(reports)) instancePaths(shape, r, seen);
    expect(
      [...shape.keys()].filter((p) => !seen.has(p)),
      'paths no sample reaches',
    ).toEqual([]);
    const nullable = [...shape].filter(([, s]) => s.types?.has('null') && s.types.size > 1).map(([p]) => p);
    expect(nullable.length).toBeGreaterThan(10);
    expect(
      nullable.filter((p) => seen.get(p)!.size < 2),
      'nullable paths seen with only null or only a value',
    ).toEqual([]);
    // Optional literal unions: absent and each value.
    const atBounds = main.layers.map((l) =>
      l.status === 'analyzed' && l.mp.status === 'ok' ? (l.mp.atBound ?? 'absent') : 'no fit',
    );
    expect(new Set(atBounds)).toEqual(new Set(['lower', 'upper', 'absent', 'no fit']));
    const splits = main.layers.flatMap((l) => (l.status === 'analyzed' && l.vectors ? [l.vectors.split.by] : []));
    expect(new Set(splits)).toEqual(new Set(['mp-spikes', 'power-law-tail', 'none']));
  });
});

describe('what is not v1 is rejected', () => {
  // 0: a plain analysed layer (failed MP fit), 1: skipped, 2: every optional part, 3: the other branches.
  const good = reportOf([analyzedLayer({ id: 'w', phase: 'heavy-tailed' }), skippedLayer('b'), everything, lowerBound]);
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
    ['a skipped layer with traps', (d: any) => (d.layers[1].traps = d.layers[2].traps)],
    ['an analysed layer without a phase', (d: any) => delete d.layers[0].phase],
    ['a missing summary', (d: any) => delete d.summary],
    ['a summary missing a phase count', (d: any) => delete d.summary.phases['rank-collapse']],
    ['a NaN written as null', (d: any) => (d.layers[0].metrics.stableRank = null)],
    ['a power-law ok without α', (d: any) => delete d.layers[0].powerLaw.alpha],
    ['a failed fit without a reason', (d: any) => delete d.layers[0].mp.reason],
    ['an unknown dtype', (d: any) => (d.layers[0].dtype = 'F128')],
    ['an unknown model format', (d: any) => (d.models[0].format = 'tflite')],
    // The power law's alternatives (issue 8).
    ['an unknown bestFit', (d: any) => (d.layers[2].powerLaw.bestFit = 'LN')],
    ['a p-value of 2', (d: any) => (d.layers[2].powerLaw.alternatives.plVsTpl.p = 2)],
    ['a negative p-value', (d: any) => (d.layers[2].powerLaw.alternatives.plVsExp.p = -0.1)],
    ['an unknown likelihood-ratio test', (d: any) => (d.layers[2].powerLaw.alternatives.plVsExp.test = 'wilks')],
    ['a comparison without normalizedR', (d: any) => delete d.layers[2].powerLaw.alternatives.expVsTpl.normalizedR],
    ['alternatives without expVsTpl', (d: any) => delete d.layers[2].powerLaw.alternatives.expVsTpl],
    [
      'a truncated power law without boundary',
      (d: any) => delete d.layers[2].powerLaw.alternatives.truncatedPowerLaw.boundary,
    ],
    ['a significance level of 1', (d: any) => (d.layers[2].powerLaw.alternatives.significance = 1)],
    ['failed alternatives without a reason', (d: any) => delete d.layers[3].powerLaw.alternatives.reason],
    ['alternatives with an unknown status', (d: any) => (d.layers[3].powerLaw.alternatives.status = 'skipped')],
    [
      'alternatives in their draft shape (no status, powerLawLogLikelihood, bare comparisons)',
      (d: any) =>
        (d.layers[2].powerLaw.alternatives = {
          truncatedPowerLaw: { alpha: 2.5, lambda: 0.01, logLikelihood: -40 },
          exponential: { lambda: 0.2, logLikelihood: -55 },
          powerLawLogLikelihood: -42,
          plVsTpl: { R: -2, p: 0.04 },
          plVsExp: { R: 13, p: 0.001 },
        }),
    ],
    // The MP fit.
    ['an MP fit without scale', (d: any) => delete d.layers[2].mp.scale],
    ['an MP fit without bulkSize', (d: any) => delete d.layers[2].mp.bulkSize],
    ['a fractional bulkSize', (d: any) => (d.layers[2].mp.bulkSize = 2.5)],
    ['an unknown atBound', (d: any) => (d.layers[3].mp.atBound = 'middle')],
    // Correlation traps.
    ['a traps block without numTraps', (d: any) => delete d.layers[2].traps.numTraps],
    ['a traps block with an unknown key', (d: any) => (d.layers[2].traps.numSpikes = 2)],
    ['a negative seed', (d: any) => (d.layers[2].traps.seed = -1)],
    ['a Jensen–Shannon distance above √ln 2', (d: any) => (d.layers[2].traps.distance = 0.84)],
    ['more than 100 trap eigenvalues', (d: any) => (d.layers[2].traps.trapEigenvalues = new Array(101).fill(9))],
    ["the shuffle's MP fit without numSpikes", (d: any) => delete d.layers[2].traps.mpFit.numSpikes],
    // Eigenvector localization.
    ['an unknown split.by', (d: any) => (d.layers[2].vectors.split.by = 'median')],
    ['a split by mp-spikes without a threshold', (d: any) => (d.layers[2].vectors.split.threshold = null)],
    ['a split by none with a threshold', (d: any) => (d.layers[3].vectors.split.threshold = 1)],
    ['a null statistic of computed vectors', (d: any) => (d.layers[2].vectors.tail.participationRatio = null)],
    ['a statistic of no computed vector', (d: any) => (d.layers[3].vectors.bulk.entropy = 0.5)],
    ['a participation ratio above 1', (d: any) => (d.layers[2].vectors.bulk.participationRatio = 1.5)],
    ['a per-vector entropy above 1', (d: any) => (d.layers[2].vectors.perVector.entropy[0] = 1.2)],
    ['per-vector metrics without entropy', (d: any) => delete d.layers[2].vectors.perVector.entropy],
    ['vectors without the random reference', (d: any) => delete d.layers[2].vectors.random],
    ['a zero dimension', (d: any) => (d.layers[2].vectors.dimension = 0)],
    // Gate and shard.
    [
      'a gate that passed with failures',
      (d: any) =>
        (d.gate = {
          passed: true,
          failures: [{ layer: 'w', model: 0, rule: 'fail-on-phase heavy-tailed', value: 'heavy-tailed' }],
        }),
    ],
    ['a gate that failed without failures', (d: any) => (d.gate = { passed: false, failures: [] })],
    [
      'a gate failure with an unknown rule',
      (d: any) => (d.gate = { passed: false, failures: [{ layer: 'w', model: 0, rule: 'max-alpha 6', value: 7 }] }),
    ],
    [
      'a shard without positions',
      (d: any) =>
        (d.shard = {
          index: 1,
          count: 2,
          totalLayers: 2,
          digests: [],
          options: { layers: [], exclude: [], minEvals: 10, eigenvalues: false },
          cost: { part: 0, total: 0 },
        }),
    ],
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
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    );
    expect(packed[0].files.map((f: { path: string }) => f.path)).toContain('schema/report.v1.schema.json');
  });
});
