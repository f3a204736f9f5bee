/**
 * PyTorch checkpoints (src/load/pytorch/): every fixture written by torch 1.13
 * (scripts/fixtures/pytorch.py) read back and compared with its safetensors twin, written by
 * the same script from the same tensors: names, shapes, dtypes, values (exactly), views and
 * shared storages, whole modules, training checkpoints (optimizer state), TorchScript, the
 * legacy stream, Hugging Face `.bin` directories; and hostile or damaged checkpoints built
 * here, refused with one clear error.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  encodePickle,
  f32Bytes,
  legacyTensor,
  type Py,
  tensorV2,
  torchLegacy,
  torchZip,
} from '../../scripts/fixtures/pickle-writer.js';
import { toF16Bits } from '../../scripts/fixtures/safetensors-writer.js';
import { encodeZip } from '../../scripts/fixtures/zip-writer.js';
import { VIEW_WINDOW } from '../../src/load/pytorch/tensor.js';
import { InputError } from '../../src/errors.js';
import { openModel } from '../../src/load/index.js';
import { findTensors } from '../../src/load/pytorch/contents.js';
import { parseStoragePid } from '../../src/load/pytorch/storage.js';
import type { PickleValue } from '../../src/load/pickle/values.js';
import { layerKind, planLayers } from '../../src/matrices.js';
import type { LoadedModel, TensorRef } from '../../src/types.js';
import { FIXTURES } from '../helpers.js';

const PT = join(FIXTURES, 'pytorch');
const tmp = mkdtempSync(join(tmpdir(), 'rmt-pt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function withModel<T>(path: string, use: (m: LoadedModel) => Promise<T>): Promise<T> {
  const m = await openModel(path);
  try {
    return await use(m);
  } finally {
    await m.close();
  }
}

async function openError(path: string): Promise<string> {
  try {
    await (await openModel(path)).close();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error(`${path} opened`);
}

/** The model's weight tensors equal its twin's: same names in order, shapes, dtypes, values within 1e-12. */
async function expectTwin(path: string, twin: string, weights: (t: TensorRef) => boolean = () => true) {
  await withModel(path, (m) =>
    withModel(twin, async (st) => {
      const mine = m.tensors.filter(weights);
      expect(mine.map((t) => t.name)).toEqual(st.tensors.map((t) => t.name));
      for (const [i, t] of mine.entries()) {
        const other = st.tensors[i]!;
        expect(t.shape, t.name).toEqual(other.shape);
        expect(t.dtype, t.name).toBe(other.dtype);
        const [a, b] = [await t.read(), await other.read()];
        expect(a.length).toBe(b.length);
        let worst = 0;
        for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j]! - b[j]!));
        expect(worst, t.name).toBeLessThanOrEqual(1e-12);
        if (t.shape.length >= 2)
          expect(
            a.some((x) => x !== 0),
            `${t.name} is not all zeros`,
          ).toBe(true);
      }
    }),
  );
}

