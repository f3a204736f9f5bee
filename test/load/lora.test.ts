/**
 * PEFT LoRA adapters (issue 13, item 8): pairing, scaling (r, lora_alpha, rank_pattern,
 * alpha_pattern, rsLoRA), orientation (fan_in_fan_out, embeddings), the low-rank spectrum
 * against the dense one, `--base` (W + ΔW exact), and bad adapters.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openModel, openModelWithBase } from '../../src/load/index.js';
import { openSafetensors } from '../../src/load/safetensors.js';
import { analyze } from '../../src/analyze.js';
import { accurateSquaredSingularValues } from '../../src/spectrum/singular-values.js';
import { lowRankEigenvalues } from '../../src/spectrum/low-rank.js';
import { parseLoraConfig, moduleScaling } from '../../src/load/lora/config.js';
import type { LoadedModel, TensorRef } from '../../src/types.js';
import type { AnalyzedLayer } from '../../src/schema/index.js';
import { GENERATED } from '../helpers.js';
import { encodeSafetensors } from '../../scripts/fixtures/safetensors-writer.js';
import { f32Bytes, tensorV2, torchZip, type Py } from '../../scripts/fixtures/pickle-writer.js';

const LORA = join(GENERATED, 'lora');
const tmp = mkdtempSync(join(tmpdir(), 'rmt-lora-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function tensorsOf(path: string): Promise<Map<string, Float64Array>> {
  const m = await openSafetensors(path);
  try {
    const out = new Map<string, Float64Array>();
    for (const t of m.tensors) out.set(t.name, await t.read());
    return out;
  } finally {
    await m.close();
  }
}

/** s·B·A by the definition, B out×r and A r×cols. */
function product(b: Float64Array, a: Float64Array, out: number, r: number, cols: number, s: number): Float64Array {
  const w = new Float64Array(out * cols);
  for (let i = 0; i < out; i++)
    for (let j = 0; j < cols; j++) {
      let sum = 0;
      for (let k = 0; k < r; k++) sum += b[i * r + k]! * a[k * cols + j]!;
      w[i * cols + j] = s * sum;
    }
  return w;
}

function transpose(m: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(m.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j]!;
  return t;
}

function maxAbsDiff(x: Float64Array, y: Float64Array): number {
  expect(x.length).toBe(y.length);
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i]! - y[i]!));
  return d;
}

async function withModel<T>(open: Promise<LoadedModel>, f: (m: LoadedModel) => Promise<T>): Promise<T> {
  const m = await open;
  try {
    return await f(m);
  } finally {
    await m.close();
  }
}

const byName = (m: LoadedModel, name: string): TensorRef => {
  const t = m.tensors.find((x) => x.name === name);
  if (t === undefined) throw new Error(`no tensor ${name}`);
  return t;
};

