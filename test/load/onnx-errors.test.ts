/**
 * Hostile and broken ONNX files (issue 3): each case is refused with one specific line,
 * naming the tensor where there is one, before anything large is allocated. Plus
 * truncation at every byte and seeded corruption: only FormatError, never a crash or hang.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FormatError, InputError } from '../../src/errors.js';
import { openOnnx } from '../../src/load/onnx/index.js';
import { openModel } from '../../src/load/index.js';
import { DT, f32, graph, i64, model, node, tensor, type TensorData } from '../../scripts/fixtures/onnx.js';

const FIX = join(fileURLToPath(import.meta.url), '..', '..', '..', 'fixtures', 'generated', 'onnx');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'onnx-err-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// --- raw protobuf bytes, for what the encoder cannot produce -----------------------------
function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const tag = (field: number, wt: number): number[] => varint(field * 8 + wt);
const ld = (field: number, bytes: ArrayLike<number>): number[] => [
  ...tag(field, 2),
  ...varint(bytes.length),
  ...Array.from(bytes),
];
const text = (s: string): number[] => Array.from(new TextEncoder().encode(s));
const bytes = (...parts: number[][]): Uint8Array => Uint8Array.from(parts.flat());

/** A model whose graph holds `inits` and multiplies by each float one (so they are weights). */
function weights(inits: Record<string, unknown>[], opset = 17): Uint8Array {
  const nodes = inits.map((t, i) => node('MatMul', [i === 0 ? 'x' : `h${i - 1}`, String(t.name)], [`h${i}`]));
  return model(graph('g', nodes, inits, ['x'], [`h${inits.length - 1}`]), opset);
}
const w = (data: TensorData, dims = [2, 2], dt: number = DT.FLOAT, name = 'w'): Uint8Array =>
  weights([tensor(name, dt, dims, data)]);

let n = 0;
async function write(content: Uint8Array, extra: Record<string, Uint8Array> = {}): Promise<string> {
  const sub = join(dir, `case${n++}`);
  await mkdir(sub, { recursive: true });
  for (const [name, b] of Object.entries(extra)) await writeFile(join(sub, name), b);
  const path = join(sub, 'model.onnx');
  await writeFile(path, content);
  return path;
}

async function openError(content: Uint8Array, extra?: Record<string, Uint8Array>): Promise<FormatError> {
  const path = await write(content, extra);
  try {
    const m = await openOnnx(path);
    await m.close();
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  }
  throw new Error('expected openOnnx to fail');
}

async function readError(content: Uint8Array, tensorName: string): Promise<FormatError> {
  const m = await openOnnx(await write(content));
  try {
    const t = m.tensors.find((x) => x.name === tensorName)!;
    await t.read();
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  } finally {
    await m.close();
  }
  throw new Error('expected read() to fail');
}

/** `depth` Ifs, each holding the next in its then_branch; a weight at the bottom. */
function nestedIfs(depth: number): Uint8Array {
  let g = graph(
    'leaf',
    [node('MatMul', ['x', 'deep.w'], ['y'])],
    [tensor('deep.w', DT.FLOAT, [1], { raw: f32([1]) })],
    [],
    ['y'],
  );
  const empty = graph('empty', [], [], [], []);
  for (let i = 0; i < depth; i++)
    g = graph(`g${i}`, [node('If', ['c'], ['y'], { then_branch: { g }, else_branch: { g: empty } })], [], [], ['y']);
  return model(g);
}

/** A graph input whose TypeProto nests `depth` sequence types (a non-walked message). */
function deepTypeProto(depth: number): Uint8Array {
  let type: number[] = ld(1, [...tag(1, 0), 1]); // tensor_type { elem_type: FLOAT }
  for (let i = 0; i < depth; i++) type = ld(4, ld(1, type)); // sequence_type { elem_type: … }
  const input = ld(11, [...ld(1, text('x')), ...ld(2, type)]);
  const init = ld(5, [...ld(8, text('w')), ...tag(2, 0), 1, ...ld(9, f32([1]))]);
  return bytes(tag(1, 0), [10], ld(7, [...init, ...input]));
}

