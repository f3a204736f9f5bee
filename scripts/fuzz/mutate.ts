/**
 * Seeded mutations of model files for the fuzzer: generic byte-level damage (bit flips,
 * truncation, splices, insertions, deletions) and format-aware edits that target the
 * fields a reader trusts (safetensors header lengths, dtypes, shapes, offsets; ONNX dims,
 * data types, data lengths, external-data references).
 */
import { createRng } from '../../src/random.js';

export type Rng = () => number;

/** Uniform [0, 1) draws from the project's one seeded generator (src/random.ts). */
export const rng = (seed: number): Rng => {
  const g = createRng(seed);
  return () => g.next();
};
export const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** Interesting integers for length/offset/dimension fields. */
export function nastyInt(r: Rng, around = 16): number {
  return pick(r, [
    0,
    1,
    -1,
    -(2 ** 31),
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32,
    2 ** 32 + 1,
    2 ** 53 - 1,
    2 ** 30,
    2 ** 62,
    around - 1,
    around + 1,
    around * 2,
    Math.floor(around / 2),
    int(r, 0, 1 << 20),
  ]);
}

export interface Mutation {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** Byte-level damage that knows nothing of the format. */
export function mutateBytes(r: Rng, input: Uint8Array, donors: readonly Uint8Array[]): Mutation {
  const b = new Uint8Array(input);
  const n = b.length;
  const kind = pick(r, [
    'bitflip',
    'bitflip',
    'truncate',
    'truncate-header',
    'splice',
    'insert',
    'delete',
    'overwrite',
    'duplicate',
  ]);
  switch (kind) {
    case 'bitflip': {
      const flips = int(r, 1, 8);
      for (let i = 0; i < flips && n > 0; i++) {
        // Bias towards the start, where headers and tags live.
        const at = r() < 0.6 ? int(r, 0, Math.min(n - 1, 512)) : int(r, 0, n - 1);
        b[at]! ^= 1 << int(r, 0, 7);
      }
      return { name: `bitflip×${flips}`, bytes: b };
    }
    case 'truncate':
      return { name: 'truncate', bytes: b.slice(0, int(r, 0, Math.max(0, n - 1))) };
    case 'truncate-header':
      return { name: 'truncate-header', bytes: b.slice(0, int(r, 0, Math.min(n, 64))) };
    case 'splice': {
      const donor = pick(r, donors);
      const from = int(r, 0, Math.max(0, donor.length - 1));
      const len = int(r, 1, Math.min(256, Math.max(1, donor.length - from)));
      const at = int(r, 0, Math.max(0, n - 1));
      const out = new Uint8Array(n + len);
      out.set(b.subarray(0, at));
      out.set(donor.subarray(from, from + len), at);
      out.set(b.subarray(at), at + len);
      return { name: 'splice', bytes: out };
    }
    case 'insert': {
      const len = int(r, 1, 32);
      const at = int(r, 0, n);
      const out = new Uint8Array(n + len);
      out.set(b.subarray(0, at));
      for (let i = 0; i < len; i++) out[at + i] = int(r, 0, 255);
      out.set(b.subarray(at), at + len);
      return { name: 'insert', bytes: out };
    }
    case 'delete': {
      const at = int(r, 0, Math.max(0, n - 1));
      const len = int(r, 1, 64);
      return { name: 'delete', bytes: new Uint8Array([...b.subarray(0, at), ...b.subarray(at + len)]) };
    }
    case 'overwrite': {
      const at = int(r, 0, Math.max(0, n - 1));
      const len = Math.min(int(r, 1, 16), n - at);
      for (let i = 0; i < len; i++) b[at + i] = pick(r, [0x00, 0xff, 0x7f, 0x80, int(r, 0, 255)]);
      return { name: 'overwrite', bytes: b };
    }
    default: {
      // Repeat a chunk: duplicated protobuf fields / JSON fragments.
      const at = int(r, 0, Math.max(0, n - 1));
      const len = Math.min(int(r, 1, 128), n - at);
      return {
        name: 'duplicate',
        bytes: new Uint8Array([...b.subarray(0, at + len), ...b.subarray(at, at + len), ...b.subarray(at + len)]),
      };
    }
  }
}

/** The safetensors file of `header` (serialised by `json`) over `data`. */
function encodeSt(json: string, data: Uint8Array): Uint8Array {
  const bytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + bytes.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(bytes.length), true);
  out.set(bytes, 8);
  out.set(data, 8 + bytes.length);
  return out;
}

