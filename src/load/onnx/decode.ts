/**
 * One TensorProto: its declared type and shape checked against the data it stores, and
 * its values read on demand. The storage rules are onnx.proto's (TensorProto comments) and
 * docs/ExternalData.md:
 *   - values live in exactly one of raw_data (little-endian, fixed width, 4-bit types two
 *     per byte, low nibble first), a typed field (float_data, int32_data, …), or an
 *     external file (data_location = EXTERNAL, external_data {location, offset, length});
 *   - int32_data holds one element per entry for 8- to 32-bit types (float16/bfloat16/
 *     float8 as their bit patterns) and two 4-bit elements (one byte) per entry.
 * Every check happens here, before anything is allocated, so a shape that claims more
 * elements than the stored bytes can hold is refused without trying.
 */
import { FormatError } from '../../errors.js';
import type { DType } from '../../types.js';
import { bf16ToNumber, f16ToNumber, f8e4m3ToNumber, f8e5m2ToNumber, widen } from '../dtype.js';
import type { FileSource } from '../file.js';
import { type ExternalFiles, type ExternalStorage, locateExternal } from './external.js';
import { ELEMENT_TYPES, packedBytes, packedWidth, type OnnxElementType } from './schema.js';
import { readVarint, type DataPiece, type WalkedMessage } from './wire.js';

/** Tensors of higher rank are refused (ONNX has no limit; real tensors have ≤ 8 dims). */
export const MAX_RANK = 32;

export type Storage =
  /** No elements: nothing stored. */
  | { readonly kind: 'empty' }
  /** raw_data inside the model file. */
  | { readonly kind: 'raw'; readonly offset: number; readonly length: number }
  /** One of float_data, int32_data, … inside the model file. */
  | { readonly kind: 'typed'; readonly field: string; readonly pieces: readonly DataPiece[]; readonly width?: number }
  /** An external data file, resolved under the model's symlink policy and kept open. */
  | ExternalStorage;

/** A TensorProto whose storage has been checked; values not yet read. */
export interface TensorInfo {
  readonly name: string;
  readonly shape: readonly number[];
  readonly count: number;
  readonly elem: OnnxElementType;
  /** Why its values cannot be read even though the type is known (segmented tensors). */
  readonly unsupported?: string;
  readonly storage: Storage;
  /** Bytes the values occupy where they are stored. */
  readonly byteLength: number;
  /** Identical for identical storage: the same bytes reached twice are one tensor. */
  readonly storageKey: string;
  /** File offset of the TensorProto itself, for file-order listing. */
  readonly position: number;
}

/** Converts an int64 decoded by protobufjs (number or Long) to a safe integer. */
export function toSafeInt(v: unknown, what: () => string): number {
  let n: number | undefined;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'object' && v !== null && 'low' in v && 'high' in v) {
    const l = v as { low: number; high: number; unsigned?: boolean };
    // Common case first: a small non-negative value in the low word.
    if (l.high === 0) return l.low >>> 0;
    let big = (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
    if (!l.unsigned && l.high < 0) big -= 1n << 64n;
    n = big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : undefined;
  } else if (typeof v === 'string' && /^-?\d+$/.test(v)) {
    const big = BigInt(v);
    n = big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : undefined;
  }
  if (n === undefined || !Number.isSafeInteger(n)) throw new FormatError(`${what()} is not an integer below 2^53`);
  return n;
}

function tensorLabel(name: string): string {
  return name === '' ? 'an unnamed tensor' : `tensor '${name}'`;
}

/**
 * Checks a walked TensorProto and locates its values. `name` is how the tensor is known
 * in the graph (a Constant's output name when the TensorProto has none).
 */
