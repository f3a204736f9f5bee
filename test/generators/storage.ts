/**
 * Rounding to storage formats, so that generated matrices carry the same rounding floor a
 * model file would: float32 via Math.fround, float16 and bfloat16 by round-to-nearest-even
 * on the float32 bit pattern (values are widened back to float64 for analysis).
 */
import type { DType } from '../../src/types.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Rounds to bfloat16 (8 significand bits), round-to-nearest-even. */
export function roundBf16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if ((bits & 0x7f800000) === 0x7f800000) return f32[0]!; // Inf/NaN unchanged
  const rounded = (bits + 0x7fff + ((bits >>> 16) & 1)) & 0xffff0000;
  u32[0] = rounded >>> 0;
  return f32[0]!;
}

/** Rounds to IEEE binary16 (11 significand bits, subnormals below 2^−14), nearest-even. */
export function roundF16(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  if (a >= 65520) return Math.sign(x) * Infinity;
  // Spacing of binary16 numbers around a: 2^(e − 10), with e ≥ −14 (subnormals).
  const e = Math.max(-14, Math.floor(Math.log2(a)));
  const ulp = Math.pow(2, e - 10);
  const q = a / ulp;
  let r = Math.round(q);
  if (Math.abs(q - Math.trunc(q) - 0.5) < 1e-12 && r % 2 === 1) r -= 1; // ties to even
  return Math.sign(x) * r * ulp;
}

/** Rounds every value as the dtype would store it (in place) and returns the array. */
export function storeAs(values: Float64Array, dtype: DType): Float64Array {
  const round = dtype === 'F32' ? Math.fround : dtype === 'F16' ? roundF16 : dtype === 'BF16' ? roundBf16 : undefined;
  if (round) for (let i = 0; i < values.length; i++) values[i] = round(values[i]!);
  return values;
}

/** Rounds to `bits` significand bits (no exponent limits): a generic low-precision float such as fp8 E4M3 (4). */
export function roundSignificand(x: number, bits: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const e = Math.floor(Math.log2(Math.abs(x)));
  const ulp = Math.pow(2, e - bits + 1);
  return Math.round(x / ulp) * ulp;
}

/** Symmetric per-tensor int8 quantization and back: q = round(x/scale), scale = max|x|/127. */
export function quantizeInt8(values: Float64Array): Float64Array {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]!));
  const scale = max / 127 || 1;
  return values.map((v) => Math.max(-127, Math.min(127, Math.round(v / scale))) * scale);
}