describe('checkpoints written by torch read back as their safetensors twins', () => {
  it.each([
    ['dtypes.pt', 'zip', 1],
    ['views.pt', 'zip', 0],
    ['legacy.pt', 'legacy', 1],
    ['module.pt', 'zip', 1],
    ['scripted.pt', 'torchscript', 0],
    ['traced.pt', 'torchscript', 0],
  ])('%s (%s): names, shapes, dtypes, values', async (file, variant, nonWeights) => {
    await expectTwin(join(PT, file), join(PT, `${file}.twin.safetensors`));
    await withModel(join(PT, file), async (m) => {
      expect(m.format).toBe('pytorch');
      expect(m.metadata?.variant).toBe(variant);
      expect(m.nonWeightTensors).toBe(nonWeights);
    });
  });

  it('dtypes.pt keeps F32, F16, BF16, F64; the int64 buffer is counted, not listed', async () => {
    await withModel(join(PT, 'dtypes.pt'), async (m) => {
      expect(m.tensors.map((t) => [t.name, t.dtype])).toEqual([
        ['f32.weight', 'F32'],
        ['f16.weight', 'F16'],
        ['bf16.weight', 'BF16'],
        ['f64.weight', 'F64'],
        ['f32.bias', 'F32'],
        ['conv.weight', 'F32'],
      ]);
      const conv = m.tensors.find((t) => t.name === 'conv.weight')!;
      expect(layerKind(conv)).toBe('conv2d');
      expect(conv.readRange).toBeDefined();
      const all = await conv.read();
      expect(Array.from(await conv.readRange!(40, 30))).toEqual(Array.from(all.subarray(40, 70)));
    });
  });

  it('views: transposes, slices, strided rows, expand (stride 0) and tied names', async () => {
    await withModel(join(PT, 'views.pt'), async (m) => {
      const by = new Map(m.tensors.map((t) => [t.name, t]));
      const [tr, base] = [by.get('transposed.weight')!, by.get('base.weight')!];
      expect(tr.shape).toEqual([14, 18]);
      const [a, b] = [await tr.read(), await base.read()];
      for (let i = 0; i < 14; i++) for (let j = 0; j < 18; j++) expect(a[i * 18 + j]).toBe(b[j * 14 + i]);
      // One storage, two views: two tensors. One tensor under two names: one storageKey.
      expect(tr.storageKey).not.toBe(base.storageKey);
      expect(by.get('embed.weight')!.storageKey).toBe(by.get('head.weight')!.storageKey);
      expect(tr.readRange).toBeUndefined();
      expect(base.readRange).toBeDefined();
      const expanded = await by.get('expanded')!.read();
      expect(Array.from(expanded.subarray(15, 30))).toEqual(Array.from(expanded.subarray(0, 15)));
    });
  });

  it('a whole pickled module is named as state_dict() names it', async () => {
    await withModel(join(PT, 'module.pt'), async (m) => {
      const names = m.tensors.map((t) => t.name);
      expect(names).toContain('layers.1.mlp.2.weight');
      expect(names.some((n) => n.includes('_modules') || n.includes('_parameters'))).toBe(false);
      const kinds = Object.fromEntries(m.tensors.map((t) => [t.name, t.kindHint]));
      // From the module classes (Embedding, Linear, LayerNorm), not the names.
      expect(kinds).toMatchObject({
        'embed.weight': 'embedding',
        'layers.0.query.weight': 'dense',
        'layers.0.mlp.2.weight': 'dense',
        'layers.1.norm.weight': 'norm',
        'head.weight': 'dense',
      });
      expect(kinds['head.bias']).toBeUndefined();
    });
  });

  it('a training checkpoint: model tensors by path, Adam state listed as optimizer-state', async () => {
    const model = (t: TensorRef) => t.role === undefined;
    await expectTwin(join(PT, 'checkpoint.pt'), join(PT, 'checkpoint.pt.twin.safetensors'), model);
    await withModel(join(PT, 'checkpoint.pt'), async (m) => {
      const opt = m.tensors.filter((t) => !model(t));
      expect(opt.map((t) => t.name)).toEqual(
        [0, 1, 2, 3].flatMap((i) => ['step', 'exp_avg', 'exp_avg_sq'].map((k) => `optimizer.state.${i}.${k}`)),
      );
      for (const t of opt) {
        expect(t.role).toBe('optimizer-state');
        expect(planLayers(t)).toEqual([
          expect.objectContaining({ status: 'skipped', detail: { code: 'optimizer-state' } }),
        ]);
      }
      expect(opt.find((t) => t.name === 'optimizer.state.0.exp_avg')!.shape).toEqual([32, 20]);
    });
  });

  it('a Hugging Face directory of .bin shards and their index', async () => {
    await expectTwin(join(PT, 'hf-bin'), join(PT, 'hf-bin.twin.safetensors'));
    await withModel(join(PT, 'hf-bin'), async (m) => {
      expect(m.format).toBe('pytorch');
      expect(m.notes).toBeUndefined();
    });
  });

  it('the .bin index named on the command line opens its shards', async () => {
    const index = join(PT, 'hf-bin', 'pytorch_model.bin.index.json');
    await expectTwin(index, join(PT, 'hf-bin.twin.safetensors'));
    await withModel(index, async (m) => expect([m.format, m.path]).toEqual(['pytorch', index]));
  });

  it('a directory with safetensors and .bin weights reads the safetensors and says so', async () => {
    const dir = join(tmp, 'both');
    cpSync(join(PT, 'hf-bin'), dir, { recursive: true });
    cpSync(join(PT, 'hf-bin.twin.safetensors'), join(dir, 'model.safetensors'));
    await withModel(dir, async (m) => {
      expect(m.format).toBe('safetensors');
      expect(m.notes).toEqual([
        expect.stringMatching(/safetensors and pytorch_model\*\.bin .*reading the safetensors/),
      ]);
    });
  });

  it('a single pytorch_model.bin; an index whose weight_map disagrees with the shards', async () => {
    const one = join(tmp, 'one');
    mkdirSync(one);
    cpSync(join(PT, 'dtypes.pt'), join(one, 'pytorch_model.bin'));
    await withModel(one, async (m) => expect(m.tensors.length).toBe(6));
    const bad = join(tmp, 'bad-index');
    cpSync(join(PT, 'hf-bin'), bad, { recursive: true });
    const index = JSON.parse(readFileSync(join(bad, 'pytorch_model.bin.index.json'), 'utf8'));
    index.weight_map['fc1.weight'] = 'pytorch_model-00002-of-00002.bin';
    writeFileSync(join(bad, 'pytorch_model.bin.index.json'), JSON.stringify(index));
    expect(await openError(bad)).toMatch(
      /weight_map puts 'fc1.weight' in pytorch_model-00002-of-00002.bin but it is in/,
    );
    index.weight_map['ghost.weight'] = 'pytorch_model-00001-of-00002.bin';
    index.weight_map['fc1.weight'] = 'pytorch_model-00001-of-00002.bin';
    writeFileSync(join(bad, 'pytorch_model.bin.index.json'), JSON.stringify(index));
    expect(await openError(bad)).toMatch(/weight_map lists 'ghost.weight'/);
  });
});