const TABLE: [string, () => Promise<FormatError>, string][] = [
  // --- protobuf structure -----------------------------------------------------------------
  ['empty file', () => openError(new Uint8Array(0)), 'the ONNX model has no graph'],
  ['a model without a graph', () => openError(model(undefined)), 'the ONNX model has no graph'],
  [
    'truncated varint at the end',
    () => openError(bytes([0x08])),
    'ONNX model: varint at byte 1 runs past the end of the file (truncated?)',
  ],
  [
    'varint longer than 10 bytes',
    () => openError(bytes([0x08], Array(10).fill(0xff), [0x01])),
    'ONNX model: malformed varint at byte 1 (longer than 10 bytes or above 2^64)',
  ],
  [
    'varint above 2^64',
    () => openError(bytes([0x08], Array(9).fill(0xff), [0x02])),
    'ONNX model: malformed varint at byte 1 (longer than 10 bytes or above 2^64)',
  ],
  [
    'length beyond 2^53',
    () => openError(bytes(tag(7, 2), varint(2n ** 60n))),
    'ONNX model: length at byte 1 is too large',
  ],
  [
    'wrong wire type for a known field',
    () => openError(bytes(tag(7, 0), [1])),
    "ONNX model: field 'graph' at byte 0 has wire type varint, expected length-delimited",
  ],
  [
    'wrong wire type inside a tensor',
    () => openError(bytes(ld(7, ld(5, [...ld(8, text('w')), ...tag(1, 5), 0, 0, 0, 0])))),
    "tensor 'w': field 'dims' at byte 7 has wire type i32, expected length-delimited or varint",
  ],
  [
    'group wire type',
    () => openError(bytes(tag(30, 3), tag(30, 4))),
    'ONNX model: field 30 at byte 0 uses the deprecated group encoding, which ONNX never uses',
  ],
  ['invalid wire type 7', () => openError(bytes([0x0f])), 'ONNX model: field 1 at byte 0 has invalid wire type 7'],
  ['field number 0', () => openError(bytes([0x02, 0x00])), 'ONNX model: invalid field number 0 at byte 0'],
  [
    'a field running past its parent',
    () => openError(bytes(ld(7, [...tag(1, 2), 16, 1, 2, 3]), ld(2, text('producer')))),
    "graph: field 'node' at byte 2 claims 16 bytes, past the end of its enclosing GraphProto",
  ],
  [
    'a length running past the end of the file',
    async () => openError(w({ raw: f32([1, 2, 3, 4]) }).subarray(0, 60)),
    "ONNX model: field 'graph' at byte 24 claims 86 bytes, past the end of the file (truncated?)",
  ],
  [
    'a graph given twice',
    () => openError(bytes(ld(7, []), ld(7, []))),
    "ONNX model: field 'graph' occurs more than once",
  ],
  [
    'subgraphs nested too deep',
    () => openError(nestedIfs(25)),
    "graph in attribute 'then_branch': messages nested more than 64 levels deep",
  ],
  [
    'a TypeProto nested too deep',
    () => openError(deepTypeProto(40)),
    'graph: messages nested more than 64 levels deep',
  ],

  // --- types and shapes -------------------------------------------------------------------
  ['no data_type', () => openError(w({ raw: f32([1, 2, 3, 4]) }, [2, 2], 0)), "tensor 'w' has no data_type"],
  [
    'unknown data_type',
    () => openError(w({ raw: f32([1, 2, 3, 4]) }, [2, 2], 99)),
    "tensor 'w' has unknown data_type 99",
  ],
  [
    'negative dimension',
    () => openError(w({ raw: f32([1, 2, 3, 4]) }, [-1, 4])),
    "tensor 'w' has a negative dimension -1",
  ],
  [
    'dimensions whose product overflows',
    () => openError(w({ raw: f32(Array(16).fill(1)) }, [2 ** 30, 2 ** 30])),
    "tensor 'w' has shape [1073741824, 1073741824], too many elements to address",
  ],
  [
    'a shape far larger than its data',
    () => openError(w({ raw: f32(Array(16).fill(1)) }, [2 ** 20, 2 ** 20])),
    "tensor 'w' has 64 bytes of raw_data but shape [1048576, 1048576] of FLOAT needs 4398046511104",
  ],
  [
    'too many dimensions',
    () => openError(w({ raw: f32([1]) }, Array(33).fill(1))),
    "tensor 'w' has 33 dimensions (more than 32)",
  ],
  [
    'raw_data of the wrong length',
    () => openError(w({ raw: f32([1, 2, 3]) })),
    "tensor 'w' has 12 bytes of raw_data but shape [2, 2] of FLOAT needs 16",
  ],
  [
    'float_data count ≠ elements',
    () => openError(w({ float_data: [1, 2, 3] })),
    "tensor 'w' has 3 values in float_data but shape needs 4",
  ],
  [
    'int32_data (fp16) with too few bytes for its shape',
    () => openError(w({ int32_data: [1, 2, 3] }, [2, 2], DT.FLOAT16)),
    "tensor 'w' has 1–3 values in int32_data but shape needs 4",
  ],
  [
    'int32_data (fp16) count ≠ elements, found when read',
    () => readError(w({ int32_data: [0x3c00, 0x3c00, 0x3c00] }, [2, 2], DT.FLOAT16), 'w'),
    "tensor 'w' has 3 values in int32_data but shape needs 4",
  ],
  [
    'int32_data value out of range for FLOAT16',
    () => readError(w({ int32_data: [70000, 1, 2, 3] }, [2, 2], DT.FLOAT16), 'w'),
    "tensor 'w' has value 70000 in int32_data, out of range for FLOAT16",
  ],
  [
    'values in two fields',
    () => openError(w({ raw: f32([1, 2, 3, 4]), float_data: [1, 2, 3, 4] })),
    "tensor 'w' stores its values in both float_data and raw_data",
  ],
  [
    'a typed field of another type',
    () => openError(w({ int64_data: [1, 2, 3, 4] })),
    "tensor 'w' of type FLOAT stores its values in int64_data",
  ],
  ['no values at all', () => openError(w({})), "tensor 'w' has shape [2, 2] but stores no values"],
  [
    'unknown data_location',
    () => openError(bytes(ld(7, ld(5, [...ld(8, text('w')), ...tag(2, 0), 1, ...tag(14, 0), 7])))),
    "tensor 'w' has unknown data_location 7",
  ],
  [
    // dims (field 1) as a packed run whose last varint is cut by the run's end.
    'packed dims ending inside a value',
    () => openError(bytes(ld(7, ld(5, [...ld(8, text('w')), ...tag(2, 0), 1, ...ld(1, [2, 0x82]), ...ld(9, [0, 0])])))),
    "tensor 'w': malformed TensorProto (packed field 'dims' ends inside an element)",
  ],
  [
    // A node's attribute whose packed floats (field 7) hold 5 bytes: one float and a bit.
    'packed floats of an attribute not a whole number of values',
    () =>
      openError(
        bytes(
          ld(7, [...ld(1, ld(5, [...ld(1, text('a')), ...ld(7, [0, 0, 128, 63, 0])])), ...ld(5, ld(8, text('w')))]),
        ),
      ),
    "attribute 'a': malformed AttributeProto (packed field 'floats' ends inside an element)",
  ],
  [
    'no weights at all',
    () => openError(weights([tensor('shape', DT.INT64, [2], { raw: i64([1, 2]) })])),
    'no weight tensors (no float or quantized tensors in the model)',
  ],

  // --- external data ----------------------------------------------------------------------
  [
    'external data file missing',
    () => openError(w({ external: { location: 'missing.bin' } })),
    "tensor 'w' external data file 'missing.bin' does not exist",
  ],
  [
    'external offset past the end',
    () => openError(w({ external: { location: 'w.bin', offset: 100 } }), { 'w.bin': f32([1, 2, 3, 4]) }),
    "tensor 'w' points past the end of its data file 'w.bin' (bytes 100–116 of 16)",
  ],
  [
    'external length past the end',
    () => openError(w({ external: { location: 'w.bin', offset: 8, length: 16 } }), { 'w.bin': f32([1, 2, 3, 4]) }),
    "tensor 'w' points past the end of its data file 'w.bin' (bytes 8–24 of 16)",
  ],
  [
    'external length ≠ elements × size',
    () => openError(w({ external: { location: 'w.bin', length: 12 } }), { 'w.bin': f32([1, 2, 3, 4]) }),
    "tensor 'w' has external data length 12 but its shape needs 16 bytes",
  ],
  [
    'external data at an absolute path',
    () => openError(w({ external: { location: '/etc/passwd' } })),
    "tensor 'w' external data refers to an absolute path '/etc/passwd': refused",
  ],
  [
    'external data outside the folder',
    () => openError(w({ external: { location: '../w.bin' } })),
    "tensor 'w' external data refers to '../w.bin', outside the model's folder: refused",
  ],
  [
    'external data without a location',
    () => openError(bytes(ld(7, ld(5, [...ld(8, text('w')), ...tag(1, 0), 1, ...tag(2, 0), 1, ...tag(14, 0), 1])))),
    "tensor 'w' has external data without a location",
  ],
  [
    'external data with a bad offset',
    () =>
      openError(
        bytes(
          ld(7, [
            ...ld(5, [
              ...ld(8, text('w')),
              ...tag(1, 0),
              1,
              ...tag(2, 0),
              1,
              ...tag(14, 0),
              1,
              ...ld(13, [...ld(1, text('location')), ...ld(2, text('w.bin'))]),
              ...ld(13, [...ld(1, text('offset')), ...ld(2, text('-5'))]),
            ]),
          ]),
        ),
        { 'w.bin': f32([1]) },
      ),
    "tensor 'w' has an invalid external data offset '-5'",
  ],

  // --- quantization -----------------------------------------------------------------------
  [
    'per-axis scale that does not match the axis',
    () =>
      openError(
        model(
          graph(
            'q',
            [node('DequantizeLinear', ['wq', 's'], ['wd']), node('MatMul', ['x', 'wd'], ['y'])],
            [
              tensor('wq', DT.INT8, [2, 4], { raw: new Uint8Array(8) }),
              tensor('s', DT.FLOAT, [3], { raw: f32([1, 2, 3]) }),
            ],
            ['x'],
            ['y'],
          ),
        ),
      ),
    "tensor 'wq': scale 's' has 3 elements but axis 1 has 4",
  ],
  [
    'DequantizeLinear axis out of range',
    () =>
      openError(
        model(
          graph(
            'q',
            [node('DequantizeLinear', ['wq', 's'], ['wd'], { axis: 5 }), node('MatMul', ['x', 'wd'], ['y'])],
            [
              tensor('wq', DT.INT8, [2, 4], { raw: new Uint8Array(8) }),
              tensor('s', DT.FLOAT, [4], { raw: f32([1, 2, 3, 4]) }),
            ],
            ['x'],
            ['y'],
          ),
        ),
      ),
    "tensor 'wq': DequantizeLinear axis 5 is out of range for rank 2",
  ],
  [
    'a scale that is not a float',
    () =>
      openError(
        model(
          graph(
            'q',
            [node('DequantizeLinear', ['wq', 's'], ['wd']), node('MatMul', ['x', 'wd'], ['y'])],
            [
              tensor('wq', DT.INT8, [2, 4], { raw: new Uint8Array(8) }),
              tensor('s', DT.INT32, [], { raw: new Uint8Array(4) }),
            ],
            ['x'],
            ['y'],
          ),
        ),
      ),
    "tensor 'wq': its DequantizeLinear scale 's' has type INT32, not a float type",
  ],
];