export async function describeTensor(
  msg: WalkedMessage,
  name: string,
  modelPath: string,
  external: ExternalFiles,
): Promise<TensorInfo> {
  const who = tensorLabel(name);
  const f = msg.fields;
  const dataType = toSafeInt(f.data_type ?? 0, () => `${who} data_type`);
  if (dataType === 0) throw new FormatError(`${who} has no data_type`);
  const elem = ELEMENT_TYPES.get(dataType);
  if (elem === undefined) throw new FormatError(`${who} has unknown data_type ${dataType}`);

  const dims = (f.dims ?? []) as unknown[];
  if (dims.length > MAX_RANK) throw new FormatError(`${who} has ${dims.length} dimensions (more than ${MAX_RANK})`);
  const shape: number[] = [];
  let count = 1;
  for (const d of dims) {
    const n = toSafeInt(d, () => `${who} dimension ${shape.length}`);
    if (n < 0) throw new FormatError(`${who} has a negative dimension ${n}`);
    shape.push(n);
    count *= n;
  }
  // Checked after the loop: a zero dimension makes any product valid (an empty tensor).
  if (!Number.isSafeInteger(count))
    throw new FormatError(`${who} has shape [${shape.join(', ')}], too many elements to address`);

  // data_location is a closed (proto2) enum: protobufjs keeps an unknown value aside in
  // $unknowns instead of setting the field. Nothing else lands there: the walker gathers
  // only known fields.
  const unknowns = (f as { $unknowns?: Uint8Array[] }).$unknowns;
  if (unknowns !== undefined && unknowns.length > 0) {
    const raw = unknowns[0]!;
    const value = readVarint(raw, readVarint(raw, 0, raw.length).next, raw.length).value;
    throw new FormatError(`${who} has unknown data_location ${value}`);
  }
  const location = toSafeInt(f.data_location ?? 0, () => `${who} data_location`);
  if (location !== 0 && location !== 1) throw new FormatError(`${who} has unknown data_location ${location}`);
  const present = [...msg.data.entries()].filter(([, d]) => d.pieces.length > 0).map(([k]) => k);
  if (present.length > 1) throw new FormatError(`${who} stores its values in both ${present[0]} and ${present[1]}`);
  const fieldName = present[0];

  const expectedBytes = elem.bits === undefined ? undefined : packedBytes(count, elem.bits);
  const position = msg.offset;
  const base = { name, shape, count, elem, position };
  const unsupported =
    f.segment !== null && f.segment !== undefined ? 'is a segment of a larger tensor (not supported)' : undefined;

  if (location === 1) {
    if (fieldName !== undefined)
      throw new FormatError(`${who} has external data and also ${fieldName} in the model file`);
    const storage = await locateExternal(f.external_data, who, expectedBytes, external);
    return {
      ...base,
      unsupported,
      storage,
      byteLength: storage.length,
      storageKey: `${storage.path}@${storage.offset}+${storage.length}`,
    };
  }
  if (fieldName === undefined) {
    if (count !== 0 && unsupported === undefined)
      throw new FormatError(`${who} has shape [${shape.join(', ')}] but stores no values`);
    return {
      ...base,
      unsupported,
      storage: { kind: 'empty' },
      byteLength: 0,
      storageKey: `${modelPath}#empty@${position}`,
    };
  }
  const field = msg.data.get(fieldName)!;
  if (fieldName === 'raw_data') {
    const piece = field.pieces[0]!;
    if (expectedBytes !== undefined && piece.length !== expectedBytes && unsupported === undefined) {
      throw new FormatError(
        `${who} has ${piece.length} bytes of raw_data but shape [${shape.join(', ')}] of ${elem.name} needs ${expectedBytes}`,
      );
    }
    return {
      ...base,
      unsupported,
      storage: { kind: 'raw', offset: piece.offset, length: piece.length },
      byteLength: piece.length,
      storageKey: `${modelPath}@${piece.offset}+${piece.length}`,
    };
  }
  if (elem.field !== fieldName) throw new FormatError(`${who} of type ${elem.name} stores its values in ${fieldName}`);
  const width = packedWidth(field.field);
  const storage: Storage = { kind: 'typed', field: fieldName, pieces: field.pieces, width };
  const bytes = field.pieces.reduce((a, p) => a + p.length, 0);
  if (unsupported === undefined) checkTypedCount(field.pieces, width, fieldName, elem, count, who);
  return {
    ...base,
    unsupported,
    storage,
    byteLength: bytes,
    storageKey: `${modelPath}#${fieldName}@${field.pieces[0]!.offset}+${bytes}`,
  };
}