describe('hostile and damaged checkpoints', () => {
  it.each([
    ['hostile-system.pt', /refuses to load: the pickle calls posix\.system$/],
    ['hostile-eval.pt', /refuses to load: the pickle calls builtins\.eval$/],
    ['hostile-legacy.pt', /refuses to load: the pickle calls posix\.system$/],
  ])('%s is refused without running anything', async (file, cause) => {
    expect(await openError(join(PT, file))).toMatch(cause);
  });

  const put = (name: string, bytes: Uint8Array) => {
    const p = join(tmp, name);
    writeFileSync(p, bytes);
    return p;
  };
  const w = (offset: number, size: number[], stride: number[], numel = 12) => ({
    dict: [['w', tensorV2('FloatStorage', '0', numel, offset, size, stride)]] as [Py, Py][],
  });
  const values = f32Bytes(Array.from({ length: 12 }, (_, i) => i + 1));

  it('views are read only inside their storage', async () => {
    const ok = put('view-ok.pt', torchZip(w(2, [3, 2], [1, 3]), { '0': values }));
    await withModel(ok, async (m) => expect(Array.from(await m.tensors[0]!.read())).toEqual([3, 6, 4, 7, 5, 8]));
    for (const [offset, size, stride] of [
      [0, [4, 4], [4, 1]],
      [11, [2], [1]],
      [13, [0], [1]],
      [0, [2, 7], [6, 1]],
    ] as const) {
      const p = put('view-bad.pt', torchZip(w(offset, [...size], [...stride]), { '0': values }));
      expect(await openError(p), `${offset} ${size} ${stride}`).toMatch(/reach past its storage of 12 elements/);
    }
    const short = put('short.pt', torchZip(w(0, [3, 4], [4, 1]), { '0': values.subarray(0, 40) }));
    expect(await openError(short)).toMatch(/has 40 bytes, less than its 48/);
    const missing = put('missing.pt', torchZip(w(0, [3, 4], [4, 1]), {}));
    expect(await openError(missing)).toMatch(/storage record archive\/data\/0 is missing/);
  });

  it('a sparse view of a storage larger than one window is gathered window by window', async () => {
    const numel = VIEW_WINDOW + 5000;
    const storage = new Uint8Array(numel * 2);
    const v = new DataView(storage.buffer);
    const bits = Array.from({ length: 2048 }, (_, i) => toF16Bits(i));
    for (let i = 0; i < numel; i++) v.setUint16(i * 2, bits[i % 2048]!, true);
    const [offset, stride] = [5, [2 ** 22, 1000]];
    const root: Py = { dict: [['w', tensorV2('HalfStorage', '0', numel, offset, [3, 4], stride)]] };
    const p = put('sparse.pt', torchZip(root, { '0': storage }));
    const expected: number[] = [];
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 4; b++) expected.push((offset + a * stride[0]! + b * stride[1]!) % 2048);
    expect(offset + 2 * stride[0]! + 3 * stride[1]!).toBeGreaterThan(VIEW_WINDOW);
    await withModel(p, async (m) => expect(Array.from(await m.tensors[0]!.read())).toEqual(expected));
  });

  it('a legacy stream whose pickles run past the first prefix read', async () => {
    const long = 'x'.repeat(3_000_000);
    const root: Py = {
      dict: [
        ['note', long],
        ['w', legacyTensor('FloatStorage', '9', 12, 0, [3, 4], [4, 1])],
      ],
    };
    const p = put('long-legacy.pt', torchLegacy(root, [['9', 12, values]]));
    await withModel(p, async (m) => {
      expect(m.metadata?.variant).toBe('legacy');
      expect(Array.from(await m.tensors[0]!.read())).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    });
    const lying = put('lying-legacy.pt', torchLegacy(root, [['9', 13, values]]));
    expect(await openError(lying)).toMatch(/storage '9' claims 13 elements, past the end of the file/);
  });

  it('a legacy stream of many small storages is located by walking their counts', async () => {
    const n = 8000;
    const storages = Array.from({ length: n }, (_, i) => [`k${i}`, 4, f32Bytes([i, i + 0.5, -i, 2])] as const);
    const root: Py = {
      dict: storages.map(([key], i): [Py, Py] => [`w${i}`, legacyTensor('FloatStorage', key, 4, 0, [2, 2], [2, 1])]),
    };
    const p = put('many-legacy.pt', torchLegacy(root, storages));
    await withModel(p, async (m) => {
      expect(m.tensors).toHaveLength(n);
      for (const i of [0, 1, 2730, 5461, n - 1])
        expect(Array.from(await m.tensors[i]!.read())).toEqual([i, i + 0.5, -i, 2]);
    });
  });

  it('bad sizes, strides, storage types and persistent ids', async () => {
    const cases: [Py, RegExp][] = [
      [{ dict: [['w', tensorV2('FloatStorage', '0', 12, 0, [3, 4], [4])]] }, /3 sizes|2 sizes but 1 strides/],
      [{ dict: [['w', tensorV2('FloatStorage', '0', 12, 0, [-3, 4], [4, 1])]] }, /not a non-negative integer/],
      [
        { dict: [['w', tensorV2('EvilStorage', '0', 12, 0, [3, 4], [4, 1])]] },
        /unknown storage type torch\.EvilStorage/,
      ],
      [{ dict: [['w', tensorV2('FloatStorage', '0', -1, 0, [3, 4], [4, 1])]] }, /invalid element count/],
      [
        { dict: [['w', { call: ['torch._utils', '_rebuild_tensor_v2'], args: [{ persistent: 'x' }, 0] }]] },
        /persistent id is not a tuple/,
      ],
      [{ call: ['subprocess', 'Popen'], args: ['ls'] }, /the pickle calls subprocess\.Popen/],
      [{ call: ['torch', 'load'], args: ['x.pt'] }, /the pickle calls torch\.load/],
    ];
    for (const [root, cause] of cases)
      expect(await openError(put('bad.pt', torchZip(root, { '0': values })))).toMatch(cause);
  });

  it('a zip without data.pkl, a big-endian archive, a file that is not a checkpoint', async () => {
    const plain = put('plain.pt', encodeZip([{ name: 'a/b.txt', data: new Uint8Array(3) }]).bytes);
    expect(await openError(plain)).toMatch(/zip archive without data\.pkl: not a PyTorch checkpoint/);
    const big = encodeZip([
      { name: 'a/data.pkl', data: Uint8Array.from([0x80, 0x02, 0x7d, 0x2e]) },
      { name: 'a/byteorder', data: new Uint8Array(Buffer.from('big')) },
    ]).bytes;
    expect(await openError(put('big.pt', big))).toMatch(/big-endian/);
    // torch ≥ 2.1: a byteorder record, and _rebuild_tensor_v3 over an UntypedStorage (numel in bytes).
    const untyped: Py = { persistent: { tuple: ['storage', { global: ['torch', 'UntypedStorage'] }, '0', 'cpu', 48] } };
    const v3: Py = {
      call: ['torch._utils', '_rebuild_tensor_v3'],
      args: [untyped, 2, { tuple: [2, 3] }, { tuple: [3, 1] }, false, null, { global: ['torch', 'float32'] }],
    };
    const little = encodeZip([
      { name: 'new/data.pkl', data: encodePickle({ dict: [['w', v3]] }) },
      { name: 'new/byteorder', data: new Uint8Array(Buffer.from('little')) },
      { name: 'new/data/0', data: values },
    ]).bytes;
    await withModel(put('little.pt', little), async (m) => {
      expect([m.tensors[0]!.dtype, m.tensors[0]!.shape]).toEqual(['F32', [2, 3]]);
      expect(Array.from(await m.tensors[0]!.read())).toEqual([3, 4, 5, 6, 7, 8]);
    });
    expect(await openError(put('text.pt', new Uint8Array(Buffer.from('not a checkpoint at all'))))).toMatch(
      /not a PyTorch checkpoint/,
    );
    const legacy = readFileSync(join(PT, 'legacy.pt'));
    for (const cut of [20, 300, legacy.length - 100]) {
      expect(await openError(put('cut.pt', legacy.subarray(0, cut))), `cut at ${cut}`).toMatch(/./);
    }
  });
});

