/**
 * GGUF loader: every decoded ggml type against gguf-py's own dequantization (the F64
 * safetensors twins written by scripts/fixtures/gguf.py), shapes (ne reversed), MoE stacks
 * read one expert at a time, kinds from llama.cpp's names, metadata, unsupported types listed
 * and skipped, and one specific FormatError for each kind of hostile header.
 */
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { FileSource } from '../../src/load/file.js';
import { openModel } from '../../src/load/index.js';
import { openSafetensors } from '../../src/load/safetensors.js';
import { blockDecoder, readBlocks } from '../../src/load/gguf/blocks.js';
import { ggmlType } from '../../src/load/gguf/ggml-types.js';
import { readHeader } from '../../src/load/gguf/header.js';
import { planLayers } from '../../src/matrices.js';
import type { LoadedModel } from '../../src/types.js';
import { buildGguf, GgufBytes, kv, VT, type GgufSpec } from '../../scripts/fuzz/gguf-build.js';
import { FIXTURES } from '../helpers.js';

const DIR = join(FIXTURES, 'gguf');
const tmp = mkdtempSync(join(tmpdir(), 'rmt-gguf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function withModel<T>(path: string, fn: (m: LoadedModel) => Promise<T>): Promise<T> {
  const m = await openModel(path);
  try {
    return await fn(m);
  } finally {
    await m.close();
  }
}

const byName = (m: LoadedModel) => new Map(m.tensors.map((t) => [t.name, t]));

/** max |a − b| / max |b| over the tensor. */
function relError(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let err = 0;
  let max = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    max = Math.max(max, Math.abs(b[i]!));
  }
  expect(max).toBeGreaterThan(0);
  return err / max;
}

/** Every tensor of `name`.gguf that has a twin equals gguf-py's values; returns the names compared. */
async function compareWithTwin(name: string): Promise<string[]> {
  const twin = await openSafetensors(join(DIR, `${name}.f64.safetensors`));
  try {
    return await withModel(join(DIR, `${name}.gguf`), async (m) => {
      const mine = byName(m);
      const compared: string[] = [];
      for (const ref of twin.tensors) {
        const t = mine.get(ref.name);
        expect(t, ref.name).toBeDefined();
        expect(t!.shape, ref.name).toEqual(ref.shape);
        expect(relError(await t!.read(), await ref.read()), `${ref.name} (${t!.dtype})`).toBeLessThan(1e-12);
        compared.push(`${ref.name}:${t!.dtype}`);
      }
      return compared;
    });
  } finally {
    await twin.close();
  }
}

describe('GGUF values equal gguf-py’s dequantization', () => {
  it('one tensor of every decoded type (random blocks and gguf-py’s own quantization)', async () => {
    const compared = await compareWithTwin('types');
    const types = new Set(compared.map((c) => c.split(':')[1]));
    for (const t of ['F32', 'F16', 'BF16', 'F64', 'Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q2_K', 'Q3_K', 'Q4_K'])
      expect(types.has(t), t).toBe(true);
    for (const t of ['Q5_K', 'Q6_K', 'IQ4_NL', 'IQ4_XS', 'MXFP4']) expect(types.has(t), t).toBe(true);
    expect(compared).toContain('Q8_0.quantized:Q8_0');
    expect(compared).toContain('MXFP4.quantized:MXFP4');
  });

  it('a model with real names, a MoE stack, version 2, alignment 64', async () => {
    expect(await compareWithTwin('model')).toHaveLength(13);
    expect(await compareWithTwin('v2')).toEqual(['blk.0.ffn_up.weight:Q8_0', 'blk.0.ffn_down.weight:F16']);
    expect(await compareWithTwin('align64')).toEqual(['a.weight:F32', 'b.weight:Q5_1', 'c.weight:F16']);
  });

  it('decoding in chunks of a few blocks gives the same values', async () => {
    const source = await FileSource.open(join(DIR, 'types.gguf'));
    try {
      await withModel(join(DIR, 'types.gguf'), async (m) => {
        for (const name of ['Q6_K.random', 'Q4_0.quantized']) {
          const t = byName(m).get(name)!;
          const type = ggmlType(t.dtype === 'Q6_K' ? 14 : 2)!;
          const start = Number(t.storageKey.split('@')[1]!.split('+')[0]);
          const count = t.shape.reduce((a, b) => a * b, 1);
          const small = await readBlocks(source, start, type, blockDecoder(t.dtype)!, count, name, 3 * type.typeSize);
          expect(Array.from(small)).toEqual(Array.from(await t.read()));
        }
      });
    } finally {
      await source.close();
    }
  });
});

