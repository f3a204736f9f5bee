/**
 * Element types: their sizes, and widening of stored little-endian bytes to float64.
 * Shared by every loader so that an F16 value reads the same from ONNX and safetensors.
 */
import type { DType } from '../types.js';
import { FormatError } from '../errors.js';
import type { FileSource } from './file.js';
import { wasmKernels, wasmScratch } from '../spectrum/wasm.js';
import { Turns, TURN_ELEMENTS } from './turns.js';

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

let f16Values: Float64Array | undefined;

/** All 65,536 half-precision values, built on first use (not at every start of the CLI). */
function f16Table(): Float64Array {
  f16Values ??= buildF16Table();
  return f16Values;
}

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
  return f16Table()[bits & 0xffff]!;
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

/**
 * Typed-array views read the host's byte order, and the stored values are little-endian: on a
 * little-endian host (every platform Node ships for but s390x) values are read through a view
 * (issue 14: the widening is on the main thread's critical path), with the same values as a
 * DataView; on a big-endian host through a DataView.
 */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bytes of an unaligned chunk copied at a time to a fresh (aligned) buffer, for its view. */
const ALIGN_BLOCK_BYTES = 1 << 20;

/**
 * `fromView` (which reads `src` through a view of `size`-byte elements) on `src` itself when it
 * is aligned, else on aligned copies of ≤ 1 MiB of it. A copy is a memcpy; reading an
 * unaligned ONNX raw_data through a DataView loop shared by every type (a call V8 could not
 * inline) took 36 ns per element, 0.1 s of a 10 MB model (issue 14).
 */
function viaAlignedView(size: number, fromView: Widener): Widener {
  return (src, out) => {
    if (src.byteOffset % size === 0) return fromView(src, out);
    const per = ALIGN_BLOCK_BYTES / size;
    for (let i = 0; i < out.length; i += per) {
      const n = Math.min(per, out.length - i);
      fromView(src.slice(i * size, (i + n) * size), out.subarray(i, i + n));
    }
  };
}

/** Widens through a DataView (big-endian hosts): one function per type, so `read` is inlined. */
function viaDataView(read: (v: DataView, offset: number) => number, size: number): Widener {
  return (src, out) => {
    const v = new DataView(src.buffer, src.byteOffset, src.byteLength);
    for (let i = 0, o = 0; i < out.length; i++, o += size) out[i] = read(v, o);
  };
}

/** The F16 widener in TypeScript: widenF16Kernel's twin and fallback (wasm.ts), the same values. */
const widenF16Aligned: Widener = viaAlignedView(2, (src, out) => {
  const bits = new Uint16Array(src.buffer, src.byteOffset, out.length);
  // out's own 32-bit words (little-endian: the high word of out[i] is words[2i + 1]).
  const words = new Uint32Array(out.buffer, out.byteOffset, 2 * out.length);
  const table = f16Table();
  for (let i = 0; i < out.length; i++) {
    const h = bits[i]!;
    const exp = h & 0x7c00;
    if (exp === 0 || exp === 0x7c00) {
      // Zero, subnormal, ±∞, NaN: rare, from the table.
      out[i] = table[h]!;
    } else {
      // A normal half is a normal double with the same sign and fraction and the exponent
      // rebased (15 → 1023): its high word alone, the low word zero — the table's value,
      // without a lookup in a 512 KiB table per element (ISNet: 0.43 s of its main thread).
      words[2 * i] = 0;
      words[2 * i + 1] = ((h & 0x8000) << 16) | (((exp >> 10) + 1008) << 20) | ((h & 0x3ff) << 10);
    }
  }
});

/** Halves widened by the kernel per call: 64 KiB in, 256 KiB out, within L2. */
const F16_KERNEL_BLOCK = 32768;

/**
 * The F16 widener by the WebAssembly kernel (spectrum/wasm/widen.as.ts): each block of halves
 * copied into kernel memory (any alignment), widened there, copied out. Exact values, so the
 * same bits as widenF16Aligned; 3.3 → ~1 ns a value on ISNet's weights (issue 14). False
 * without the kernels.
 */
function widenF16Kernel(src: Uint8Array, out: Float64Array): boolean {
  const k = wasmKernels('sync');
  if (k === undefined) return false;
  const block = Math.min(F16_KERNEL_BLOCK, out.length);
  // Float64 results at the start, the halves after them.
  const dst = wasmScratch(k, block + Math.ceil(block / 4)).subarray(0, block);
  const halves = new Uint8Array(dst.buffer, block * 8, 2 * block);
  for (let i = 0; i < out.length; i += block) {
    const m = Math.min(block, out.length - i);
    halves.set(src.subarray(2 * i, 2 * (i + m)));
    k.widenF16(block * 8, m, 0);
    out.set(m === block ? dst : dst.subarray(0, m), i);
  }
  return true;
}

