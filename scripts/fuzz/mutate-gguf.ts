/**
 * GGUF-aware mutations for the fuzzer: the numbers a GGUF reader trusts (version, counts,
 * string and array lengths, value and element types, n_dims, ne, ggml types, offsets,
 * general.alignment) located by walking the header and set to nasty values; truncation at
 * a field boundary; and whole hostile headers built from scratch (scripts/fuzz/gguf-build.ts),
 * including valid files whose names and metadata are hostile text.
 */
import { buildGguf, kv, VT, type TensorSpec } from './gguf-build.js';
import { HOSTILE_NAMES, int, pick, type Mutation, type Rng } from './mutate.js';

/** One number in the header: where it is, how wide, what it is. */
interface Field {
  readonly at: number;
  readonly size: 4 | 8;
  readonly kind: string;
}

/** Fixed value widths by metadata type id (string 8 = its length field; array handled apart). */
const WIDTH = [1, 1, 2, 2, 4, 4, 4, 1, -1, -1, 8, 8, 8];

/** The header's numeric fields, as far as the (possibly already damaged) bytes can be walked. */
export function ggufFields(b: Uint8Array): Field[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const fields: Field[] = [];
  let p = 0;
  const have = (n: number) => p + n <= b.length;
  const u32 = () => (have(4) ? v.getUint32(p, true) : undefined);
  const u64 = () => (have(8) ? v.getBigUint64(p, true) : undefined);
  const field = (size: 4 | 8, kind: string) => {
    if (have(size)) fields.push({ at: p, size, kind });
    p += size;
  };
  const str = (kind: string) => {
    const n = u64();
    field(8, kind);
    if (n === undefined || n > BigInt(b.length)) throw new Error('stop');
    p += Number(n);
  };
  const value = (type: number | undefined, depth: number) => {
    if (type === undefined || depth > 4) throw new Error('stop');
    if (type === VT.string) return str('string-length');
    if (type === VT.array) {
      const et = u32();
      field(4, 'element-type');
      const n = u64();
      field(8, 'array-length');
      if (n === undefined || n > 100_000n) throw new Error('stop');
      if (et !== undefined && (WIDTH[et] ?? 0) > 0) p += Number(n) * WIDTH[et]!;
      else for (let i = 0; i < Number(n); i++) value(et, depth + 1);
      return;
    }
    const w = WIDTH[type];
    if (w === undefined || w < 0) throw new Error('stop');
    p += w;
  };
  try {
    field(4, 'magic');
    field(4, 'version');
    const nT = u64();
    field(8, 'tensor-count');
    const nKV = u64();
    field(8, 'kv-count');
    if (nT === undefined || nKV === undefined || nT > 10_000n || nKV > 10_000n) return fields;
    for (let i = 0; i < Number(nKV); i++) {
      str('key-length');
      const type = u32();
      field(4, 'value-type');
      value(type, 0);
    }
    for (let i = 0; i < Number(nT); i++) {
      str('name-length');
      const nDims = u32();
      field(4, 'n-dims');
      for (let d = 0; d < Math.min(nDims ?? 0, 8); d++) field(8, 'ne');
      field(4, 'ggml-type');
      field(8, 'offset');
    }
  } catch {
    // The walk stops where the bytes stop making sense; the fields found so far are kept.
  }
  return fields.filter((f) => f.at + f.size <= b.length);
}

const U32_VALUES = [0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 14, 16, 20, 23, 24, 27, 28, 30, 39, 40, 99, 2 ** 31, 0x03000000];
const U64_VALUES = [
  0n,
  1n,
  3n,
  7n,
  31n,
  33n,
  64n,
  255n,
  2n ** 31n,
  2n ** 32n,
  2n ** 40n,
  2n ** 53n,
  2n ** 62n,
  2n ** 64n - 1n,
];

