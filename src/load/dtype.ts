/**
 * Element types: their sizes, and widening of stored little-endian bytes to float64.
 * Shared by every loader so that an F16 value reads the same from ONNX and safetensors.
 */
import type { DType } from '../types.js';
import { FormatError } from '../errors.js';
import type { FileSource } from './file.js';

/** Bytes per element; 0.5 for 4-bit types; undefined where the size is not fixed. */
export function bytesPerElement(dtype: DType): number | undefined {
  switch (dtype) {
    case 'F64':
    case 'I64':
    case 'U64':
    case 'C64':
      return 8;
    case 'C128':
      return 16;
    case 'F32':
    case 'I32':
    case 'U32':
      return 4;
    case 'F16':
    case 'BF16':
    case 'I16':
    case 'U16':
      return 2;
    case 'F8_E4M3':
    case 'F8_E5M2':
    case 'I8':
    case 'U8':
    case 'BOOL':
      return 1;
    case 'I4':
    case 'U4':
      return 0.5;
    case 'STRING':
    case 'OTHER':
      return undefined;
  }
}

/** Types that can be widened to float64 by `widen` (floats and integers up to 32 bits). */
export function isWidenable(dtype: DType): boolean {
  return WIDENERS[dtype] !== undefined;
}

const F16_TABLE = buildF16Table();

/** All 65,536 half-precision values, so that decoding is a table lookup. */
function buildF16Table(): Float64Array {
  const t = new Float64Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac === 0 ? sign * Infinity : NaN;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return t;
}

/** IEEE half from its 16 bits. */
export function f16ToNumber(bits: number): number {
  return F16_TABLE[bits & 0xffff]!;
}

/** bfloat16 from its 16 bits: the top half of a float32. */
export function bf16ToNumber(bits: number): number {
  BF16_SCRATCH_U32[0] = (bits & 0xffff) << 16;
  return BF16_SCRATCH_F32[0]!;
}
const BF16_SCRATCH_F32 = new Float32Array(1);
const BF16_SCRATCH_U32 = new Uint32Array(BF16_SCRATCH_F32.buffer);

/** OCP FP8 E4M3 (the "FN" variant: no infinities, 0x7f/0xff are NaN). */
export function f8e4m3ToNumber(byte: number): number {
  const sign = byte & 0x80 ? -1 : 1;
  const exp = (byte >> 3) & 0xf;
  const frac = byte & 0x7;
  if (exp === 15 && frac === 7) return NaN;
  if (exp === 0) return sign * frac * 2 ** -9;
  return sign * (1 + frac / 8) * 2 ** (exp - 7);
}

/** OCP FP8 E5M2: IEEE-like with infinities and NaNs. */
export function f8e5m2ToNumber(byte: number): number {
  return f16ToNumber((byte & 0xff) << 8);
}

/** Widens as many elements as `out` holds from the start of `src` (checked by the caller). */
type Widener = (src: Uint8Array, out: Float64Array) => void;

function viaView(read: (v: DataView, offset: number) => number, size: number): Widener {
  return (src, out) => {
    const v = new DataView(src.buffer, src.byteOffset, src.byteLength);
    for (let i = 0, o = 0; i < out.length; i++, o += size) out[i] = read(v, o);
  };
}

/**
 * Typed-array views read the host's byte order, and the stored values are little-endian: on a
 * little-endian host (every platform Node ships for but s390x) an aligned chunk is read through
 * a view, 3× faster than a DataView loop (issue 14: the widening is on the main thread's
 * critical path), with the same values; otherwise, or unaligned, through the DataView.
 */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function aligned(src: Uint8Array, size: number): boolean {
  return LITTLE_ENDIAN && src.byteOffset % size === 0;
}

const F64_VIA_VIEW = viaView((v, o) => v.getFloat64(o, true), 8);
const F32_VIA_VIEW = viaView((v, o) => v.getFloat32(o, true), 4);

