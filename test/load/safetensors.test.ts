/**
 * safetensors loader: exact values for every widened dtype, sharded indexes, HF directories,
 * and one-line errors for malformed headers.
 */
import { mkdtempSync, writeFileSync, rmSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openModel } from '../../src/load/index.js';
import { InputError } from '../../src/errors.js';
import { GENERATED } from '../helpers.js';
import { encodeSafetensors } from '../../scripts/fixtures/safetensors-writer.js';
import { signedPermutedDiagonal } from '../../scripts/fixtures/seeded.js';
import { convKernel, DENSE_SV } from '../../scripts/fixtures/safetensors.js';

const ST = join(GENERATED, 'safetensors');
const tmp = mkdtempSync(join(tmpdir(), 'rmt-st-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('safetensors fixtures read back exactly', () => {
  it('F32, F16, BF16 and F64 widen to the exact stored values', async () => {
    const m = await openModel(join(ST, 'dtypes.safetensors'));
    try {
      expect(m.format).toBe('safetensors');
      const byName = new Map(m.tensors.map((t) => [t.name, t]));
      for (const [name, seed, rows, cols] of [
        ['dense.f32.weight', 1, 12, 10],
        ['dense.f16.weight', 2, 12, 10],
        ['dense.bf16.weight', 3, 12, 10],
        ['dense.f64.weight', 4, 10, 12],
      ] as const) {
        const t = byName.get(name)!;
        expect(t.shape).toEqual([rows, cols]);
        expect(Array.from(await t.read())).toEqual(Array.from(signedPermutedDiagonal(rows, cols, DENSE_SV, seed)));
      }
      expect(byName.get('dense.f16.weight')!.dtype).toBe('F16');
      expect(byName.get('dense.bf16.weight')!.dtype).toBe('BF16');
      expect(Array.from(await byName.get('conv.weight')!.read())).toEqual(Array.from(convKernel(8, 4, 3, 3, 10)));
      expect(Array.from(await byName.get('dense.f32.bias')!.read())).toEqual(
        Array.from({ length: 12 }, (_, i) => i / 4),
      );
      // The I64 position ids are not a weight: counted, not listed.
      expect(byName.has('position_ids')).toBe(false);
      expect(m.nonWeightTensors).toBe(1);
      expect(m.tensors.map((t) => t.name)).toEqual([
        'dense.f32.weight',
        'dense.f16.weight',
        'dense.bf16.weight',
        'dense.f64.weight',
        'dense.f32.bias',
        'ln_f.weight',
        'conv.weight',
        'embed_tokens.weight',
        'tiny.weight',
      ]);
    } finally {
      await m.close();
    }
  });

  it('a sharded index opens every shard, in order', async () => {
    const m = await openModel(join(ST, 'sharded', 'model.safetensors.index.json'));
    try {
      expect(m.tensors.map((t) => t.name)).toEqual([
        'layers.0.weight',
        'layers.1.weight',
        'layers.2.weight',
        'layers.2.bias',
      ]);
      expect(m.tensors[2]!.dtype).toBe('BF16');
      expect(Array.from(await m.tensors[2]!.read())).toEqual(Array.from(signedPermutedDiagonal(12, 10, DENSE_SV, 13)));
      expect(m.tensors[0]!.file).toMatch(/model-00001-of-00002\.safetensors$/);
      expect(m.tensors[3]!.file).toMatch(/model-00002-of-00002\.safetensors$/);
    } finally {
      await m.close();
    }
  });

  it('a Hugging Face directory is opened through its weights file', async () => {
    const m = await openModel(join(ST, 'hf-model'));
    try {
      expect(m.path).toBe(join(ST, 'hf-model'));
      expect(m.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([
        ['model.layers.0.mlp.up_proj.weight', 'F32', [12, 10]],
        ['lm_head.weight', 'F16', [16, 10]],
      ]);
    } finally {
      await m.close();
    }
  });

  it('a directory whose index is present prefers the index', async () => {
    const m = await openModel(join(ST, 'sharded'));
    try {
      expect(m.tensors).toHaveLength(4);
    } finally {
      await m.close();
    }
  });
});

/** Writes a file into the temp dir and returns its path. */
function file(name: string, bytes: Uint8Array | string): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}