describe('GGUF tensors as matrices', () => {
  it('ne is reversed into the row-major shape; kinds come from llama.cpp names', async () => {
    await withModel(join(DIR, 'model.gguf'), async (m) => {
      expect(m.format).toBe('gguf');
      const t = byName(m);
      // ggml ne = [256, 32] (in, out) is the matrix [32, 256]; attn_output is ne [32, 256].
      expect(t.get('blk.0.attn_q.weight')!.shape).toEqual([32, 256]);
      expect(t.get('blk.0.attn_output.weight')!.shape).toEqual([256, 32]);
      const kinds = Object.fromEntries(m.tensors.map((x) => [x.name, x.kindHint]));
      expect(kinds).toMatchObject({
        'token_embd.weight': 'embedding',
        'blk.0.attn_norm.weight': 'norm',
        'blk.0.attn_q.weight': 'dense',
        'blk.0.attn_q.bias': 'bias',
        'blk.0.attn_k.weight': 'dense',
        'blk.0.attn_v.weight': 'dense',
        'blk.0.attn_output.weight': 'dense',
        'blk.0.ffn_norm.weight': 'norm',
        'blk.0.ffn_up_exps.weight': 'dense',
        'blk.0.ffn_down_exps.weight': 'dense',
        'output_norm.weight': 'norm',
        'output.weight': 'dense',
      });
      expect(m.tensors.map((x) => x.dtype)).toEqual([
        'F16',
        'F32',
        'Q4_K',
        'F32',
        'F32',
        'Q6_K',
        'Q8_0',
        'F32',
        'Q8_0',
        'Q5_K',
        'Q4_0',
        'F32',
        'Q6_K',
      ]);
    });
  });

  it('a MoE stack ne = [in, out, experts] is one matrix per expert, each readable alone', async () => {
    await withModel(join(DIR, 'model.gguf'), async (m) => {
      for (const [name, experts, rows, cols] of [
        ['blk.0.ffn_up_exps.weight', 4, 16, 256],
        ['blk.0.ffn_down_exps.weight', 4, 64, 32],
      ] as const) {
        const t = byName(m).get(name)!;
        expect(t.shape).toEqual([experts, rows, cols]);
        const plans = planLayers(t);
        expect(plans.map((p) => p.idSuffix)).toEqual(['[0]', '[1]', '[2]', '[3]']);
        const all = await t.read();
        for (const p of plans) {
          expect(p.status).toBe('analyze');
          if (p.status !== 'analyze') continue;
          expect([p.rows, p.cols, p.block]).toEqual([rows, cols, expect.anything()]);
          const one = await t.readRange!(p.block!.first, p.block!.count);
          expect(Array.from(one)).toEqual(Array.from(p.extract(all, 0)));
        }
        // A range that is not whole blocks is cut out of the blocks that hold it.
        expect(Array.from(await t.readRange!(5, 70))).toEqual(Array.from(all.slice(5, 75)));
      }
    });
  });

  it('metadata: architecture, name (exact, hostile characters kept), file type by name or number', async () => {
    await withModel(join(DIR, 'model.gguf'), async (m) => {
      expect(m.metadata).toEqual({
        architecture: 'llama',
        name: 'tiny "gguf" test \u202e model',
        fileType: 'MOSTLY_Q4_K_M',
      });
    });
    await withModel(join(DIR, 'align64.gguf'), async (m) => expect(m.metadata?.fileType).toBe('99'));
    await withModel(join(DIR, 'v2.gguf'), async (m) =>
      expect(m.metadata).toEqual({ architecture: 'gpt2', name: 'version 2', fileType: 'MOSTLY_Q8_0' }),
    );
  });

  it('metadata values of every type; arrays (nested, of strings) are skipped, not materialised', async () => {
    const source = await FileSource.open(join(DIR, 'model.gguf'));
    try {
      const h = await readHeader(source);
      expect(h.version).toBe(3);
      const v = (k: string) => h.metadata.get(k);
      expect(v('test.uint8')).toEqual({ type: 'uint8', value: 200 });
      expect(v('test.int8')).toEqual({ type: 'int8', value: -100 });
      expect(v('test.uint16')).toEqual({ type: 'uint16', value: 60000 });
      expect(v('test.int16')).toEqual({ type: 'int16', value: -30000 });
      expect(v('test.uint32')).toEqual({ type: 'uint32', value: 4_000_000_000 });
      expect(v('test.int32')).toEqual({ type: 'int32', value: -2_000_000_000 });
      expect(v('test.float32')).toEqual({ type: 'float32', value: 1.5 });
      expect(v('test.bool')).toEqual({ type: 'bool', value: true });
      expect(v('test.string')).toEqual({ type: 'string', value: 'h\u00e9llo' });
      expect(v('test.uint64')).toEqual({ type: 'uint64', value: 2n ** 63n + 5n });
      expect(v('test.int64')).toEqual({ type: 'int64', value: -(2n ** 62n) });
      expect(v('test.float64')).toEqual({ type: 'float64', value: 2 ** -40 });
      expect(v('test.nested')).toEqual({ type: 'array', elementType: 'array', length: 2 });
      expect(v('test.bools')).toEqual({ type: 'array', elementType: 'bool', length: 3 });
      expect(v('test.f64s')).toEqual({ type: 'array', elementType: 'float64', length: 2 });
      expect(v('tokenizer.ggml.tokens')).toEqual({ type: 'array', elementType: 'string', length: 32 * 2 });
      expect(v('tokenizer.ggml.scores')).toEqual({ type: 'array', elementType: 'float32', length: 64 });
      expect(h.tensors).toHaveLength(13);
    } finally {
      await source.close();
    }
  });

  it('integer tensors are non-weights; unsupported block types are listed and skipped by name', async () => {
    await withModel(join(DIR, 'types.gguf'), async (m) => {
      expect(m.nonWeightTensors).toBe(2);
      expect(m.tensors.filter((t) => /^I\d+\./.test(t.name))).toEqual([]);
    });
    await withModel(join(DIR, 'unsupported.gguf'), async (m) => {
      const t = byName(m);
      expect(m.tensors.map((x) => [x.name, x.dtype])).toEqual([
        ['blk.0.attn_q.weight', 'IQ2_XXS'],
        ['blk.0.attn_k.weight', 'TQ2_0'],
        ['blk.0.attn_v.weight', 'OTHER'],
        ['blk.0.ffn_up.weight', 'F32'],
      ]);
      expect(planLayers(t.get('blk.0.attn_q.weight')!)).toMatchObject([
        { status: 'skipped', detail: { code: 'unsupported-quantization', type: 'IQ2_XXS' } },
      ]);
      expect(planLayers(t.get('blk.0.attn_k.weight')!)).toMatchObject([
        { status: 'skipped', detail: { code: 'unsupported-quantization', type: 'TQ2_0' } },
      ]);
      // NVFP4 (ggml type 40) has no DType of its own.
      expect(planLayers(t.get('blk.0.attn_v.weight')!)).toMatchObject([
        { status: 'skipped', detail: { code: 'unsupported-dtype' } },
      ]);
      expect(t.get('blk.0.attn_q.weight')!.byteLength).toBe(4 * 66);
      await expect(t.get('blk.0.attn_q.weight')!.read()).rejects.toThrow(/stored as IQ2_XXS/);
    });
  });

  it('a tokenizer larger than the first header window is skipped over correctly', async () => {
    const tokens = new GgufBytes().u32(VT.array).u32(VT.string).u64(80_000);
    for (let i = 0; i < 80_000; i++) tokens.str(`token-${i}-of-a-vocabulary`);
    const path = write(
      'big-tokenizer.gguf',
      buildGguf({
        kvs: [kv('tokenizer.ggml.tokens', VT.array, (b) => b.raw(tokens.bytes().subarray(4))), nameKv('after')],
        tensors: [{ name: 'w', ne: [4, 4], type: 0, offset: 0 }],
        dataBytes: 64,
      }),
    );
    await withModel(path, async (m) => {
      expect(m.metadata?.name).toBe('after');
      expect(m.tensors[0]!.shape).toEqual([4, 4]);
    });
  });
});