/** Entries a typed field must hold for `count` elements (4-bit types pack two per entry; complex two per element). */
function typedEntries(elem: OnnxElementType, count: number): number {
  if (elem.bits === 4) return Math.ceil(count / 2);
  if (elem.bits === 2) return Math.ceil(count / 4);
  if (elem.name === 'COMPLEX64' || elem.name === 'COMPLEX128') return 2 * count;
  return count;
}

function checkTypedCount(
  pieces: readonly DataPiece[],
  width: number | undefined,
  field: string,
  elem: OnnxElementType,
  count: number,
  who: string,
): void {
  const want = typedEntries(elem, count);
  if (field === 'string_data') {
    if (pieces.length !== want)
      throw new FormatError(`${who} has ${pieces.length} strings in string_data, expected ${want}`);
    return;
  }
  let exact = 0;
  let packedBytesTotal = 0;
  for (const p of pieces) {
    if (!p.packed) exact += p.count;
    else if (width !== undefined) {
      if (p.length % width !== 0)
        throw new FormatError(`${who} has ${p.length} bytes of ${field}, not a multiple of ${width}`);
      exact += p.length / width;
    } else packedBytesTotal += p.length;
  }
  if (width !== undefined || packedBytesTotal === 0) {
    if (exact !== want) throw new FormatError(`${who} has ${exact} values in ${field} but shape needs ${want}`);
    return;
  }
  // Packed varints: 1 to 10 bytes each. The exact count is checked when read.
  const most = exact + packedBytesTotal;
  const least = exact + Math.ceil(packedBytesTotal / 10);
  if (want > most || want < least) {
    throw new FormatError(
      `${who} has ${least === most ? most : `${least}–${most}`} values in ${field} but shape needs ${want}`,
    );
  }
}

/** Reads the stored bytes of raw or external storage. */
async function readStored(info: TensorInfo, model: FileSource): Promise<Uint8Array> {
  const s = info.storage;
  const what = tensorLabel(info.name);
  if (s.kind === 'raw') return model.read(s.offset, s.length, what);
  if (s.kind !== 'external') throw new Error('unreachable');
  // The file may have been truncated since it was opened: the bounds are checked again.
  if (s.offset + s.length > (await s.file.currentSize())) {
    throw new FormatError(`${what} points past the end of its data file '${s.location}'`);
  }
  return s.file.read(s.offset, s.length, what);
}

/**
 * Reads a tensor's values as float64: floats widened, integers (quantized data, zero
 * points) as their integer values. Types without a decoder throw.
 */
export async function readValues(info: TensorInfo, model: FileSource): Promise<Float64Array> {
  const who = tensorLabel(info.name);
  const dtype = info.elem.dtype;
  if (info.unsupported !== undefined) throw new FormatError(`${who} ${info.unsupported}`);
  if (dtype === 'OTHER' || dtype === 'I64' || dtype === 'U64' || dtype === 'STRING') {
    throw new FormatError(`${who} has type ${info.elem.name}, which rmt-analyze cannot decode`);
  }
  const s = info.storage;
  if (s.kind === 'empty') return new Float64Array(0);
  if (s.kind === 'raw' || s.kind === 'external') {
    const bytes = await readStored(info, model);
    if (dtype === 'I4' || dtype === 'U4') return unpackNibbles(bytes, info.count, dtype === 'I4');
    return widen(bytes, dtype, info.count);
  }
  return readTyped(info, s, model);
}

function unpackNibbles(bytes: Uint8Array, count: number, signed: boolean): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const b = bytes[i >> 1]!;
    const nib = i & 1 ? b >> 4 : b & 0x0f;
    out[i] = signed && nib >= 8 ? nib - 16 : nib;
  }
  return out;
}