describe('a PEFT adapter folder', () => {
  it('lists one lora layer per module, named by its path, in the base weight orientation', async () => {
    await withModel(openModel(join(LORA, 'adapter')), async (m) => {
      expect(m.format).toBe('lora');
      expect(m.metadata).toEqual({ name: 'rmt-analyze/tiny-llama' });
      const shapes = Object.fromEntries(m.tensors.map((t) => [t.name, [t.kindHint, t.shape, t.lowRank?.rank]]));
      expect(shapes).toEqual({
        'model.embed_tokens': ['lora', [100, 48], 8],
        'model.conv': ['lora', [16, 72], 8],
        'model.layers.0.self_attn.q_proj': ['lora', [48, 48], 8],
        'model.layers.0.self_attn.v_proj': ['lora', [32, 48], 8],
        'model.layers.1.self_attn.q_proj': ['lora', [48, 48], 8],
        'model.layers.1.self_attn.v_proj': ['lora', [32, 48], 4],
      });
    });
  });

  it('ΔW = s·B·A with s from lora_alpha/r, alpha_pattern and rank_pattern (exact to 1e-15)', async () => {
    const raw = await tensorsOf(join(LORA, 'adapter', 'adapter_model.safetensors'));
    const P = 'base_model.model.';
    await withModel(openModel(join(LORA, 'adapter')), async (m) => {
      const cases: [string, number, number, number, number][] = [
        // module, out, r, cols, scale
        ['model.layers.0.self_attn.q_proj', 48, 8, 48, 32 / 8], // alpha_pattern 32
        ['model.layers.1.self_attn.q_proj', 48, 8, 48, 16 / 8],
        ['model.layers.1.self_attn.v_proj', 32, 4, 48, 16 / 4], // rank_pattern 4
        ['model.conv', 16, 8, 72, 16 / 8],
      ];
      for (const [module, out, r, cols, s] of cases) {
        const a = raw.get(`${P}${module}.lora_A.weight`)!;
        const b = raw.get(`${P}${module}.lora_B.weight`)!;
        const want = product(b, a, out, r, cols, s);
        const got = await byName(m, module).read();
        expect(maxAbsDiff(got, want), module).toBeLessThan(1e-15 * Math.max(...want.map(Math.abs)) * r);
      }
      // Embedding: (s·B·A)ᵀ, vocab × dim.
      const a = raw.get(`${P}model.embed_tokens.lora_embedding_A`)!;
      const b = raw.get(`${P}model.embed_tokens.lora_embedding_B`)!;
      const want = transpose(product(b, a, 48, 8, 100, 2), 48, 100);
      expect(maxAbsDiff(await byName(m, 'model.embed_tokens').read(), want)).toBeLessThan(1e-14);
    });
  });

  it('fan_in_fan_out stores ΔW transposed; rsLoRA scales by lora_alpha/√r', async () => {
    const raw = await tensorsOf(join(LORA, 'adapter-fifo', 'adapter_model.safetensors'));
    await withModel(openModel(join(LORA, 'adapter-fifo')), async (m) => {
      const t = byName(m, 'transformer.h.1.attn.c_attn');
      expect(t.shape).toEqual([48, 144]);
      expect(t.dtype).toBe('F16');
      const P = 'base_model.model.transformer.h.1.attn.c_attn';
      const want = transpose(
        product(raw.get(`${P}.lora_B.weight`)!, raw.get(`${P}.lora_A.weight`)!, 144, 16, 48, 32 / 4),
        144,
        48,
      );
      expect(maxAbsDiff(await t.read(), want)).toBeLessThan(1e-14);
    });
  });

  it('the r non-zero eigenvalues from the factors equal the dense spectrum’s top r (1e-12·λ_max)', async () => {
    for (const dir of ['adapter', 'adapter-fifo']) {
      await withModel(openModel(join(LORA, dir)), async (m) => {
        for (const t of m.tensors) {
          const [rows, cols] = t.shape as [number, number];
          const dense = accurateSquaredSingularValues(await t.read(), rows, cols);
          const low = lowRankEigenvalues(await t.lowRank!.factors());
          const r = t.lowRank!.rank;
          expect(low.length).toBe(r);
          const top = dense.slice(dense.length - r);
          const lmax = top[r - 1]!;
          expect(maxAbsDiff(low, top) / lmax, t.name).toBeLessThan(1e-12);
          // The rest of the dense spectrum is zero to rounding: rank r by construction.
          expect(dense[dense.length - r - 1]! / lmax).toBeLessThan(1e-20);
        }
      });
    }
  });

  it('adapter_model.bin (torch.save of the same tensors) gives the same ΔW as the safetensors', async () => {
    const raw = await tensorsOf(join(LORA, 'adapter', 'adapter_model.safetensors'));
    const entries: [Py, Py][] = [];
    const storages: Record<string, Uint8Array> = {};
    let key = 0;
    await withModel(openSafetensors(join(LORA, 'adapter', 'adapter_model.safetensors')), async (m) => {
      for (const t of m.tensors) {
        const values = Array.from(raw.get(t.name)!);
        const stride = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
        storages[String(key)] = f32Bytes(values);
        entries.push([t.name, tensorV2('FloatStorage', String(key++), values.length, 0, t.shape, stride)]);
      }
    });
    const dir = join(tmp, 'bin-adapter');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(LORA, 'adapter', 'adapter_config.json'), join(dir, 'adapter_config.json'));
    writeFileSync(join(dir, 'adapter_model.bin'), torchZip({ dict: entries }, storages));
    await withModel(openModel(join(LORA, 'adapter')), async (st) => {
      await withModel(openModel(dir), async (bin) => {
        expect(bin.tensors.map((t) => t.name)).toEqual(st.tensors.map((t) => t.name));
        for (const t of st.tensors) expect(maxAbsDiff(await byName(bin, t.name).read(), await t.read())).toBe(0);
      });
    });
  });

  it('adapter_config.json or adapter_model.safetensors given directly open the same adapter', async () => {
    for (const file of ['adapter_config.json', 'adapter_model.safetensors']) {
      await withModel(openModel(join(LORA, 'adapter', file)), async (m) => {
        expect(m.format).toBe('lora');
        expect(m.tensors).toHaveLength(6);
      });
    }
  });
});

