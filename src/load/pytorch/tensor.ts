/**
 * A found tensor (contents.ts) as a TensorRef over its storage's bytes: `storage_offset`,
 * `size` and `stride` in elements, as torch/_utils.py `_rebuild_tensor` applies them
 * (`tensor.set_(storage, offset, size, stride)`). A contiguous tensor reads its byte range
 * (and pieces of it, readRange); a view (`.t()`, slices, `expand` with stride 0) reads the
 * span of the storage it touches and gathers it in row-major order of `size`. Every index
 * is checked against the storage before anything is read.
 */
import { FormatError } from '../../errors.js';
import type { DType, TensorRef } from '../../types.js';
import { allocateFloat64, readWidened, readWidenedRange } from '../dtype.js';
import { readWidenedDealt } from '../dealt.js';
import type { FileSource } from '../file.js';
import type { FoundTensor } from './contents.js';
import { storageElementSize } from './storage.js';

/** Where a storage's bytes are: `bytes` of them from `offset` in `source`. */
export interface LocatedStorage {
  readonly source: FileSource;
  readonly offset: number;
  readonly bytes: number;
  /** Names the storage in keys and messages (file and record). */
  readonly id: string;
}

const FLOATS: ReadonlySet<DType> = new Set(['F64', 'F32', 'F16', 'BF16', 'F8_E4M3', 'F8_E5M2']);
const READABLE: ReadonlySet<DType> = new Set([...FLOATS, 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL']);

/** True when the tensor is a weight candidate (float) or optimizer state: listed; other dtypes are counted. */
export function isListed(t: FoundTensor): boolean {
  return t.role === 'optimizer-state' || FLOATS.has(t.dtype) || !READABLE.has(t.dtype);
}

/**
 * The TensorRef of `t` (its storage located by the container): checked now, read later.
 * `file` is the model file shown in messages.
 */
export function tensorRef(t: FoundTensor, where: LocatedStorage | undefined, file: string): TensorRef {
  const what = `tensor '${t.name}'`;
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count)) throw new FormatError(`${what}: shape [${t.shape.join(', ')}] is too large`);
  const base = {
    name: t.name,
    shape: t.shape,
    file,
    ...(t.role ? { role: t.role } : {}),
    ...(t.kindHint ? { kindHint: t.kindHint } : {}),
  };
  if (where === undefined || t.storage === undefined || !FLOATS.has(t.dtype)) {
    // Listed, never read: quantized/sparse tensors (dtype OTHER) and optimizer state of any dtype.
    const size = READABLE.has(t.dtype) ? storageElementSize(t.dtype) : 0;
    return {
      ...base,
      dtype: READABLE.has(t.dtype) ? t.dtype : 'OTHER',
      byteLength: count * size,
      storageKey: `${file}#${t.name}`,
      read: async () => {
        throw new FormatError(`${what} has a dtype or layout rmt-analyze cannot read`);
      },
    };
  }
  const size = storageElementSize(t.dtype);
  const available = Math.floor(where.bytes / size);
  const { first, last } = span(t, count, available, what);
  const start = where.offset + first * size;
  const storageKey = `${where.id}:${t.dtype}@${t.offset}[${t.shape.join(',')}]/[${t.stride.join(',')}]`;
  const ref = { ...base, dtype: t.dtype, byteLength: count * size, storageKey };
  if (count === 0) return { ...ref, read: async () => new Float64Array(0) };
  if (isContiguous(t.shape, t.stride)) {
    return {
      ...ref,
      read: () => readWidened(where.source, start, t.dtype, count, what),
      readRange: (from, n) => readWidenedRange(where.source, start, t.dtype, count, from, n, what),
      readDealt: (positions, visitor) =>
        readWidenedDealt(where.source, start, t.dtype, count, positions, what, undefined, visitor),
    };
  }
  return { ...ref, read: () => readView(where, t, first, last, what) };
}

/** Storage elements widened at once when gathering a view: a sparse view of a huge storage is read in windows. */
export const VIEW_WINDOW = 1 << 23;

/**
 * A view's values: the span [first, last] of its storage widened and gathered; a span larger
 * than VIEW_WINDOW is read one window at a time, each gathering the elements inside it, so
 * memory stays at the output plus one window however sparse the view.
 */
async function readView(where: LocatedStorage, t: FoundTensor, first: number, last: number, what: string) {
  const size = storageElementSize(t.dtype);
  const out = allocateFloat64(
    t.shape.reduce((a, b) => a * b, 1),
    what,
  );
  for (let w = first; w <= last; w += VIEW_WINDOW) {
    const n = Math.min(VIEW_WINDOW, last + 1 - w);
    gather(await readWidened(where.source, where.offset + w * size, t.dtype, n, what), t, w, out);
  }
  return out;
}

/** First and last storage elements the view touches; FormatError unless all lie in the storage. */
function span(t: FoundTensor, count: number, available: number, what: string): { first: number; last: number } {
  let last = t.offset;
  if (count > 0) {
    for (let d = 0; d < t.shape.length; d++) last += (t.shape[d]! - 1) * t.stride[d]!;
  }
  if (!Number.isSafeInteger(last) || (count > 0 && last >= available) || t.offset > available) {
    throw new FormatError(
      `${what}: offset ${t.offset}, size [${t.shape.join(', ')}] and stride [${t.stride.join(', ')}] ` +
        `reach past its storage of ${available} elements`,
    );
  }
  return { first: t.offset, last };
}

/** Row-major strides of `shape` (dimensions of size 1 may have any stride). */
function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d]!;
  }
  return true;
}

/** Into `out` (row-major in the view's size): the view's elements inside `window`, from storage element `from`. */
function gather(window: Float64Array, t: FoundTensor, from: number, out: Float64Array): void {
  const count = out.length;
  const rank = t.shape.length;
  const index = new Array<number>(rank).fill(0);
  const end = window.length;
  let at = t.offset - from;
  for (let i = 0; i < count; i++) {
    if (at >= 0 && at < end) out[i] = window[at]!;
    // Odometer over the dimensions, last fastest.
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < t.shape[d]!) {
        at += t.stride[d]!;
        break;
      }
      at -= (t.shape[d]! - 1) * t.stride[d]!;
      index[d] = 0;
    }
  }
}