describe('hostile ONNX input: one specific error per case', () => {
  it.each(TABLE)('%s', async (_name, run, message) => {
    const e = await run();
    expect(e.message).toBe(message);
    expect(e.message).not.toContain('\n');
  });

  it('external data symlinked out of the folder is refused', async () => {
    const outside = join(dir, 'outside.bin');
    await writeFile(outside, f32([1, 2, 3, 4]));
    const path = await write(w({ external: { location: 'link.bin' } }));
    await symlink(outside, join(path, '..', 'link.bin'));
    await expect(openOnnx(path)).rejects.toThrow(
      "tensor 'w' external data 'link.bin' resolves outside the model's folder: refused",
    );
  });

  it('an external file that shrinks after opening is caught when read', async () => {
    const path = await write(w({ external: { location: 'w.bin' } }), { 'w.bin': f32([1, 2, 3, 4]) });
    const m = await openOnnx(path);
    try {
      await truncate(join(path, '..', 'w.bin'), 8);
      await expect(m.tensors[0]!.read()).rejects.toThrow("tensor 'w' points past the end of its data file 'w.bin'");
    } finally {
      await m.close();
    }
  });

  it('errors reach the user as one line naming the file', async () => {
    const path = await write(w({ raw: f32([1, 2, 3]) }));
    const e = await openModel(path).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toBe(
      `${path}: tensor 'w' has 12 bytes of raw_data but shape [2, 2] of FLOAT needs 16`,
    );
  });

  it('unknown fields of every wire type are skipped (forward compatibility)', async () => {
    const unknown = [
      ...tag(1000, 0),
      5,
      ...tag(1001, 1),
      ...Array(8).fill(7),
      ...ld(1002, [1, 2, 3]),
      ...tag(1003, 5),
      1,
      2,
      3,
      4,
    ];
    const t = [...ld(8, text('w')), ...tag(1, 0), 2, ...unknown, ...tag(2, 0), 1, ...ld(9, f32([3, 4]))];
    const g = [
      ...unknown,
      ...ld(5, t),
      ...ld(1, [...ld(1, text('x')), ...ld(1, text('w')), ...ld(2, text('y')), ...ld(4, text('MatMul')), ...unknown]),
    ];
    const m = await openOnnx(await write(bytes(tag(1, 0), [10], unknown, ld(7, g), unknown)));
    try {
      expect(m.tensors.map((x) => [x.name, x.shape, x.kindHint])).toEqual([['w', [2], 'dense']]);
      expect(Array.from(await m.tensors[0]!.read())).toEqual([3, 4]);
    } finally {
      await m.close();
    }
  });
});

