/**
 * Storage schemes as model files use them, each returning the stored (dequantized) values
 * and, for quantization grids, the rounding-noise variance per entry that the file's loader
 * reports (TensorRef.stepNoise): onnxruntime's dynamic uint8 quantization (per tensor,
 * asymmetric: scale = (max(0, x_max) − min(0, x_min))/255, zero point round(−min/scale)),
 * symmetric int8 per output channel (axis 0, scale = max|x|/127), ggml's Q8_0, Q4_0 and Q4_1
 * (blocks of 32 along the last axis: ggml-quants.c quantize_row_q8_0/q4_0/q4_1_ref, scales
 * stored as f16), and the float casts (float32, float16, bfloat16: relative rounding, no grid).
 * Used to check that a layer keeps its phase at every precision (test/phase-precision.test.ts,
 * scripts/precision-pairs.ts).
 */
import type { DType } from '../../src/types.js';
import { roundF16, storeAs } from './storage.js';

export interface Stored {
  readonly values: Float64Array;
  readonly dtype: DType;
  /** step²/12 averaged over entries, for a quantization grid. */
  readonly stepNoise?: number;
}

export type Scheme = 'F32' | 'F16' | 'BF16' | 'U8' | 'I8-channel' | 'Q8_0' | 'Q4_0' | 'Q4_1';
export const SCHEMES: readonly Scheme[] = ['F32', 'F16', 'BF16', 'U8', 'I8-channel', 'Q8_0', 'Q4_0', 'Q4_1'];

/** The storage type a file would report for each scheme. */
export const SCHEME_DTYPE: Readonly<Record<Scheme, DType>> = {
  F32: 'F32',
  F16: 'F16',
  BF16: 'BF16',
  U8: 'U8',
  'I8-channel': 'I8',
  Q8_0: 'Q8_0',
  Q4_0: 'Q4_0',
  Q4_1: 'Q4_1',
};

/** Stores `values` (row-major, first axis of length `rows`) in `scheme`; does not modify them. */
export function store(values: Float64Array, rows: number, scheme: Scheme): Stored {
  switch (scheme) {
    case 'F32':
    case 'F16':
    case 'BF16':
      return { values: storeAs(values.slice(), scheme), dtype: scheme };
    case 'U8':
      return dynamicUint8(values);
    case 'I8-channel':
      return int8PerChannel(values, rows);
    default:
      return ggmlBlocks(values, scheme);
  }
}

function dynamicUint8(x: Float64Array): Stored {
  let lo = 0;
  let hi = 0;
  for (const v of x) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const scale = Math.fround((hi - lo) / 255) || 1;
  const zp = Math.max(0, Math.min(255, Math.round(-lo / scale)));
  const values = x.map((v) => (Math.max(0, Math.min(255, Math.round(v / scale) + zp)) - zp) * scale);
  return { values, dtype: 'U8', stepNoise: (scale * scale) / 12 };
}

function int8PerChannel(x: Float64Array, rows: number): Stored {
  const per = x.length / rows;
  const values = new Float64Array(x.length);
  let noise = 0;
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let i = r * per; i < (r + 1) * per; i++) max = Math.max(max, Math.abs(x[i]!));
    const scale = Math.fround(max / 127) || 1;
    for (let i = r * per; i < (r + 1) * per; i++) values[i] = Math.round(x[i]! / scale) * scale;
    noise += (scale * scale) / 12;
  }
  return { values, dtype: 'I8', stepNoise: noise / rows };
}

/** ggml's reference quantizers, blocks of 32 consecutive values (the length must divide). */
function ggmlBlocks(x: Float64Array, scheme: 'Q8_0' | 'Q4_0' | 'Q4_1'): Stored {
  if (x.length % 32 !== 0) throw new Error(`${scheme} needs a multiple of 32 values, got ${x.length}`);
  const values = new Float64Array(x.length);
  let noise = 0;
  for (let b = 0; b < x.length; b += 32) {
    let amax = 0;
    let max = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = b; i < b + 32; i++) {
      const v = x[i]!;
      if (Math.abs(v) > amax) {
        amax = Math.abs(v);
        max = v;
      }
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    let d: number;
    let m = 0;
    let level: (v: number) => number;
    if (scheme === 'Q8_0') {
      d = roundF16(amax / 127);
      level = (v) => (d === 0 ? 0 : Math.round(v / d));
    } else if (scheme === 'Q4_0') {
      d = roundF16(max / -8);
      level = (v) => (d === 0 ? 0 : Math.max(0, Math.min(15, Math.trunc(v / d + 8.5))) - 8);
    } else {
      d = roundF16((hi - lo) / 15);
      m = roundF16(lo);
      level = (v) => (d === 0 ? 0 : Math.max(0, Math.min(15, Math.trunc((v - lo) / d + 0.5))));
    }
    for (let i = b; i < b + 32; i++) values[i] = Math.fround(level(x[i]!) * d + m);
    noise += d * d;
  }
  return { values, dtype: scheme, stepNoise: noise / (12 * (x.length / 32)) };
}