describe('analysis of an adapter', () => {
  it('analyses each module from its r eigenvalues: no MP fit, never rank-collapse', async () => {
    const report = await analyze([join(LORA, 'adapter')]);
    const layers = report.layers as AnalyzedLayer[];
    expect(layers.map((l) => [l.id, l.status, l.kind, l.numEvals])).toEqual([
      ['model.embed_tokens', 'analyzed', 'lora', 8],
      ['model.conv', 'analyzed', 'lora', 8],
      ['model.layers.0.self_attn.q_proj', 'analyzed', 'lora', 8],
      ['model.layers.0.self_attn.v_proj', 'analyzed', 'lora', 8],
      ['model.layers.1.self_attn.q_proj', 'analyzed', 'lora', 8],
      ['model.layers.1.self_attn.v_proj', 'analyzed', 'lora', 4],
    ]);
    for (const l of layers) {
      expect(l.mp).toMatchObject({ status: 'failed', code: 'low-rank' });
      // Random Gaussian factors: their spread is within what random factors give.
      expect(l.phase).toMatchObject({ name: 'random-like', rule: 'low-rank-random' });
      expect(l.phase.reason).toMatch(/^rank \d+ by construction \(LoRA\)/);
      expect(l.metrics.rankLoss).toBe(0);
    }
    expect(report.models[0]).toMatchObject({ format: 'lora', metadata: { name: 'rmt-analyze/tiny-llama' } });
  });

  it('a trained-like update (decaying B) is beyond random factors and heavy-tailed', async () => {
    const report = await analyze([join(LORA, 'adapter-fifo')]);
    for (const l of report.layers as AnalyzedLayer[]) {
      expect(l.phase.rule).toBe('low-rank-power-law');
      expect(l.phase.evidence.lowRank!.rank).toBe(16);
      expect(l.phase.evidence.lambdaMax / l.phase.evidence.lowRank!.lambdaMin).toBeGreaterThan(
        l.phase.evidence.lowRank!.randomSpread!,
      );
    }
  });

  it('--base adds W and W + ΔW per module; W + ΔW is exact', async () => {
    await withModel(openModelWithBase(join(LORA, 'adapter'), join(LORA, 'base.safetensors')), async (m) => {
      expect(m.tensors.map((t) => t.name).slice(0, 6)).toEqual([
        'model.embed_tokens',
        'model.embed_tokens.weight',
        'model.embed_tokens.weight+lora',
        'model.conv',
        'model.conv.weight',
        'model.conv.weight+lora',
      ]);
      for (const module of ['model.conv', 'model.embed_tokens', 'model.layers.1.self_attn.v_proj']) {
        const w = await byName(m, `${module}.weight`).read();
        const d = await byName(m, module).read();
        const merged = await byName(m, `${module}.weight+lora`).read();
        const sum = w.map((x, i) => x + d[i]!);
        expect(maxAbsDiff(merged, sum), module).toBe(0);
      }
      expect(byName(m, 'model.conv.weight+lora').shape).toEqual([16, 8, 3, 3]);
    });
    const report = await analyze([join(LORA, 'adapter')], { base: join(LORA, 'base.safetensors') });
    expect(report.layers).toHaveLength(18);
    const conv = report.layers.find((l) => l.id === 'model.conv.weight+lora')!;
    expect(conv).toMatchObject({ status: 'analyzed', kind: 'conv2d', slices: 9 });
  });

  it('--base on a model that is not an adapter is a usage error', async () => {
    await expect(openModelWithBase(join(LORA, 'base.safetensors'), join(LORA, 'base.safetensors'))).rejects.toThrow(
      /--base applies to LoRA adapters/,
    );
  });
});