/** One field set to a nasty value (or nudged from its own). */
function mutateField(r: Rng, input: Uint8Array, f: Field): Mutation {
  const out = new Uint8Array(input);
  const v = new DataView(out.buffer);
  if (f.size === 4) {
    const x = r() < 0.3 ? (v.getUint32(f.at, true) + pick(r, [1, -1, 32, 2])) >>> 0 : pick(r, U32_VALUES) >>> 0;
    v.setUint32(f.at, x, true);
    return { name: `gguf-${f.kind}=${x}`, bytes: out };
  }
  const old = v.getBigUint64(f.at, true);
  const x = r() < 0.35 ? BigInt.asUintN(64, old + pick(r, [1n, -1n, 32n, -32n, 64n, old])) : pick(r, U64_VALUES);
  v.setBigUint64(f.at, x, true);
  return { name: `gguf-${f.kind}=${x}`, bytes: out };
}

/** A header built from scratch with one hostile choice, or a valid file with hostile text. */
export function synthGguf(r: Rng): Mutation {
  const hostile = pick(r, HOSTILE_NAMES);
  const tensor: TensorSpec = { name: 'blk.0.attn_q.weight', ne: [16, 16], type: 0, offset: 0 };
  const kind = pick(r, ['hostile-text', 'nested', 'long-string', 'ne', 'alignment', 'types', 'counts']);
  const kvs = [kv('general.architecture', VT.string, (b) => b.str('llama'))];
  let tensors: TensorSpec[] = [tensor];
  let spec = {};
  if (kind === 'hostile-text') {
    kvs.push(kv('general.name', VT.string, (b) => b.str(hostile)));
    tensors = [tensor, { ...tensor, name: `${hostile}.weight`, offset: 1024 }];
  } else if (kind === 'nested') {
    const depth = int(r, 1, 12);
    kvs.push(
      kv('t', VT.array, (b) => {
        for (let i = 0; i < depth; i++) b.u32(VT.array).u64(1);
        b.u32(VT.string).u64(1).str('x');
      }),
    );
  } else if (kind === 'long-string') {
    kvs.push(kv('general.name', VT.string, (b) => b.str('x', pick(r, [2n ** 40n, 2n ** 64n - 1n, 100_000n]))));
  } else if (kind === 'ne') {
    tensors = [
      { ...tensor, ne: Array.from({ length: int(r, 0, 7) }, () => pick(r, [0, 1, 32, 256, 2 ** 32, 2n ** 63n])) },
    ];
  } else if (kind === 'alignment') {
    const a = pick(r, [0, 1, 3, 48, 64, 2 ** 20, 2 ** 31]);
    kvs.push(kv('general.alignment', pick(r, [VT.uint32, VT.uint64, VT.string]), (b) => b.u32(a).u32(0)));
    spec = { alignment: a > 0 && (a & (a - 1)) === 0 && a <= 4096 ? a : 32 };
  } else if (kind === 'types') {
    tensors = [{ ...tensor, ne: [256, 4], type: int(r, 0, 45) }];
  } else {
    spec = { tensorCount: pick(r, [2n ** 62n, 2n ** 32n, 1000n]), kvCount: pick(r, [2n ** 62n, 100n, 0n]) };
  }
  return { name: `gguf-synth-${kind}`, bytes: buildGguf({ kvs, tensors, dataBytes: 2048, ...spec }) };
}

/** A GGUF-aware mutation of `input` (a GGUF file, or what earlier mutations left of one). */
export function mutateGguf(r: Rng, input: Uint8Array): Mutation {
  const kind = pick(r, ['field', 'field', 'field', 'truncate-field', 'synth']);
  if (kind === 'synth') return synthGguf(r);
  const fields = ggufFields(input);
  if (fields.length === 0) return synthGguf(r);
  const f = pick(r, fields);
  if (kind === 'truncate-field') {
    const cut = f.at + int(r, 0, f.size);
    return { name: `gguf-truncate-in-${f.kind}`, bytes: input.subarray(0, cut) };
  }
  return mutateField(r, input, f);
}