const LITTLE_ENDIAN_WIDENERS: Partial<Record<DType, Widener>> = {
  F64: viaAlignedView(8, (src, out) => out.set(new Float64Array(src.buffer, src.byteOffset, out.length))),
  F32: viaAlignedView(4, (src, out) => out.set(new Float32Array(src.buffer, src.byteOffset, out.length))),
  F16: (src, out) => {
    if (!widenF16Kernel(src, out)) widenF16Aligned(src, out);
  },
  BF16: viaAlignedView(2, (src, out) => {
    const bits = new Uint16Array(src.buffer, src.byteOffset, out.length);
    for (let i = 0; i < out.length; i++) out[i] = bf16ToNumber(bits[i]!);
  }),
  I8: (src, out) => out.set(new Int8Array(src.buffer, src.byteOffset, out.length)),
  I16: viaAlignedView(2, (src, out) => out.set(new Int16Array(src.buffer, src.byteOffset, out.length))),
  U16: viaAlignedView(2, (src, out) => out.set(new Uint16Array(src.buffer, src.byteOffset, out.length))),
  I32: viaAlignedView(4, (src, out) => out.set(new Int32Array(src.buffer, src.byteOffset, out.length))),
  U32: viaAlignedView(4, (src, out) => out.set(new Uint32Array(src.buffer, src.byteOffset, out.length))),
};

const BIG_ENDIAN_WIDENERS: Partial<Record<DType, Widener>> = {
  F64: viaDataView((v, o) => v.getFloat64(o, true), 8),
  F32: viaDataView((v, o) => v.getFloat32(o, true), 4),
  F16: viaDataView((v, o) => f16ToNumber(v.getUint16(o, true)), 2),
  BF16: viaDataView((v, o) => bf16ToNumber(v.getUint16(o, true)), 2),
  I8: viaDataView((v, o) => v.getInt8(o), 1),
  I16: viaDataView((v, o) => v.getInt16(o, true), 2),
  U16: viaDataView((v, o) => v.getUint16(o, true), 2),
  I32: viaDataView((v, o) => v.getInt32(o, true), 4),
  U32: viaDataView((v, o) => v.getUint32(o, true), 4),
};

/** Single bytes have no order: the same on every host. */
const BYTE_WIDENERS: Partial<Record<DType, Widener>> = {
  F8_E4M3: (src, out) => {
    for (let i = 0; i < out.length; i++) out[i] = f8e4m3ToNumber(src[i]!);
  },
  F8_E5M2: (src, out) => {
    for (let i = 0; i < out.length; i++) out[i] = f8e5m2ToNumber(src[i]!);
  },
  // A typed-array copy converts in native code: 0.9 against 2.2 ns a value for the loop.
  U8: (src, out) => out.set(src.length === out.length ? src : src.subarray(0, out.length)),
};

const WIDENERS: Partial<Record<DType, Widener>> = {
  ...(LITTLE_ENDIAN ? LITTLE_ENDIAN_WIDENERS : BIG_ENDIAN_WIDENERS),
  ...BYTE_WIDENERS,
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
 * What a reader does to elements [from, to) of its float64 output right after widening them
 * (e.g. dequantize them: onnx/quant.ts dequantizeRange), while they are still in cache.
 * Element i is out[i − base] (base 0: out is the whole tensor; else a stretch of it).
 */
export type WidenedPiece = (out: Float64Array, from: number, to: number, base?: number) => void;

/** Elements widened before a WidenedPiece runs on them: 128 KiB of float64, well within L2. */
export const PIECE_ELEMENTS = 16384;

/**
 * Reads `count` elements of `dtype` stored at [offset, offset + count·size) of `source` and
 * widens them to float64 chunk by chunk: peak memory is the float64 array plus one chunk.
 * With `piece`, widens PIECE_ELEMENTS at a time and hands each stretch to it at once.
 */
export async function readWidened(
  source: FileSource,
  offset: number,
  dtype: DType,
  count: number,
  what: string,
  chunkBytes?: number,
  piece?: WidenedPiece,
): Promise<Float64Array> {
  const size = elementSize(dtype);
  const out = allocateFloat64(count, what);
  // Widened a piece at a time, with a turn of the event loop between (load/turns.ts).
  const turns = new Turns();
  const step = piece ? PIECE_ELEMENTS : TURN_ELEMENTS;
  const take = async (chunk: Uint8Array, at: number) => {
    const first = at / size;
    const n = Math.floor(chunk.byteLength / size);
    for (let i = 0; i < n; i += step) {
      const m = Math.min(step, n - i);
      widenInto(chunk.subarray(i * size, (i + m) * size), dtype, out, first + i);
      piece?.(out, first + i, first + i + m);
      const turn = turns.after(m);
      if (turn) await turn;
    }
  };
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