/** A safetensors file from a raw header object and data length. */
function rawSafetensors(header: unknown, dataBytes: number, headerLenOverride?: bigint): Uint8Array {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, headerLenOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

async function openError(path: string): Promise<string> {
  try {
    const m = await openModel(path);
    await m.close();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error(`${path} opened without error`);
}

describe('malformed safetensors give one-line errors naming the file', () => {
  const good = { w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } };
  const cases: [string, Uint8Array | string, RegExp][] = [
    ['short.safetensors', new Uint8Array([1, 2, 3]), /too short for a safetensors header/],
    ['huge-header.safetensors', rawSafetensors(good, 16, 200_000_000n), /above the 100000000-byte cap/],
    ['past-end-header.safetensors', rawSafetensors(good, 16, 5000n), /larger than the file .*truncated/],
    ['not-json.safetensors', rawSafetensors('{"w": nope}', 0), /not valid UTF-8 JSON/],
    ['array.safetensors', rawSafetensors([1, 2], 0), /not a JSON object/],
    ['entry-type.safetensors', rawSafetensors({ w: 5 }, 0), /tensor 'w': header entry is not an object/],
    [
      'dtype.safetensors',
      rawSafetensors({ w: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, 4),
      /unknown dtype 'F33'/,
    ],
    [
      'shape-type.safetensors',
      rawSafetensors({ w: { dtype: 'F32', shape: '2x2', data_offsets: [0, 16] } }, 16),
      /shape is missing or not an array/,
    ],
    [
      'shape-neg.safetensors',
      rawSafetensors({ w: { dtype: 'F32', shape: [-2, 2], data_offsets: [0, 16] } }, 16),
      /invalid dimension -2/,
    ],
    [
      'neg-offset.safetensors',
      rawSafetensors({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [-16, 0] } }, 16),
      /data_offsets are negative/,
    ],
    [
      'reversed.safetensors',
      rawSafetensors({ w: { dtype: 'F32', shape: [0], data_offsets: [16, 0] } }, 16),
      /end 0 is before begin 16/,
    ],
    [
      'size-mismatch.safetensors',
      rawSafetensors({ w: { dtype: 'F32', shape: [3, 2], data_offsets: [0, 16] } }, 16),
      /needs 24 bytes but data_offsets span 16/,
    ],
    [
      'overlap.safetensors',
      rawSafetensors(
        {
          a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
          b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
        },
        16,
      ),
      /overlaps/,
    ],
    [
      'hole.safetensors',
      rawSafetensors({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, 16),
      /leaving a hole/,
    ],
    [
      'out-of-range.safetensors',
      rawSafetensors({ w: { dtype: 'F32', shape: [8], data_offsets: [0, 32] } }, 16),
      /points past the end of the file/,
    ],
    [
      'trailing.safetensors',
      rawSafetensors({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 16),
      /indexes 8 data bytes but the file has 16/,
    ],
    [
      'huge-dims.safetensors',
      rawSafetensors({ w: { dtype: 'F32', shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 64] } }, 64),
      /too many elements/,
    ],
    ['meta.safetensors', rawSafetensors({ __metadata__: [1], ...good }, 16), /__metadata__ is not an object/],
  ];
  for (const [name, bytes, message] of cases) {
    it(name, async () => {
      const path = file(name, bytes);
      const msg = await openError(path);
      expect(msg.startsWith(`${path}: `)).toBe(true);
      expect(msg).toMatch(message);
      expect(msg).not.toContain('\n');
    });
  }

  it('truncated tensor data in a valid header is caught by the header check', async () => {
    const full = encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [4, 4], values: new Array(16).fill(1) }]);
    const msg = await openError(file('truncated.safetensors', full.subarray(0, full.length - 10)));
    expect(msg).toMatch(/points past the end of the file/);
  });

  it('an index whose shard escapes the folder is refused before reading', async () => {
    const dir = join(tmp, 'escape');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ weight_map: { w: '../outside.safetensors' } }),
    );
    expect(await openError(join(dir, 'model.safetensors.index.json'))).toMatch(/outside the model's folder: refused/);
    writeFileSync(join(dir, 'abs.safetensors.index.json'), JSON.stringify({ weight_map: { w: '/etc/passwd' } }));
    expect(await openError(join(dir, 'abs.safetensors.index.json'))).toMatch(/absolute path/);
    symlinkSync('/etc', join(dir, 'link'));
    writeFileSync(join(dir, 'sym.safetensors.index.json'), JSON.stringify({ weight_map: { w: 'link/hostname' } }));
    expect(await openError(join(dir, 'sym.safetensors.index.json'))).toMatch(/resolves outside the model's folder/);
  });

  it('an index naming a tensor its shard lacks, or a missing shard', async () => {
    const dir = join(tmp, 'idx');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'a.safetensors'),
      encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [1], values: [1] }]),
    );
    writeFileSync(
      join(dir, 'x.safetensors.index.json'),
      JSON.stringify({ weight_map: { w: 'a.safetensors', v: 'a.safetensors' } }),
    );
    expect(await openError(join(dir, 'x.safetensors.index.json'))).toMatch(
      /lists 'v' but a.safetensors does not contain it/,
    );
    writeFileSync(join(dir, 'y.safetensors.index.json'), JSON.stringify({ weight_map: { w: 'missing.safetensors' } }));
    expect(await openError(join(dir, 'y.safetensors.index.json'))).toMatch(
      /shard file 'missing.safetensors' does not exist/,
    );
    writeFileSync(join(dir, 'z.safetensors.index.json'), JSON.stringify({ nope: 1 }));
    expect(await openError(join(dir, 'z.safetensors.index.json'))).toMatch(/no "weight_map" object/);
  });

  it('files that are neither format, empty files, empty directories', async () => {
    expect(await openError(file('text.bin', 'hello world, not a model'))).toMatch(/not a PyTorch checkpoint/);
    expect(await openError(file('empty.bin', new Uint8Array(0)))).toMatch(/the file is empty/);
    const dir = join(tmp, 'nothing');
    mkdirSync(dir);
    writeFileSync(join(dir, 'README.md'), '# hi');
    expect(await openError(dir)).toMatch(/holds no model weights/);
    expect(await openError(join(tmp, 'does-not-exist.onnx'))).toMatch(/no such file or directory/);
  });
});