describe('the walk over hand-built values', () => {
  const pid = (key: string, numel = 4): PickleValue => ({
    kind: 'tuple',
    items: ['storage', { kind: 'global', module: 'torch', name: 'FloatStorage' }, key, 'cpu', numel],
  });
  const tensor = (key: string): PickleValue => ({
    kind: 'call',
    callee: 'torch._utils._rebuild_tensor_v2',
    args: [
      { kind: 'persistent', pid: pid(key) },
      0,
      { kind: 'tuple', items: [2, 2] },
      { kind: 'tuple', items: [2, 1] },
    ],
  });
  const parse = (p: PickleValue) => parseStoragePid(p, false);

  it('shared tensors get every name, cycles and shared containers are walked once, names stay unique', () => {
    const t = tensor('0');
    const inner: { kind: 'list'; items: PickleValue[] } = { kind: 'list', items: [t] };
    inner.items.push(inner); // a cycle
    const root: PickleValue = {
      kind: 'dict',
      entries: [
        ['a', t],
        ['b', inner],
        ['c', inner],
        ['a', tensor('1')],
        [3, { kind: 'call', callee: 'torch.jit._pickle.restore_type_tag', args: [tensor('2'), 'Tensor'] }],
      ],
    };
    expect(findTensors(root, parse).map((f) => f.name)).toEqual(['a', 'b.0', 'a#2', '3']);
  });

  it('optimizer state by its shape ({state, param_groups}) or by its key; unsupported tensors are listed', () => {
    const root: PickleValue = {
      kind: 'dict',
      entries: [
        ['weights', tensor('0')],
        [
          'opt',
          {
            kind: 'dict',
            entries: [
              ['state', { kind: 'dict', entries: [[0, tensor('1')]] }],
              ['param_groups', null],
            ],
          },
        ],
        ['lr_scheduler', { kind: 'dict', entries: [['x', tensor('2')]] }],
        ['optimus.weight', tensor('3')],
        ['optimizer_states', { kind: 'list', items: [tensor('4')] }],
        [
          'q',
          { kind: 'call', callee: 'torch._utils._rebuild_qtensor', args: [null, 0, { kind: 'tuple', items: [4, 5] }] },
        ],
      ],
    };
    const found = findTensors(root, parse);
    expect(found.map((f) => [f.name, f.role ?? '', f.dtype])).toEqual([
      ['weights', '', 'F32'],
      ['opt.state.0', 'optimizer-state', 'F32'],
      ['lr_scheduler.x', 'optimizer-state', 'F32'],
      ['optimus.weight', '', 'F32'],
      ['optimizer_states.0', 'optimizer-state', 'F32'],
      ['q', '', 'OTHER'],
    ]);
    expect(found[5]!.shape).toEqual([4, 5]);
  });

  it('a module class names its weight: Conv1d whatever the name and the kernel size', () => {
    const slots = (params: [PickleValue, PickleValue][], modules: [PickleValue, PickleValue][]): PickleValue => ({
      kind: 'dict',
      entries: [
        ['_parameters', { kind: 'dict', entries: params }],
        ['_buffers', { kind: 'dict', entries: [] }],
        ['_modules', { kind: 'dict', entries: modules }],
      ],
    });
    const mod = (name: string, state: PickleValue): PickleValue => ({
      kind: 'object',
      cls: { kind: 'global', module: 'torch.nn.modules.conv', name },
      args: [],
      state,
    });
    const root = mod(
      'Net',
      slots(
        [],
        [
          [
            'proj',
            mod(
              'Conv1d',
              slots(
                [
                  ['weight', tensor('0')],
                  ['bias', tensor('1')],
                ],
                [],
              ),
            ),
          ],
        ],
      ),
    );
    const found = findTensors(root, parse);
    expect(found.map((f) => [f.name, f.kindHint])).toEqual([
      ['proj.weight', 'conv1d'],
      ['proj.bias', undefined],
    ]);
  });

  it('_rebuild_tensor_v3 over an UntypedStorage takes its dtype; deep nesting is refused', () => {
    const untyped: PickleValue = {
      kind: 'call',
      callee: 'torch._utils._rebuild_tensor_v3',
      args: [
        {
          kind: 'persistent',
          pid: {
            kind: 'tuple',
            items: ['storage', { kind: 'global', module: 'torch', name: 'UntypedStorage' }, 'k', 'cpu', 16],
          },
        },
        0,
        { kind: 'tuple', items: [8] },
        { kind: 'tuple', items: [1] },
        false,
        null,
        { kind: 'global', module: 'torch', name: 'bfloat16' },
      ],
    };
    const [f] = findTensors(untyped, parse);
    expect([f!.dtype, f!.storage!.bytes, f!.name]).toEqual(['BF16', 16, 'tensor']);
    let deep: PickleValue = tensor('0');
    for (let i = 0; i < 5000; i++) deep = { kind: 'list', items: [deep] };
    expect(() => findTensors(deep, parse)).toThrow(/deeper than/);
  });
});