/** Element decoders for int32_data entries: range-checked, then converted. */
const INT32_ENTRY: Partial<Record<DType, { min: number; max: number; conv: (v: number) => number }>> = {
  F16: { min: 0, max: 0xffff, conv: f16ToNumber },
  BF16: { min: 0, max: 0xffff, conv: bf16ToNumber },
  F8_E4M3: { min: 0, max: 0xff, conv: f8e4m3ToNumber },
  F8_E5M2: { min: 0, max: 0xff, conv: f8e5m2ToNumber },
  I8: { min: -128, max: 127, conv: (v) => v },
  U8: { min: 0, max: 255, conv: (v) => v },
  I16: { min: -32768, max: 32767, conv: (v) => v },
  U16: { min: 0, max: 65535, conv: (v) => v },
  I32: { min: -2147483648, max: 2147483647, conv: (v) => v },
  BOOL: { min: 0, max: 1, conv: (v) => v },
  // 4-bit: one byte per entry, handled by the caller.
  I4: { min: 0, max: 255, conv: (v) => v },
  U4: { min: 0, max: 255, conv: (v) => v },
};

async function readTyped(
  info: TensorInfo,
  s: Extract<Storage, { kind: 'typed' }>,
  model: FileSource,
): Promise<Float64Array> {
  const who = tensorLabel(info.name);
  const dtype = info.elem.dtype;
  const nibbles = dtype === 'I4' || dtype === 'U4';
  const entries = nibbles ? Math.ceil(info.count / 2) : info.count;
  // Allocation justified: describeTensor checked `entries` against the stored bytes.
  const vals = new Float64Array(entries);
  let n = 0;
  const put = (v: number): void => {
    if (n >= entries) throw new FormatError(`${who} has more values in ${s.field} than its shape holds`);
    vals[n++] = v;
  };
  const entry = s.field === 'int32_data' ? INT32_ENTRY[dtype] : undefined;
  if (s.field === 'int32_data' && entry === undefined)
    throw new FormatError(`${who}: cannot read ${dtype} from int32_data`);
  for (const p of s.pieces) {
    const bytes = await model.read(p.offset, p.length, who);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let pos = 0;
    while (pos < bytes.length) {
      if (!p.packed) {
        // Unpacked run: a tag before every element (its field was checked by the walker).
        const t = readVarint(bytes, pos, bytes.length);
        if (t.next < 0) throw new FormatError(`${who} has a malformed ${s.field}`);
        pos = t.next;
      }
      if (s.width === 4) {
        if (pos + 4 > bytes.length) throw new FormatError(`${who} has a malformed ${s.field}`);
        put(view.getFloat32(pos, true));
        pos += 4;
      } else if (s.width === 8) {
        if (pos + 8 > bytes.length) throw new FormatError(`${who} has a malformed ${s.field}`);
        put(view.getFloat64(pos, true));
        pos += 8;
      } else {
        const r = readInt32Varint(bytes, pos);
        if (r.next < 0) throw new FormatError(`${who} has a malformed varint in ${s.field}`);
        pos = r.next;
        if (entry === undefined) throw new FormatError(`${who}: cannot read ${dtype} from ${s.field}`);
        if (r.value < entry.min || r.value > entry.max) {
          throw new FormatError(`${who} has value ${r.value} in ${s.field}, out of range for ${info.elem.name}`);
        }
        put(entry.conv(r.value));
      }
    }
  }
  if (n !== entries) throw new FormatError(`${who} has ${n} values in ${s.field} but shape needs ${entries}`);
  if (!nibbles) return vals;
  const packed = Uint8Array.from(vals);
  return unpackNibbles(packed, info.count, dtype === 'I4');
}

/**
 * A varint read as protobuf int32: the low 32 bits, two's complement (negative int32s are
 * written sign-extended to 10 bytes). next = −1 when malformed or truncated.
 */
function readInt32Varint(bytes: Uint8Array, pos: number): { value: number; next: number } {
  let lo = 0;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= bytes.length) return { value: 0, next: -1 };
    const b = bytes[pos + i]!;
    if (i === 9 && b > 1) return { value: 0, next: -1 };
    if (i < 5) lo |= (b & 0x7f) << (7 * i);
    if ((b & 0x80) === 0) return { value: lo | 0, next: pos + i + 1 };
  }
  return { value: 0, next: -1 };
}