describe('config and scaling', () => {
  it('reads r, lora_alpha, rsLoRA and patterns; patterns match module paths literally', () => {
    const c = parseLoraConfig(
      JSON.stringify({ r: 16, lora_alpha: 8, use_rslora: true, rank_pattern: { 'h.1.q': 4 }, alpha_pattern: {} }),
    );
    expect(moduleScaling(c, 'model.h.1.q')).toEqual({ rank: 4, scale: 8 / 2 });
    expect(moduleScaling(c, 'model.h.11.q')).toEqual({ rank: 16, scale: 8 / 4 });
    expect(moduleScaling(c, 'model.xh.1.q')).toEqual({ rank: 16, scale: 2 });
    // Regex metacharacters are not interpreted: no regex engine runs on file text.
    const r = parseLoraConfig(JSON.stringify({ r: 8, lora_alpha: 8, rank_pattern: { '(a+)+$': 2 } }));
    expect(moduleScaling(r, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab').rank).toBe(8);
  });

  it.each([
    ['{', /not valid JSON/],
    ['[]', /not a JSON object/],
    ['{"peft_type":"IA3"}', /peft_type IA3 is not supported/],
    ['{"r":-1}', /r is -1, not a positive number/],
    ['{"lora_alpha":"16"}', /lora_alpha is "16"/],
    ['{"use_rslora":"yes"}', /use_rslora is not true or false/],
    ['{"rank_pattern":[1]}', /rank_pattern is not an object/],
  ])('refuses %s', (text, message) => {
    expect(() => parseLoraConfig(text)).toThrow(message);
  });
});

describe('bad adapters', () => {
  const adapter = (name: string, config: object, tensors: { name: string; shape: number[] }[]) => {
    const dir = join(tmp, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify(config));
    const encoded = tensors.map((t) => ({
      ...t,
      dtype: 'F32' as const,
      values: new Float64Array(t.shape.reduce((a, b) => a * b, 1)).fill(0.5),
    }));
    writeFileSync(join(dir, 'adapter_model.safetensors'), encodeSafetensors(encoded));
    return dir;
  };

  it.each([
    [
      'unpaired',
      [{ name: 'base_model.model.x.lora_A.weight', shape: [4, 8] }],
      /'base_model.model.x.lora_A.weight' has no lora_B to pair with/,
    ],
    [
      'mismatch',
      [
        { name: 'base_model.model.x.lora_A.weight', shape: [4, 8] },
        { name: 'base_model.model.x.lora_B.weight', shape: [8, 3] },
      ],
      /do not multiply/,
    ],
    [
      'rank',
      [
        { name: 'base_model.model.x.lora_A.weight', shape: [2, 8] },
        { name: 'base_model.model.x.lora_B.weight', shape: [8, 2] },
      ],
      /has rank 2 but adapter_config.json says r = 4/,
    ],
    ['none', [{ name: 'w', shape: [4, 4] }], /holds no lora_A\/lora_B pairs/],
  ])('%s: one clear error', async (name, tensors, message) => {
    await expect(openModel(adapter(name, { r: 4, lora_alpha: 8 }, tensors))).rejects.toThrow(message);
  });

  it('a config without weights, or weights without a config, says what is missing', async () => {
    const dir = join(tmp, 'config-only');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'adapter_config.json'), '{"r": 4}');
    await expect(openModel(dir)).rejects.toThrow(/without adapter_model.safetensors or adapter_model.bin/);
    const lone = join(tmp, 'weights-only');
    mkdirSync(lone, { recursive: true });
    copyFileSync(join(LORA, 'adapter', 'adapter_model.safetensors'), join(lone, 'adapter_model.safetensors'));
    await expect(openModel(join(lone, 'adapter_model.safetensors'))).rejects.toThrow(/adapter_config.json/);
  });

  it('--base without the adapted weight says so (stderr note), and keeps the other layers', async () => {
    await withModel(openModelWithBase(join(LORA, 'adapter-fifo'), join(LORA, 'base.safetensors')), async (m) => {
      expect(m.tensors).toHaveLength(2);
      expect(m.notes).toEqual([
        expect.stringMatching(/no weight for module 'transformer.h.0.attn.c_attn' in the base model/),
        expect.stringMatching(/no weight for module 'transformer.h.1.attn.c_attn' in the base model/),
      ]);
    });
  });
});