const WIDENERS: Partial<Record<DType, Widener>> = {
  F64: (src, out) => {
    if (aligned(src, 8)) out.set(new Float64Array(src.buffer, src.byteOffset, out.length));
    else F64_VIA_VIEW(src, out);
  },
  F32: (src, out) => {
    if (aligned(src, 4)) out.set(new Float32Array(src.buffer, src.byteOffset, out.length));
    else F32_VIA_VIEW(src, out);
  },
  F16: (src, out) => {
    if (aligned(src, 2)) {
      const bits = new Uint16Array(src.buffer, src.byteOffset, out.length);
      for (let i = 0; i < out.length; i++) out[i] = F16_TABLE[bits[i]!]!;
    } else {
      for (let i = 0, o = 0; i < out.length; i++, o += 2) out[i] = F16_TABLE[src[o]! | (src[o + 1]! << 8)]!;
    }
  },
  BF16: (src, out) => {
    if (aligned(src, 2)) {
      const bits = new Uint16Array(src.buffer, src.byteOffset, out.length);
      for (let i = 0; i < out.length; i++) out[i] = bf16ToNumber(bits[i]!);
    } else {
      for (let i = 0, o = 0; i < out.length; i++, o += 2) out[i] = bf16ToNumber(src[o]! | (src[o + 1]! << 8));
    }
  },
  F8_E4M3: (src, out) => {
    for (let i = 0; i < out.length; i++) out[i] = f8e4m3ToNumber(src[i]!);
  },
  F8_E5M2: (src, out) => {
    for (let i = 0; i < out.length; i++) out[i] = f8e5m2ToNumber(src[i]!);
  },
  I8: viaView((v, o) => v.getInt8(o), 1),
  U8: (src, out) => {
    for (let i = 0; i < out.length; i++) out[i] = src[i]!;
  },
  I16: viaView((v, o) => v.getInt16(o, true), 2),
  U16: viaView((v, o) => v.getUint16(o, true), 2),
  I32: viaView((v, o) => v.getInt32(o, true), 4),
  U32: viaView((v, o) => v.getUint32(o, true), 4),
};

/**
 * Widens `count` little-endian elements of `dtype` stored in `src` to float64.
 * Throws FormatError when the byte length does not match or the type cannot be widened.
 */
export function widen(src: Uint8Array, dtype: DType, count: number): Float64Array {
  const size = elementSize(dtype);
  if (src.byteLength !== count * size) {
    throw new FormatError(`${dtype} data has ${src.byteLength} bytes, expected ${count * size} for ${count} elements`);
  }
  const out = new Float64Array(count);
  widenInto(src, dtype, out, 0);
  return out;
}

/** Bytes per element of a type `widen` can read; throws FormatError for any other type. */
export function elementSize(dtype: DType): number {
  const size = bytesPerElement(dtype);
  if (size === undefined || WIDENERS[dtype] === undefined || !Number.isInteger(size)) {
    throw new FormatError(`cannot read ${dtype} values as numbers`);
  }
  return size;
}

/**
 * Widens the whole elements in `src` into `out` starting at element `at`: one chunk of a
 * tensor read piece by piece (src/load/file.ts readChunks), so that a tensor larger than
 * one read is widened without holding all its raw bytes.
 */
export function widenInto(src: Uint8Array, dtype: DType, out: Float64Array, at: number): void {
  const size = elementSize(dtype);
  const n = Math.floor(src.byteLength / size);
  if (at + n > out.length) throw new FormatError(`${dtype} data holds more elements than its shape`);
  WIDENERS[dtype]!(src, out.subarray(at, at + n));
}

/**
 * Reads `count` elements of `dtype` stored at [offset, offset + count·size) of `source` and
 * widens them to float64 chunk by chunk: peak memory is the float64 array plus one chunk.
 */
export async function readWidened(
  source: FileSource,
  offset: number,
  dtype: DType,
  count: number,
  what: string,
  chunkBytes?: number,
): Promise<Float64Array> {
  const size = elementSize(dtype);
  const out = allocateFloat64(count, what);
  const take = (chunk: Uint8Array, at: number) => widenInto(chunk, dtype, out, at / size);
  await source.readChunks(offset, count * size, what, take, chunkBytes);
  return out;
}

/**
 * Elements [first, first + count) of a tensor of `total` fixed-width elements stored from
 * `offset`: the same chunked widening as the whole tensor, from first·size bytes further on.
 */
export async function readWidenedRange(
  source: FileSource,
  offset: number,
  dtype: DType,
  total: number,
  first: number,
  count: number,
  what: string,
): Promise<Float64Array> {
  checkElementRange(first, count, total, what);
  return readWidened(source, offset + first * elementSize(dtype), dtype, count, what);
}

/**
 * A float64 array of `count` elements, or FormatError when memory cannot hold it (V8
 * throws a RangeError, which would otherwise surface as an internal error).
 */
export function allocateFloat64(count: number, what: string): Float64Array {
  try {
    return new Float64Array(count);
  } catch (e) {
    if (e instanceof RangeError) {
      throw new FormatError(`${what} has ${count} elements, more than memory can hold as float64 (${e.message})`);
    }
    throw e;
  }
}

/** Throws (a programming error, never the file's) unless [first, first + count) lies in 0…total. */
export function checkElementRange(first: number, count: number, total: number, what: string): void {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(count) || first < 0 || count < 0 || first + count > total)
    throw new RangeError(`${what}: elements ${first}+${count} are outside its ${total}`);
}
