/**
 * Linear dequantization, y = (x − zero_point) · scale, with the three layouts of ONNX
 * DequantizeLinear (operator spec, opset 10–23):
 *   per tensor — scale is a scalar (or one element);
 *   per axis   — scale is 1-D, one value per index along `axis` (default 1, negative
 *                counts from the end);
 *   blocked    — (opset 21) scale has x's rank, x's shape except ceil(dim/block_size)
 *                along `axis`: one scale per block of block_size consecutive elements.
 * QLinearMatMul/QLinearConv and onnxruntime's dynamic quantization use the same formula.
 */
import { FormatError } from '../../errors.js';
import type { DType } from '../../types.js';
import type { TensorInfo } from './decode.js';
import type { QuantFound } from './tensors.js';

export type QuantLayout =
  | { readonly kind: 'tensor' }
  | { readonly kind: 'axis'; readonly axis: number }
  | { readonly kind: 'block'; readonly axis: number; readonly blockSize: number };

/** Stored types a quantized weight can have. */
export const QUANTIZED_DTYPES: ReadonlySet<DType> = new Set([
  'I8',
  'U8',
  'I16',
  'U16',
  'I32',
  'I4',
  'U4',
  'F8_E4M3',
  'F8_E5M2',
]);
/** Quantized types whose levels are a uniform integer grid (the float8 types are not). */
export const STEP_GRID_DTYPES: ReadonlySet<DType> = new Set(['I8', 'U8', 'I16', 'U16', 'I32', 'I4', 'U4']);
const SCALE_DTYPES: ReadonlySet<DType> = new Set(['F32', 'F16', 'BF16', 'F64']);

/** Checks scale and zero point against the weight and returns the layout, or throws. */
export function quantLayout(w: TensorInfo, scale: TensorInfo, zp: TensorInfo | undefined, q: QuantFound): QuantLayout {
  const who = `tensor '${w.name}'`;
  const rank = w.shape.length;
  if (!SCALE_DTYPES.has(scale.elem.dtype)) {
    throw new FormatError(`${who}: its ${q.op} scale '${scale.name}' has type ${scale.elem.name}, not a float type`);
  }
  if (zp !== undefined) {
    if (zp.count !== scale.count) {
      throw new FormatError(
        `${who}: zero point '${zp.name}' has ${zp.count} elements but scale '${scale.name}' has ${scale.count}`,
      );
    }
    if (zp.elem.dtype === 'OTHER' || zp.elem.dtype === 'I64' || zp.elem.dtype === 'U64') {
      throw new FormatError(`${who}: zero point '${zp.name}' has unreadable type ${zp.elem.name}`);
    }
  }
  const normalize = (a: number): number => {
    const n = a < 0 ? a + rank : a;
    if (n < 0 || n >= rank) throw new FormatError(`${who}: ${q.op} axis ${a} is out of range for rank ${rank}`);
    return n;
  };
  if (q.blockSize !== undefined) {
    if (q.blockSize < 0) throw new FormatError(`${who}: ${q.op} block_size ${q.blockSize} is negative`);
    const axis = normalize(q.axis ?? 1);
    const ok =
      scale.shape.length === rank &&
      scale.shape.every((d, i) => (i === axis ? d === Math.ceil(w.shape[i]! / q.blockSize!) : d === w.shape[i]));
    if (!ok) {
      throw new FormatError(
        `${who}: scale '${scale.name}' shape [${scale.shape.join(', ')}] does not fit blocks of ${q.blockSize} ` +
          `along axis ${axis} of [${w.shape.join(', ')}]`,
      );
    }
    return { kind: 'block', axis, blockSize: q.blockSize };
  }
  if (scale.count === 1 && scale.shape.length <= 1) return { kind: 'tensor' };
  if (scale.shape.length !== 1) {
    throw new FormatError(
      `${who}: scale '${scale.name}' has shape [${scale.shape.join(', ')}], expected a scalar or 1-D`,
    );
  }
  if (q.axis !== undefined) {
    const axis = normalize(q.axis);
    if (w.shape[axis] !== scale.count) {
      throw new FormatError(
        `${who}: scale '${scale.name}' has ${scale.count} elements but axis ${axis} has ${w.shape[axis]}`,
      );
    }
    return { kind: 'axis', axis };
  }
  // No axis attribute: the op's convention, else the only axis of the right length.
  const preferred = rank > 0 ? q.defaultAxis(rank) : -1;
  if (w.shape[preferred] === scale.count) return { kind: 'axis', axis: preferred };
  const fits = w.shape.map((d, i) => (d === scale.count ? i : -1)).filter((i) => i >= 0);
  if (fits.length === 1) return { kind: 'axis', axis: fits[0]! };
  throw new FormatError(
    `${who}: cannot tell which axis its ${scale.count} scales of '${scale.name}' apply to ` +
      `(shape [${w.shape.join(', ')}])`,
  );
}

/**
 * Applies the layout in place: q[i] ← (q[i] − zp[j]) · scale[j], j the scale index of element i;
 * returns q. In place because q is the weight's own array (decode.ts readValues makes a new one
 * per read): a second float64 array the size of the tensor is memory and time for nothing.
 */
export function dequantize(
  q: Float64Array,
  shape: readonly number[],
  layout: QuantLayout,
  scale: Float64Array,
  zp: Float64Array | undefined,
): Float64Array {
  dequantizeRange(q, 0, q.length, shape, layout, scale, zp);
  return q;
}