describe('robustness sweeps', () => {
  /** Opens and reads everything; only FormatError may come out. */
  async function tryAll(path: string): Promise<'ok' | 'error'> {
    let m;
    try {
      m = await openOnnx(path);
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      return 'error';
    }
    try {
      for (const t of m.tensors) {
        try {
          const v = await t.read();
          expect(v.length).toBe(t.shape.reduce((a, b) => a * b, 1));
        } catch (e) {
          if (!(e instanceof FormatError)) throw e;
        }
      }
      return 'ok';
    } finally {
      await m.close();
    }
  }

  it('truncation at every byte of a model is refused cleanly', async () => {
    const full = await readFile(join(FIX, 'dense-raw.onnx'));
    const path = join(dir, 'trunc.onnx');
    const whole: number[] = [];
    for (let len = 0; len < full.length; len++) {
      await writeFile(path, full.subarray(0, len));
      if ((await tryAll(path)) === 'ok') whole.push(len);
    }
    // protobufjs writes ir_version, producer_name, graph, then opset_import (6 bytes):
    // only the cut that drops exactly opset_import leaves a complete model.
    expect(whole).toEqual([full.length - 6]);
  });

  it('seeded random corruption gives FormatError or a valid model, never a crash', async () => {
    let seed = 12345;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const path = join(dir, 'corrupt.onnx');
    const outcomes = { ok: 0, error: 0 };
    for (const file of [
      'dense-raw.onnx',
      'encodings.onnx',
      'constants-if.onnx',
      'quant-dql.onnx',
      'unpacked.onnx',
      'unreadable.onnx',
    ]) {
      const full = await readFile(join(FIX, file));
      for (let trial = 0; trial < 150; trial++) {
        const b = Uint8Array.from(full);
        const flips = 1 + Math.floor(rand() * 4);
        for (let k = 0; k < flips; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
        await writeFile(path, b);
        outcomes[await tryAll(path)]++;
      }
    }
    expect(outcomes.ok + outcomes.error).toBe(900);
    expect(outcomes.error).toBeGreaterThan(100);
  });
});