describe('a large GGUF file is never held whole', () => {
  it('a 4 GiB tensor (a sparse file) is listed from the header alone', async () => {
    const header = buildGguf({ tensors: [{ name: 'token_embd.weight', ne: [65536, 32768], type: 1, offset: 0 }] });
    const path = write('sparse.gguf', header);
    truncateSync(path, header.length + 2 ** 32);
    const started = Date.now();
    await withModel(path, async (m) => {
      expect(m.tensors[0]).toMatchObject({ shape: [32768, 65536], dtype: 'F16', byteLength: 2 ** 32 });
      expect(m.bytes).toBe(header.length + 2 ** 32);
    });
    expect(Date.now() - started).toBeLessThan(2000);
    rmSync(path);
  });
});

function write(name: string, bytes: Uint8Array): string {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  return path;
}

const nameKv = (s: string) => kv('general.name', VT.string, (b) => b.str(s));
const F32_4x4 = { name: 'w', ne: [4, 4], type: 0, offset: 0 };

/** The one-line error opening `bytes` gives (asserting it is an InputError, i.e. exit 2). */
async function openError(bytes: Uint8Array, name = 'bad.gguf'): Promise<string> {
  const path = write(name, bytes);
  const started = Date.now();
  try {
    const m = await openModel(path);
    await m.close();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(InputError);
    expect(Date.now() - started).toBeLessThan(2000);
    return (e as Error).message;
  }
  throw new Error(`${name} opened`);
}

