/**
 * Tensor values stored in TensorProto's typed fields (float_data, int32_data, double_data
 * …) rather than raw_data: packed or one tag per element, int32_data holding one element
 * per entry for 8- to 32-bit types (16- and 8-bit floats as their bit patterns) and two
 * 4-bit elements per entry (onnx.proto, TensorProto comments). The walker (wire.ts) has
 * recorded where each run lies; nothing is read before describeTensor (decode.ts) checked
 * the entry count against the stored bytes.
 */
import { FormatError } from '../../errors.js';
import type { DType } from '../../types.js';
import { bf16ToNumber, f16ToNumber, f8e4m3ToNumber, f8e5m2ToNumber } from '../dtype.js';
import type { FileSource } from '../file.js';
import type { OnnxElementType } from './schema.js';
import { varintEnd, type DataPiece } from './wire.js';

/** Where a tensor's values lie when they are in one of its typed fields. */
export interface TypedStorage {
  readonly kind: 'typed';
  readonly field: string;
  readonly pieces: readonly DataPiece[];
  /** Bytes per element for fixed-width fields (4 or 8); absent for varint fields. */
  readonly width?: number;
}

/** Two 4-bit elements per byte, low nibble first, into out[at…] (stops at out's end). */
export function unpackNibbles(bytes: Uint8Array, out: Float64Array, at: number, signed: boolean): void {
  const end = Math.min(out.length, at + 2 * bytes.length);
  for (let i = at; i < end; i++) {
    const b = bytes[(i - at) >> 1]!;
    const nib = (i - at) & 1 ? b >> 4 : b & 0x0f;
    out[i] = signed && nib >= 8 ? nib - 16 : nib;
  }
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

/**
 * The `count` values of a tensor stored in a typed field, as float64. `who` names the
 * tensor in errors. Unpacked runs carry a tag before every element; int32_data entries
 * are range-checked for the element type before conversion.
 */
export async function readTyped(
  who: string,
  elem: OnnxElementType,
  count: number,
  s: TypedStorage,
  model: FileSource,
): Promise<Float64Array> {
  const dtype = elem.dtype;
  const nibbles = dtype === 'I4' || dtype === 'U4';
  const entries = nibbles ? Math.ceil(count / 2) : count;
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
        pos = varintEnd(bytes, pos, bytes.length);
        if (pos < 0) throw new FormatError(`${who} has a malformed ${s.field}`);
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
          throw new FormatError(`${who} has value ${r.value} in ${s.field}, out of range for ${elem.name}`);
        }
        put(entry.conv(r.value));
      }
    }
  }
  if (n !== entries) throw new FormatError(`${who} has ${n} values in ${s.field} but shape needs ${entries}`);
  if (!nibbles) return vals;
  const out = new Float64Array(count);
  unpackNibbles(Uint8Array.from(vals), out, 0, dtype === 'I4');
  return out;
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