/**
 * Issue 12's structure edits: a key written twice in the header JSON (JSON.parse keeps the
 * last: the first must not vanish silently), many tiny tensors, an expert stack with huge
 * dims and F8 data of the right size or too little.
 */
function mutateStCounts(
  r: Rng,
  kind: 'repeat-key' | 'many' | 'stack',
  header: Record<string, unknown>,
  data: Uint8Array,
): Mutation {
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  if (kind === 'repeat-key' && names.length > 0) {
    const k = pick(r, names);
    const entry = JSON.stringify(k) + ':' + JSON.stringify(header[k]);
    const json = JSON.stringify(header);
    // The entry again, first or last, with the same or other offsets.
    const other = r() < 0.5 ? entry : entry.replace(/"data_offsets":\[(\d+),(\d+)\]/, '"data_offsets":[0,$2]');
    const doubled = r() < 0.5 ? `{${other},${json.slice(1)}` : `${json.slice(0, -1)},${other}}`;
    return { name: 'st-repeat-key', bytes: encodeSt(doubled, data) };
  }
  let end = data.length;
  const extra: Uint8Array[] = [];
  const h: Record<string, unknown> = { ...header };
  if (kind === 'many' || names.length === 0) {
    const n = pick(r, [500, 2000, 5000]); // more can pass the fuzzer's 5 s case limit on a busy machine
    for (let i = 0; i < n; i++)
      h[`fz.${i}`] = { dtype: 'F32', shape: [1], data_offsets: [end + 4 * i, end + 4 * i + 4] };
    extra.push(new Uint8Array(Buffer.from(new Float32Array(n).fill(1).buffer)));
    end += 4 * n;
    const out = new Uint8Array(end);
    out.set(data);
    out.set(extra[0]!, data.length);
    return { name: `st-many×${n}`, bytes: encodeSt(JSON.stringify(h), out) };
  }
  const stack = pick(r, [1000, 30_000, 140_000, 2 ** 20]);
  const exact = stack <= 30_000 && r() < 0.6; // 140,000 layers would pass the 5 s case limit
  const bytes = exact ? stack * 34 : int(r, 0, 64);
  h['fz.experts'] = { dtype: 'F8_E4M3', shape: [stack, 2, 17], data_offsets: [end, end + bytes] };
  const out = new Uint8Array(end + bytes).fill(0x38);
  out.set(data);
  return { name: `st-stack-${stack}x2x17-${exact ? 'exact' : 'small'}`, bytes: encodeSt(JSON.stringify(h), out) };
}

/** Tensor names that try to drive a terminal, spoof text, or start a GitHub workflow command. */
export const HOSTILE_NAMES = [
  '::stop-commands::fz',
  '::error title=fz::owned',
  '  ::warning::fz',
  '##[error]fz',
  '\x1b]0;title\x07\x1b[2J',
  'cr\rlf\n',
  'bidi\u202eevil\u2066\u200b',
  '\ufeff\u00ad\u061c',
  '=cmd|x',
  '%0A::error::fz',
];