const spec = (s: GgufSpec) => buildGguf({ tensors: [F32_4x4], dataBytes: 64, ...s });

describe('hostile GGUF headers: one specific FormatError each, fast, no large allocation', () => {
  it('truncated at every byte of a real header and at points in the data', async () => {
    const whole = readFileSync(join(DIR, 'v2.gguf'));
    const source = await FileSource.open(join(DIR, 'v2.gguf'));
    const headerEnd = (await readHeader(source)).headerEnd;
    await source.close();
    const cuts = [...Array.from({ length: headerEnd }, (_, i) => i), headerEnd + 40, whole.length - 1];
    for (const cut of cuts) {
      const msg = await openError(whole.subarray(0, cut), 'cut.gguf');
      expect(msg, `cut at ${cut}`).toMatch(
        /file is empty|ends inside|past the end of the file|bytes long but the file ends|the file has room for/,
      );
    }
  });

  it.each([
    [
      'tensor count 2^62',
      spec({ tensorCount: 2n ** 62n }),
      /tensor count is 4611686018427387904, more than the \d+ the file has room for/,
    ],
    [
      'metadata count 2^62',
      spec({ kvCount: 2n ** 62n }),
      /metadata count is 4611686018427387904, more than the \d+ the file has room for/,
    ],
    [
      'a key of 2^40 bytes',
      spec({ kvs: [new GgufBytes().str('k', 2n ** 40n).bytes()] }),
      /metadata key 0 is 1099511627776 bytes long, above the cap/,
    ],
    [
      'a string value of 2^40 bytes',
      spec({ kvs: [kv('general.name', VT.string, (b) => b.str('x', 2n ** 40n))] }),
      /metadata 'general.name' is 1099511627776 bytes long, above the cap/,
    ],
    [
      'a tensor name of 2^40 bytes',
      new GgufBytes()
        .u32(0x46554747)
        .u32(3)
        .u64(1)
        .u64(0)
        .str('w', 2n ** 40n)
        .zeros(64)
        .bytes(),
      /the name of tensor 0 is 1099511627776 bytes long, above the cap/,
    ],
    [
      'a string longer than the file',
      spec({ kvs: [kv('general.name', VT.string, (b) => b.str('x', 5000))] }),
      /'general.name' is 5000 bytes long but the file ends/,
    ],
    [
      'an array of 2^62 strings',
      spec({ kvs: [kv('t', VT.array, (b) => b.u32(VT.string).u64(2n ** 62n))] }),
      /array of 4611686018427387904 string values, more than the \d+ bytes left/,
    ],
    [
      'an array of 2^62 uint32',
      spec({ kvs: [kv('t', VT.array, (b) => b.u32(VT.uint32).u64(2n ** 62n))] }),
      /array of 4611686018427387904 uint32 values/,
    ],
    [
      'arrays nested 9 deep',
      spec({
        kvs: [
          kv('t', VT.array, (b) => {
            for (let i = 0; i < 9; i++) b.u32(VT.array).u64(1);
            b.u32(VT.uint8).u64(1).u8(1);
          }),
        ],
      }),
      /metadata 't' nests arrays deeper than 8 levels/,
    ],
    ['an unknown value type', spec({ kvs: [kv('t', 13, () => {})] }), /metadata 't' has an unknown value type 13/],
    [
      'an unknown array element type',
      spec({ kvs: [kv('t', VT.array, (b) => b.u32(77).u64(1))] }),
      /an array in metadata 't' has an unknown value type 77/,
    ],
    ['an empty key', spec({ kvs: [kv('', VT.uint8, (b) => b.u8(1))] }), /metadata key 0 is empty/],
    [
      'a key that is not UTF-8',
      spec({ kvs: [kv('x', VT.uint8, (b) => b.u8(1))].map((k) => k.map((x, i) => (i === 8 ? 0xff : x))) }),
      /metadata key 0 is not valid UTF-8/,
    ],
    [
      'a duplicate key',
      spec({ kvs: [kv('a', VT.uint8, (b) => b.u8(1)), kv('a', VT.uint8, (b) => b.u8(2))] }),
      /metadata key 'a' appears twice/,
    ],
    [
      'a duplicate tensor name',
      spec({ tensors: [F32_4x4, { ...F32_4x4, offset: 64 }], dataBytes: 128 }),
      /tensor name 'w' appears twice/,
    ],
    ['7 dimensions', spec({ tensors: [{ ...F32_4x4, ne: [1, 1, 1, 1, 1, 1, 1] }] }), /'w' has 7 dimensions, GGUF/],
    [
      'dimensions whose product overflows',
      spec({ tensors: [{ ...F32_4x4, ne: [2 ** 32, 2 ** 32] }] }),
      /'w' has too many elements/,
    ],
    ['a dimension of 2^63', spec({ tensors: [{ ...F32_4x4, ne: [2n ** 63n, 1] }] }), /'w' has a dimension of/],
    ['an offset of 2^63', spec({ tensors: [{ ...F32_4x4, offset: 2n ** 63n }] }), /'w' has an offset of/],
    ['a misaligned offset', spec({ tensors: [{ ...F32_4x4, offset: 4 }] }), /data offset 4, not a multiple of .* 32/],
    [
      'data past the end of the file',
      spec({ tensors: [{ ...F32_4x4, ne: [64, 64] }] }),
      /'w' \(bytes \d+–\d+\) extends past the end of the file/,
    ],
    [
      'overlapping tensors',
      spec({
        tensors: [
          { ...F32_4x4, ne: [16, 2] },
          { ...F32_4x4, name: 'v', offset: 96 },
        ],
        dataBytes: 256,
      }),
      /tensors 'w' and 'v' overlap/,
    ],
    [
      'rows that are not whole blocks',
      spec({ tensors: [{ ...F32_4x4, ne: [100, 1], type: 12 }], dataBytes: 4096 }),
      /rows of 100 elements, not a whole number of Q4_K blocks of 256/,
    ],
    [
      'alignment 48',
      spec({ kvs: [kv('general.alignment', VT.uint32, (b) => b.u32(48))] }),
      /general.alignment 48 is not a power of two/,
    ],
    [
      'alignment 0',
      spec({ kvs: [kv('general.alignment', VT.uint32, (b) => b.u32(0))] }),
      /general.alignment 0 is not a power of two/,
    ],
    [
      'alignment as a string',
      spec({ kvs: [kv('general.alignment', VT.string, (b) => b.str('32'))] }),
      /general.alignment is a string, not a uint32/,
    ],
    [
      'alignment 2^30 (data section past the end)',
      spec({ kvs: [kv('general.alignment', VT.uint32, (b) => b.u32(2 ** 30))] }),
      /data section would start at byte 1073741824, past the end/,
    ],
    ['version 1', spec({ version: 1 }), /: GGUF version 1 is not supported$/],
    ['version 4', spec({ version: 4 }), /GGUF version 4 is not supported \(only 2 and 3\)/],
    ['version 0', spec({ version: 0 }), /GGUF version 0 is not supported/],
    ['big-endian', spec({ version: 0x03000000 }), /big-endian GGUF \(version 3\) is not supported/],
    ['a bad magic named .gguf', spec({ magic: 0x46554748 }), /not a GGUF file/],
  ])('%s', async (_label, bytes, cause) => {
    expect(await openError(bytes)).toMatch(cause);
  });

  it('zero-sized and unknown-type tensors are listed, not refused', async () => {
    const path = write(
      'odd.gguf',
      spec({
        tensors: [
          F32_4x4,
          { name: 'empty', ne: [0, 4], type: 0, offset: 64 },
          { name: 'u', ne: [8], type: 99, offset: 64 },
        ],
        dataBytes: 96,
      }),
    );
    await withModel(path, async (m) => {
      const t = byName(m);
      expect(planLayers(t.get('empty')!)).toMatchObject([{ status: 'skipped', detail: { code: 'empty' } }]);
      expect(t.get('u')!.dtype).toBe('OTHER');
      expect(t.get('u')!.byteLength).toBe(32);
      await expect(t.get('u')!.read()).rejects.toThrow(/unknown type 99/);
      expect(Array.from(await t.get('w')!.read())).toEqual(new Array(16).fill(0));
    });
  });

  it('a file without the magic but named .gguf is read as GGUF and refused specifically', async () => {
    expect(await openError(new TextEncoder().encode('hello, not a model at all'), 'x.gguf')).toMatch(/not a GGUF file/);
  });
});

