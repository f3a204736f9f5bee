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
import { allocateFloat64, readWidened, readWidenedRange, type WidenedPiece } from '../dtype.js';
import { type DealtPiece, readWidenedDealt } from '../dealt.js';
import type { DealtVisitor } from '../../types.js';
import type { FileSource } from '../file.js';
import { type ExternalFiles, type ExternalStorage, locateExternal } from './external.js';
import { scalarWidth } from './descriptors.js';
import { ELEMENT_TYPES, packedBytes, type OnnxElementType } from './schema.js';
import { readTyped, unpackNibbles, type TypedStorage } from './typed.js';
import { readVarint, type DataPiece, type WalkedMessage } from './wire.js';

/** Tensors of higher rank are refused (ONNX has no limit; real tensors have ≤ 8 dims). */
export const MAX_RANK = 32;

export type Storage =
  /** No elements: nothing stored. */
  | { readonly kind: 'empty' }
  /** raw_data inside the model file. */
  | { readonly kind: 'raw'; readonly offset: number; readonly length: number }
  /** One of float_data, int32_data, … inside the model file. */
  | TypedStorage
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

/**
 * Converts a decoded int64 (message.ts: a number when it is a safe integer, else its decimal
 * string) to a safe integer, or refuses it.
 */
export function toSafeInt(v: unknown, what: () => string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  throw new FormatError(`${what()} is not an integer below 2^53`);
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

  // data_location is a closed (proto2) enum: an unknown value is kept aside in $unknowns
  // instead of setting the field (message.ts). Nothing else lands there: the walker gathers
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
        `${who} has ${piece.length} bytes of raw_data ` +
          `but shape [${shape.join(', ')}] of ${elem.name} needs ${expectedBytes}`,
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
  const width = scalarWidth(field.field.type);
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

/**
 * Reads raw or external storage as float64, chunk by chunk (src/load/file.ts readChunks):
 * a tensor larger than one read (2 GiB) is widened piece by piece, never refused.
 */
async function readStored(info: TensorInfo, model: FileSource, piece?: WidenedPiece): Promise<Float64Array> {
  const s = info.storage;
  const what = tensorLabel(info.name);
  const file = await storedFile(info, model);
  if (s.kind !== 'raw' && s.kind !== 'external') throw new Error('unreachable');
  const dtype = info.elem.dtype;
  if (dtype !== 'I4' && dtype !== 'U4') return readWidened(file, s.offset, dtype, info.count, what, undefined, piece);
  const out = allocateFloat64(info.count, what);
  await file.readChunks(s.offset, s.length, what, (chunk, at) => unpackNibbles(chunk, out, 2 * at, dtype === 'I4'));
  piece?.(out, 0, out.length);
  return out;
}

/** Where raw or external values are, with an external file's bounds checked again. */
async function storedFile(info: TensorInfo, model: FileSource): Promise<FileSource> {
  const s = info.storage;
  if (s.kind !== 'raw' && s.kind !== 'external') throw new Error('unreachable');
  // External data is read through the descriptor kept since the model was opened; the file
  // may have been truncated meanwhile: the bounds are checked again.
  const file = s.kind === 'raw' ? model : s.file;
  if (s.kind === 'external' && s.offset + s.length > (await file.currentSize()))
    throw new FormatError(`${tensorLabel(info.name)} points past the end of its data file '${s.location}'`);
  return file;
}

/**
 * Whether elements of the tensor can be read by range (readRange): a float type of whole
 * bytes stored raw or externally. Typed fields (varints) and 4-bit packing cannot be indexed.
 */
export function rangeReadable(info: TensorInfo): boolean {
  const s = info.storage.kind;
  const dtype = info.elem.dtype;
  return (s === 'raw' || s === 'external') && info.elem.float === true && dtype !== 'I4' && dtype !== 'U4';
}

/**
 * Whether the tensor's values can be read dealt (TensorRef.readDealt): whole-byte elements
 * stored raw or externally, as readStored widens them (4-bit packing is unpacked whole).
 */
export function dealtReadable(info: TensorInfo): boolean {
  const s = info.storage.kind;
  const dtype = info.elem.dtype;
  return (s === 'raw' || s === 'external') && info.unsupported === undefined && dtype !== 'I4' && dtype !== 'U4';
}

/**
 * readValues' values dealt into `positions` arrays (load/dealt.ts; `visitor` as there), for
 * which dealtReadable holds.
 */
export async function readValuesDealt(
  info: TensorInfo,
  model: FileSource,
  positions: number,
  piece?: DealtPiece,
  visitor?: DealtVisitor,
): Promise<Float64Array[]> {
  const s = info.storage;
  const file = await storedFile(info, model);
  if (s.kind !== 'raw' && s.kind !== 'external') throw new Error('unreachable');
  const what = tensorLabel(info.name);
  return readWidenedDealt(file, s.offset, info.elem.dtype, info.count, positions, what, piece, visitor);
}

/** Elements [first, first + count) of a tensor for which rangeReadable holds. */
export async function readValueRange(
  info: TensorInfo,
  model: FileSource,
  first: number,
  count: number,
): Promise<Float64Array> {
  const s = info.storage;
  const file = await storedFile(info, model);
  if (s.kind !== 'raw' && s.kind !== 'external') throw new Error('unreachable');
  return readWidenedRange(file, s.offset, info.elem.dtype, info.count, first, count, tensorLabel(info.name));
}

/**
 * Reads a tensor's values as float64: floats widened, integers (quantized data, zero
 * points) as their integer values. Types without a decoder throw. `piece` runs on every
 * element once, on stretches just widened where the storage allows, else on the whole array.
 */
export async function readValues(info: TensorInfo, model: FileSource, piece?: WidenedPiece): Promise<Float64Array> {
  const who = tensorLabel(info.name);
  const dtype = info.elem.dtype;
  if (info.unsupported !== undefined) throw new FormatError(`${who} ${info.unsupported}`);
  if (dtype === 'OTHER' || dtype === 'I64' || dtype === 'U64' || dtype === 'STRING') {
    throw new FormatError(`${who} has type ${info.elem.name}, which rmt-analyze cannot decode`);
  }
  const s = info.storage;
  if (s.kind === 'empty') return new Float64Array(0);
  if (s.kind === 'raw' || s.kind === 'external') return readStored(info, model, piece);
  const out = await readTyped(who, info.elem, info.count, s, model);
  piece?.(out, 0, out.length);
  return out;
}