/**
 * dequantize on elements [from, to) of the whole tensor's array only: the same operation on
 * each element, so any split into ranges gives the same array. decode.ts readValues applies it
 * to each piece just widened, while the piece is still in cache (issue 14: one pass over memory
 * rather than a widening pass and then a dequantizing one). Element i is q[i − base]: q may
 * hold only the stretch (load/dealt.ts).
 */
export function dequantizeRange(
  q: Float64Array,
  from: number,
  to: number,
  shape: readonly number[],
  layout: QuantLayout,
  scale: Float64Array,
  zp: Float64Array | undefined,
  base = 0,
): void {
  if (to <= from) return;
  if (layout.kind === 'tensor') {
    const s = scale[0]!;
    const z = zp?.[0] ?? 0;
    for (let i = from; i < to; i++) q[i - base] = (q[i - base]! - z) * s;
    return;
  }
  // Element i = (o·D + d)·inner + k, with D the size of the axis.
  const D = shape[layout.axis]!;
  const inner = innerSize(shape, layout.axis);
  let k = from % inner;
  const row = (from - k) / inner;
  let d = row % D;
  let o = (row - d) / D;
  for (let i = from; i < to; ) {
    const stop = Math.min(to, i + inner - k);
    if (layout.kind === 'axis') {
      // One scale and zero point along the whole run of `inner` elements.
      const s = scale[d]!;
      const z = zp?.[d] ?? 0;
      for (; i < stop; i++) q[i - base] = (q[i - base]! - z) * s;
    } else {
      // Element i's scale index, less i: the run's scales are consecutive.
      const at = scaleIndex(layout, D, inner, o, d, k) - i;
      for (; i < stop; i++) q[i - base] = (q[i - base]! - (zp?.[at + i] ?? 0)) * scale[at + i]!;
    }
    k = 0;
    if (++d === D) {
      d = 0;
      o++;
    }
  }
}

/**
 * dequantizeRange on elements 0, step, 2·step, … of the tensor, picked in order into
 * `values` (value j is element j·step): the same scale and zero point for each element and
 * the same (q − zp) · scale, so the same bits as the whole tensor dequantized. The dealt
 * read's scan (load/dealt.ts) samples its entry RMS from these before the stretches go by.
 */
export function dequantizePicked(
  values: Float64Array,
  step: number,
  shape: readonly number[],
  layout: QuantLayout,
  scale: Float64Array,
  zp: Float64Array | undefined,
): void {
  if (layout.kind === 'tensor') {
    dequantizeRange(values, 0, values.length, shape, layout, scale, zp);
    return;
  }
  const D = shape[layout.axis]!;
  const inner = innerSize(shape, layout.axis);
  for (let j = 0, i = 0; j < values.length; j++, i += step) {
    const k = i % inner;
    const row = (i - k) / inner;
    const d = row % D;
    const at = scaleIndex(layout, D, inner, (row - d) / D, d, k);
    values[j] = (values[j]! - (zp?.[at] ?? 0)) * scale[at]!;
  }
}

/** Elements after the quantized axis: one index along it covers a run of this many. */
function innerSize(shape: readonly number[], axis: number): number {
  let inner = 1;
  for (let a = axis + 1; a < shape.length; a++) inner *= shape[a]!;
  return inner;
}

/**
 * The scale (and zero point) index of element (o·D + d)·inner + k under a per-axis or
 * blocked layout: d along the axis, or its block's, the scale having the weight's shape with
 * ⌈D/B⌉ along the axis.
 */
function scaleIndex(layout: QuantLayout, D: number, inner: number, o: number, d: number, k: number): number {
  if (layout.kind !== 'block') return d;
  const B = layout.blockSize;
  return (o * Math.ceil(D / B) + Math.floor(d / B)) * inner + k;
}

/**
 * The mean over the weight's elements of scale²/12: the variance of the rounding noise of
 * a uniform grid of step `scale` (an error uniform in ±scale/2), each scale weighted by the
 * number of elements it applies to (a short last block counts less).
 */
export function stepNoiseVariance(shape: readonly number[], layout: QuantLayout, scale: Float64Array): number {
  if (layout.kind === 'tensor') return (scale[0]! * scale[0]!) / 12;
  let sum = 0;
  // Per axis: one scale per index of the axis, each over the same number of elements.
  if (layout.kind === 'axis') {
    for (let j = 0; j < scale.length; j++) sum += scale[j]! * scale[j]!;
    return scale.length === 0 ? 0 : sum / (12 * scale.length);
  }
  // Blocked: the scale has the weight's shape with ceil(D/B) along the axis (row-major), so
  // its block index along the axis is ⌊j / inner⌋ mod ceil(D/B); the last block may be short.
  const D = shape[layout.axis]!;
  const B = layout.blockSize;
  const Ds = Math.ceil(D / B);
  const inner = innerSize(shape, layout.axis);
  let count = 0;
  for (let j = 0; j < scale.length; j++) {
    const b = Math.floor(j / inner) % Ds;
    const length = b === Ds - 1 ? D - b * B : B;
    sum += scale[j]! * scale[j]! * length;
    count += length;
  }
  return count === 0 ? 0 : sum / (12 * count);
}