describe('GGUF rounding noise (TensorRef.stepNoise, issue 16)', () => {
  /** Σ over sub-blocks of length L of L·(smallest gap between its distinct values)². */
  function minGapSquares(v: Float64Array, L: number): number {
    let s = 0;
    for (let b = 0; b < v.length; b += L) {
      const x = Array.from(v.subarray(b, b + L)).sort((p, q) => p - q);
      let g = Infinity;
      for (let i = 1; i < x.length; i++) if (x[i]! > x[i - 1]! && x[i]! - x[i - 1]! < g) g = x[i]! - x[i - 1]!;
      if (Number.isFinite(g)) s += L * g * g;
    }
    return s;
  }

  it('is step²/12 of each (sub-)block’s own grid: its decoded values are that step apart', async () => {
    await withModel(join(DIR, 'types.gguf'), async (m) => {
      const seen = new Set<string>();
      for (const t of m.tensors) {
        if (t.stepNoise === undefined) continue;
        seen.add(t.dtype);
        const v = await t.read();
        const reported = (await t.stepNoise()) * 12 * v.length;
        const sub = ['Q2_K', 'Q3_K', 'Q6_K'].includes(t.dtype) ? 16 : 32;
        const gaps = minGapSquares(v, sub);
        if (['IQ4_NL', 'IQ4_XS', 'MXFP4'].includes(t.dtype)) {
          // Non-uniform levels: each entry counts the mean gap around its level, never less than the smallest.
          expect(reported, t.name).toBeGreaterThan(gaps);
          expect(reported, t.name).toBeLessThan(6 * gaps);
        } else if (t.dtype === 'Q6_K' || t.dtype === 'Q8_0') {
          // 64 or 255 levels for 16 or 32 values: neighbours may skip a level, so gaps ≥ step.
          expect(reported / gaps, t.name).toBeLessThanOrEqual(1 + 1e-12);
          expect(reported / gaps, t.name).toBeGreaterThan(0.5);
        } else expect(reported / gaps, t.name).toBeCloseTo(1, 6); // decoded values are rounded to float32
      }
      for (const d of ['Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K'])
        expect(seen.has(d), d).toBe(true);
      for (const d of ['IQ4_NL', 'IQ4_XS', 'MXFP4']) expect(seen.has(d), d).toBe(true);
    });
  });

  it('summed while read() decodes, equal to its own pass over the blocks before any read', async () => {
    const before = await withModel(join(DIR, 'types.gguf'), async (m) =>
      Promise.all(m.tensors.filter((t) => t.stepNoise).map((t) => t.stepNoise!())),
    );
    const after = await withModel(join(DIR, 'types.gguf'), async (m) => {
      const out: number[] = [];
      for (const t of m.tensors.filter((x) => x.stepNoise)) {
        await t.read();
        out.push(await t.stepNoise!());
      }
      return out;
    });
    expect(before.length).toBeGreaterThan(10);
    expect(after).toEqual(before);
  });

  it('float tensors have none (their rounding is relative, UNIT_ROUNDOFF)', async () => {
    await withModel(join(DIR, 'types.gguf'), async (m) => {
      for (const t of m.tensors)
        if (['F32', 'F16', 'BF16', 'F64'].includes(t.dtype)) expect(t.stepNoise).toBeUndefined();
    });
  });
});