/** Edits of a safetensors header: the JSON a reader must not trust. */
export function mutateSafetensors(r: Rng, input: Uint8Array): Mutation {
  if (input.length < 8) return { name: 'st-short', bytes: input };
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > input.length - 8) return { name: 'st-unparsable', bytes: input };
  const data = input.subarray(8 + headerLen);
  let header: Record<string, Record<string, unknown>>;
  try {
    header = JSON.parse(Buffer.from(input.subarray(8, 8 + headerLen)).toString('utf8'));
  } catch {
    return { name: 'st-unparsable', bytes: input };
  }
  const names = Object.keys(header).filter(
    (k) => k !== '__metadata__' && typeof header[k] === 'object' && header[k] !== null && !Array.isArray(header[k]),
  );
  const kind = pick(r, [
    'length',
    'dtype',
    'shape',
    'offsets',
    'entry',
    'metadata',
    'drop-data',
    'repeat-key',
    'many',
    'stack',
    'hostile-name',
  ]);
  let name = `st-${kind}`;
  if (kind === 'hostile-name' && names.length > 0) {
    // Model text is hostile in every output: a tensor renamed to a terminal escape, a bidi
    // override or a GitHub workflow command (run.ts renders such cases as text, not JSON).
    const old = pick(r, names);
    const entry = header[old]!;
    delete header[old];
    header[`${pick(r, HOSTILE_NAMES)}${r() < 0.5 ? '' : old}`] = entry;
    return { name, bytes: encodeSt(JSON.stringify(header), data) };
  }
  if (kind === 'repeat-key' || kind === 'many' || kind === 'stack') return mutateStCounts(r, kind, header, data);
  if (kind === 'length') {
    const out = new Uint8Array(input);
    const v = pick(r, [
      0n,
      1n,
      BigInt(headerLen - 1),
      BigInt(headerLen + 1),
      2n ** 63n,
      2n ** 64n - 1n,
      100_000_001n,
      BigInt(input.length),
    ]);
    new DataView(out.buffer).setBigUint64(0, v & (2n ** 64n - 1n), true);
    return { name: `st-length=${v}`, bytes: out };
  }
  if (kind === 'drop-data') {
    return { name, bytes: input.subarray(0, input.length - int(r, 1, Math.max(1, data.length))) };
  }
  // An earlier mutation of the same file may have replaced an entry by null, a number or a string.
  const picked: unknown = names.length > 0 ? header[pick(r, names)] : undefined;
  const target =
    typeof picked === 'object' && picked !== null && !Array.isArray(picked)
      ? (picked as Record<string, unknown>)
      : undefined;
  if (target === undefined || kind === 'metadata') {
    header.__metadata__ = pick(r, [[1], 'x', { a: 1 }, null, { format: 'pt' }]) as never;
  } else if (kind === 'dtype') {
    target.dtype = pick(r, [
      'F32',
      'F16',
      'BF16',
      'F64',
      'I8',
      'U8',
      'I64',
      'BOOL',
      'F8_E4M3',
      'F8_E5M2',
      'F4',
      'Q4',
      '',
      5,
      null,
    ]);
    name += `=${String(target.dtype)}`;
  } else if (kind === 'shape') {
    const shape = Array.isArray(target.shape) ? [...(target.shape as number[])] : [];
    const op = pick(r, ['set', 'push', 'pop', 'type']);
    if (op === 'set' && shape.length > 0) shape[int(r, 0, shape.length - 1)] = nastyInt(r, Number(shape[0]));
    else if (op === 'push') shape.push(nastyInt(r, 4));
    else if (op === 'pop') shape.pop();
    target.shape = op === 'type' ? (pick(r, ['2x2', null, [1.5, 2], [[1]]]) as never) : shape;
    name += `-${op}`;
  } else if (kind === 'offsets') {
    const offs = Array.isArray(target.data_offsets) ? [...(target.data_offsets as number[])] : [0, 0];
    const op = pick(r, ['begin', 'end', 'swap', 'type', 'len']);
    if (op === 'begin') offs[0] = nastyInt(r, Number(offs[0]));
    else if (op === 'end') offs[1] = nastyInt(r, Number(offs[1]));
    else if (op === 'swap') offs.reverse();
    else if (op === 'len') offs.push(0);
    target.data_offsets = op === 'type' ? (pick(r, ['0,4', null, [0.5, 4]]) as never) : offs;
    name += `-${op}`;
  } else {
    (header as Record<string, unknown>)[names.length > 0 ? pick(r, names) : 'w'] = pick(r, [null, 5, 'x', [], {}]);
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return { name, bytes: out };
}
