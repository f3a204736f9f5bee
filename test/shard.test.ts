/**
 * Scale-out: `--shard i/n` splits the tensors deterministically, balanced by estimated cost,
 * each in exactly one part; `merge` rebuilds exactly the single-run document — checked on the
 * real sharded safetensors checkpoints under fixtures/generated/, in-process for many n and
 * through the CLI byte for byte — and refuses parts that do not belong together.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../src/analyze.js';
import { mergeShards } from '../src/merge.js';
import { assignShards, estimateCost, parseShardSpec, tensorCosts, type PlannedTensor } from '../src/shard.js';
import { renderJson } from '../src/report/json.js';
import { type AnalysisReport } from '../src/schema/index.js';
import { PHASE_NAMES } from '../src/schema/index.js';
import type { LayerPlan } from '../src/matrices.js';
import { GENERATED } from './helpers.js';
import { runCliAsync } from './cli-async.js';
import { mulberry32 } from '../scripts/fixtures/seeded.js';

const SMALL = join(GENERATED, 'safetensors', 'sharded', 'model.safetensors.index.json');
const LM = join(GENERATED, 'safetensors', 'sharded-lm', 'model.safetensors.index.json');
const DTYPES = join(GENERATED, 'safetensors', 'dtypes.safetensors');
const tmp = mkdtempSync(join(tmpdir(), 'rmt-shard-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const plan = (rows: number, cols: number, slices = 1): LayerPlan => ({
  status: 'analyze',
  idSuffix: '',
  kind: 'dense',
  rows,
  cols,
  slices,
  eigenScale: 1,
  extract: (v) => v,
});
const skip: LayerPlan = { status: 'skipped', idSuffix: '', kind: 'bias', detail: { code: 'bias' } };

describe('--shard i/n', () => {
  it('parses i/n with 1 ≤ i ≤ n', () => {
    expect(parseShardSpec('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShardSpec(' 1 / 1 ')).toEqual({ index: 1, count: 1 });
    for (const bad of ['0/4', '5/4', '1/0', '2', '1/2/3', 'a/b', '-1/2', '1.5/2', ''])
      expect(() => parseShardSpec(bad), bad).toThrow(/^--shard: expected i\/n/);
  });
});

describe('cost and assignment', () => {
  it('cost is slices·M²·(N + M) per analysed matrix; skipped plans cost nothing', () => {
    expect(estimateCost(plan(256, 64))).toBe(64 * 64 * 320);
    expect(estimateCost(plan(64, 256))).toBe(64 * 64 * 320);
    expect(estimateCost(plan(8, 4, 9))).toBe(9 * 16 * 12);
    expect(estimateCost(skip)).toBe(0);
  });

  it('tensors that will not be read cost 0: all layers skipped, or the same storage as an earlier one', () => {
    const tensors: PlannedTensor[] = [
      { storageKey: 'a', plans: [plan(10, 10)] },
      { storageKey: 'b', plans: [skip] },
      { storageKey: 'a', plans: [plan(10, 10)] },
      { storageKey: 'c', plans: [plan(10, 10), skip, plan(20, 10)] },
      { storageKey: 'b', plans: [plan(10, 10)] }, // 'b' was never read (all skipped), so this one is
    ];
    expect(tensorCosts(tensors)).toEqual([2000, 0, 0, 2000 + 3000, 2000]);
  });

  it('greedy LPT: largest first, to the least-loaded shard, ties by order and lowest shard', () => {
    expect(assignShards([5, 5, 4, 3, 3, 3], 2)).toEqual([0, 1, 0, 1, 1, 0]);
    expect(assignShards([1, 1, 1, 1], 3)).toEqual([0, 1, 2, 0]);
    expect(assignShards([0, 0, 7, 0], 2)).toEqual([1, 1, 0, 1]);
    expect(assignShards([3, 9], 1)).toEqual([0, 0]);
    expect(assignShards([4], 5)).toEqual([0]);
  });

  it('balanced by cost, not count: within 4/3 of the best split on seeded random sets; deterministic', () => {
    const rnd = mulberry32(6);
    for (let trial = 0; trial < 200; trial++) {
      const n = 2 + Math.floor(rnd() * 2);
      const costs = Array.from({ length: 3 + Math.floor(rnd() * 7) }, () => Math.floor(rnd() ** 3 * 1000));
      const shards = assignShards(costs, n);
      expect(assignShards(costs, n)).toEqual(shards);
      const load = (s: number[]) =>
        Math.max(...Array.from({ length: n }, (_, k) => s.reduce((a, sh, i) => a + (sh === k ? costs[i]! : 0), 0)));
      let best = Infinity;
      for (let code = 0; code < n ** costs.length; code++) {
        const s = costs.map((_, i) => Math.floor(code / n ** i) % n);
        best = Math.min(best, load(s));
      }
      expect(load(shards)).toBeLessThanOrEqual((4 / 3) * best + 1e-9);
    }
  });
});

describe('shard 1..n + merge = single run (in-process, the realistic sharded checkpoint)', () => {
  let single: AnalysisReport;
  beforeAll(async () => {
    single = await analyze([LM], { eigenvalues: true });
  });

  it.each([1, 2, 3, 4, 5, 7, 16, 64])('n = %i', async (n) => {
    const parts = await Promise.all(
      Array.from({ length: n }, (_, i) => analyze([LM], { eigenvalues: true, shard: { index: i + 1, count: n } })),
    );
    // every layer, skipped or not, in exactly one part
    const positions = parts.flatMap((p) => p.shard!.positions).sort((a, b) => a - b);
    expect(positions).toEqual(single.layers.map((_, i) => i));
    // balanced: no part above the LPT bound (average + the largest tensor)
    const total = parts[0]!.shard!.cost.total;
    expect(parts.reduce((s, p) => s + p.shard!.cost.part, 0)).toBe(total);
    const largest = Math.max(
      ...single.layers.map((l) => (l.status === 'analyzed' ? l.slices * l.M * l.M * (l.N + l.M) : 0)),
    );
    for (const p of parts) expect(p.shard!.cost.part).toBeLessThanOrEqual(total / n + largest);
    // no part carries a gate; the merge in any order is exactly the single run
    const merged = mergeShards(
      parts
        .reverse()
        .map((report, i) => ({ file: `part${i}.json`, report: JSON.parse(renderJson(report)) as AnalysisReport })),
    );
    expect(renderJson(merged)).toBe(renderJson(single));
  });

  it('tied weights split across parts: the part with the copy analyses it, the merge names the original as the single run does', async () => {
    const parts = await Promise.all([1, 2].map((i) => analyze([LM], { shard: { index: i, count: 2 } })));
    const find = (name: string) => parts.findIndex((p) => p.layers.some((l) => l.name === name));
    expect(find('model.embed_tokens.weight')).not.toBe(find('lm_head.weight'));
    const copy = parts[find('lm_head.weight')]!.layers.find((l) => l.name === 'lm_head.weight')!;
    expect(copy.status).toBe('analyzed');
    const merged = mergeShards(parts.map((report, i) => ({ file: `p${i}`, report })));
    expect(merged.layers.find((l) => l.name === 'lm_head.weight')).toEqual({
      id: 'lm_head.weight',
      model: 0,
      name: 'lm_head.weight',
      kind: 'dense',
      shape: [512, 64],
      dtype: 'F16',
      status: 'skipped',
      skipCode: 'tied',
      skipReason: "same values as 'model.embed_tokens.weight' (tied weights, analysed once)",
    });
  });

  it('several models in one run, ONNX ones too (recurrent directions, conv kernels, quantized), are split together', async () => {
    const onnx = (f: string) => join(GENERATED, 'onnx', f);
    const paths = [
      SMALL,
      LM,
      DTYPES,
      onnx('lstm.onnx'),
      onnx('conv.onnx'),
      onnx('quant-dql.onnx'),
      onnx('constants-if.onnx'),
    ];
    const whole = await analyze(paths);
    const parts = await Promise.all([1, 2, 3].map((i) => analyze(paths, { shard: { index: i, count: 3 } })));
    expect(parts.every((p) => p.models.length === paths.length)).toBe(true);
    expect(whole.layers.some((l) => l.id.endsWith(']'))).toBe(true);
    expect(renderJson(mergeShards(parts.map((report, i) => ({ file: `p${i}`, report }))))).toBe(renderJson(whole));
  });
});

describe('CLI: shard 1..n + merge is byte for byte the single run', () => {
  /** Writes the parts i/n of `model` (with `extra` flags) and returns their files, 1..n. */
  const shardFiles = async (model: string, n: number, extra: string[] = []) =>
    Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const r = await runCliAsync([model, '--json', '--shard', `${i + 1}/${n}`, ...extra]);
        expect(r.code).toBe(0);
        expect(r.stderr).toBe('');
        const file = join(
          tmp,
          `${model.includes('sharded-lm') ? 'lm' : 'small'}-${i + 1}-of-${n}${extra.join('')}.json`,
        );
        writeFileSync(file, r.stdout);
        return file;
      }),
    );
  let smallSingle: string;
  beforeAll(async () => {
    smallSingle = (await runCliAsync([SMALL, '--json'])).stdout;
  });

  it.each([1, 2, 3, 4])('the two-file sharded checkpoint, n = %i', async (n) => {
    const parts = await shardFiles(SMALL, n);
    const merged = await runCliAsync(['merge', ...parts.reverse(), '--json']);
    expect(merged.code).toBe(0);
    expect(merged.stderr).toBe('');
    expect(merged.stdout).toBe(smallSingle);
    for (const p of parts) expect(JSON.parse(readFileSync(p, 'utf8')).shard.count).toBe(n);
  });

  it('the realistic checkpoint with --eigenvalues, n = 3; any format; a gate given to merge', async () => {
    const gate = ['--gate-layers', '*mlp*', '--fail-on-phase', PHASE_NAMES.join(',')];
    const [parts, plain, single, table, csv, gatedSingle] = await Promise.all([
      shardFiles(LM, 3, ['--eigenvalues']),
      shardFiles(LM, 3),
      runCliAsync([LM, '--json', '--eigenvalues']),
      runCliAsync([LM]),
      runCliAsync([LM, '--format', 'csv']),
      runCliAsync([LM, '--json', ...gate]),
    ]);
    expect((await runCliAsync(['merge', ...parts, '--json'])).stdout).toBe(single.stdout);
    expect((await runCliAsync(['merge', ...plain])).stdout).toBe(table.stdout);
    expect((await runCliAsync(['merge', ...plain, '--format', 'csv'])).stdout).toBe(csv.stdout);
    const gatedMerge = await runCliAsync(['merge', ...plain, '--json', ...gate]);
    expect(gatedSingle.code).toBe(1);
    expect(gatedMerge.code).toBe(1);
    expect(gatedMerge.stdout).toBe(gatedSingle.stdout);
    expect(gatedMerge.stderr).toBe(gatedSingle.stderr);
  });

  it('a part with a gate: the merge drops it (rules are given to the merge)', async () => {
    const parts = await Promise.all(
      [1, 2].map(async (i) => {
        const r = await runCliAsync([SMALL, '--json', '--shard', `${i}/2`, '--fail-on-phase', PHASE_NAMES.join(',')]);
        expect(r.code).toBe(1);
        expect(JSON.parse(r.stdout).gate.passed).toBe(false);
        const file = join(tmp, `gated-${i}.json`);
        writeFileSync(file, r.stdout);
        return file;
      }),
    );
    const merged = await runCliAsync(['merge', ...parts, '--json']);
    expect(merged.code).toBe(0);
    expect(merged.stdout).toBe(smallSingle);
  });

  describe('refusals: exit 2, one line naming the files', () => {
    let two: string[];
    let three: string[];
    let otherOptions: string[];
    beforeAll(async () => {
      [two, three, otherOptions] = await Promise.all([
        shardFiles(SMALL, 2),
        shardFiles(SMALL, 3),
        shardFiles(SMALL, 2, ['--min-evals', '5']),
      ]);
      writeFileSync(join(tmp, 'single.json'), smallSingle);
      writeFileSync(join(tmp, 'garbage.json'), '{ "schemaVersion": 1,');
    });
    let edits = 0;
    const edit = (file: string, f: (doc: Record<string, any>) => void) => {
      const doc = JSON.parse(readFileSync(file, 'utf8'));
      f(doc);
      const out = file.replace(/\.json$/, `-edited-${++edits}.json`);
      writeFileSync(out, JSON.stringify(doc));
      return out;
    };
    it.each([
      ['a missing part', () => [two[0]!], /^rmt-analyze: merge: missing part 2\/2\n$/],
      [
        'a part given twice',
        () => [two[0]!, two[0]!],
        /^rmt-analyze: .*small-1-of-2\.json and .*small-1-of-2\.json are both part 1\/2\n$/,
      ],
      [
        'parts of different splits',
        () => [two[0]!, three[1]!],
        /^rmt-analyze: .* are parts of different splits \(1\/2 vs 2\/3\)\n$/,
      ],
      [
        'parts of different models',
        () => [two[0]!, edit(two[1]!, (d) => (d.models[0].bytes += 1))],
        /^rmt-analyze: .* are parts of runs on different models \(/,
      ],
      [
        'parts made with different options',
        () => [two[0]!, otherOptions[1]!],
        /^rmt-analyze: .* were made with different options \(\{"layers":\[\],"exclude":\[\],"minEvals":10,"eigenvalues":false,"randomize":false,"seed":null,"vectors":false\} vs \{.*"minEvals":5/,
      ],
      [
        'another version of the tool',
        () => [two[0]!, edit(two[1]!, (d) => (d.tool.version = '0.0.1'))],
        /^rmt-analyze: .*: written by rmt-analyze 0\.0\.1; this is rmt-analyze \d+\.\d+\.\d+ \(merge with the version that wrote the parts\)\n$/,
      ],
      [
        'a single-run report',
        () => [join(tmp, 'single.json')],
        /^rmt-analyze: .*single\.json: not a shard part \(no "shard" field\): write the parts with --shard i\/n --json\n$/,
      ],
      [
        'overlapping parts',
        () => [two[0]!, edit(two[1]!, (d) => (d.shard.positions = d.shard.positions.map(() => 0)))],
        /^rmt-analyze: .*: layer '.*' overlaps another part \(position 0\)\n$/,
      ],
      [
        'a malformed shard field',
        () => [edit(two[0]!, (d) => (d.shard.positions = ['x'])), two[1]!],
        /^rmt-analyze: .*: malformed "shard\.positions"\n$/,
      ],
      ['not JSON', () => [join(tmp, 'garbage.json')], /^rmt-analyze: .*garbage\.json: not valid JSON \(/],
      ['no such file', () => [join(tmp, 'nope.json')], /^rmt-analyze: .*nope\.json: no such file or directory\n$/],
    ] as const)('%s', async (_what, files, message) => {
      const r = await runCliAsync(['merge', ...files(), '--json']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
    });

    it('a part carrying a failed layer: the merged report is printed, one stderr line names it, exit 2', async () => {
      const failing = edit(two[1]!, (d) => {
        const { id, model, name, kind, shape, dtype } = d.layers[0];
        d.layers[0] = {
          id,
          model,
          name,
          kind,
          shape,
          dtype,
          status: 'failed',
          failure: { code: 'solver', reason: 'x' },
        };
      });
      const r = await runCliAsync(['merge', two[0]!, failing, '--json']);
      expect(r.code).toBe(2);
      const doc = JSON.parse(r.stdout);
      const failed = doc.layers.filter((l: { status: string }) => l.status === 'failed');
      expect(failed).toHaveLength(1);
      expect(doc.summary.failed).toBe(1);
      expect(r.stderr.split('\n').filter(Boolean)).toEqual([
        expect.stringMatching(new RegExp(`^rmt-analyze: .*: layer '${failed[0].id}' failed \\(solver\\): x$`)),
      ]);
    });
  });

  it('a bad --shard is a usage error', async () => {
    const r = await runCliAsync([SMALL, '--shard', '3/2']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("rmt-analyze: --shard: expected i/n with 1 ≤ i ≤ n (e.g. 2/4), got '3/2'\n");
  });

  it('a shard in a non-JSON format notes that only JSON parts merge', async () => {
    const r = await runCliAsync([SMALL, '--shard', '1/2']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('rmt-analyze: note: only --json shard parts can be merged\n');
  });
});
