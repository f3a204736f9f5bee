/**
 * A tensor's values dealt into `positions` arrays as they are widened: element e goes to
 * array e mod positions, at index ⌊e / positions⌋. For a convolution's kernel [out, in, k…]
 * these arrays are its slices, one out×in matrix per kernel position (matrices.ts), which is
 * what the spectrum takes (TensorRef.readDealt).
 *
 * Why (issue 14, one pass per tensor): read whole, a 3×3 kernel was widened into a row-major
 * float64 array, and then each of its nine slices gathered out of it with a stride of nine,
 * on the main thread: ISNet's 44M weights went through fresh float64 memory twice and were
 * gathered nine times over (~0.3 s of its main thread). Dealt while widening, each stretch is
 * widened into a small block in cache and copied out to the slices at once; the row-major
 * array is never made.
 */
import type { DealtVisitor, DType } from '../types.js';
import { CHUNK_BYTES, type FileSource } from './file.js';
import { allocateFloat64, elementSize, PIECE_ELEMENTS, type WidenedPiece, widenInto } from './dtype.js';
import { Turns } from './turns.js';
import { wasmKernels, wasmScratch } from '../spectrum/wasm.js';

/**
 * What a dealt read does to the values it widens besides dealing them (e.g. dequantize them,
 * onnx/quant.ts): `stretch` on each stretch as it is widened (WidenedPiece); `picked`, the
 * same operation on elements 0, step, 2·step, … of the tensor picked into one array in order,
 * so that a visitor's sample holds the values the stretches will hold.
 */
export interface DealtPiece {
  readonly stretch: WidenedPiece;
  readonly picked: (values: Float64Array, step: number) => void;
}

/**
 * Reads `count` elements of `dtype` stored at [offset, offset + count·size) of `source`,
 * widened (and passed through `piece`, as readWidened does) and dealt into `positions` arrays.
 * When the bytes come in one read, `visitor` is shown the sampled elements (widened from the
 * bytes at their places, then `piece.picked`) and then each stretch (DealtVisitor).
 */
export async function readWidenedDealt(
  source: FileSource,
  offset: number,
  dtype: DType,
  count: number,
  positions: number,
  what: string,
  piece?: DealtPiece,
  visitor?: DealtVisitor,
): Promise<Float64Array[]> {
  if (!Number.isInteger(positions) || positions < 1 || count % positions !== 0)
    throw new RangeError(`${what}: ${count} elements cannot be dealt into ${positions} arrays`);
  const size = elementSize(dtype);
  const length = count / positions;
  const out: Float64Array[] = [];
  for (let p = 0; p < positions; p++) out.push(allocateFloat64(length, what));
  const block = new Float64Array(Math.min(PIECE_ELEMENTS, count));
  const visit = count * size <= CHUNK_BYTES ? visitor : undefined;
  // A turn of the event loop every TURN_ELEMENTS values (load/turns.ts).
  const turns = new Turns();
  await source.readChunks(offset, count * size, what, async (chunk, at) => {
    const first = at / size;
    const n = Math.floor(chunk.byteLength / size);
    if (visit && first === 0) {
      const picked = sampledFrom(chunk, dtype, size, visit.sampleStep);
      piece?.picked(picked, visit.sampleStep);
      visit.sampled(picked);
      if (picked.length === n) {
        // The sample took every element (step 1): it is the tensor, widened once.
        visit.stretch(picked, 0);
        dealInto(picked, 0, out);
        return;
      }
    }
    for (let i = 0; i < n; i += block.length) {
      const m = Math.min(block.length, n - i);
      const stretch = m === block.length ? block : block.subarray(0, m);
      widenInto(chunk.subarray(i * size, (i + m) * size), dtype, stretch, 0);
      piece?.stretch(stretch, first + i, first + i + m, first + i);
      visit?.stretch(stretch, first + i);
      dealInto(stretch, first + i, out);
      const turn = turns.after(m);
      if (turn) await turn;
    }
  });
  return out;
}

/** Elements 0, step, 2·step, … of the stored bytes (the whole tensor), widened. */
function sampledFrom(bytes: Uint8Array, dtype: DType, size: number, step: number): Float64Array {
  const count = Math.floor(bytes.byteLength / size);
  const picked = Math.ceil(count / step);
  const out = new Float64Array(picked);
  // Every element (a tensor of at most RMS_SAMPLE, entry-rms.ts): widened where it lies.
  if (step === 1) {
    widenInto(bytes.subarray(0, count * size), dtype, out, 0);
    return out;
  }
  const raw = new Uint8Array(picked * size);
  if (size % 4 === 0 && bytes.byteOffset % 4 === 0) {
    // Float32 and float64 kernels by 32-bit words: V8 runs this loop in its interpreter for a
    // small model's first tensors, where a loop per byte cost up to ~80 ns a value (M-LSD:
    // 1.2–5.9 ms per 73,728 picks); by words, 73,728 picks took 1.7 ms against 2.4 on a first
    // call and 0.5 against 0.9 warm (`tmp/sampcold.mjs`).
    const src = new Uint32Array(bytes.buffer, bytes.byteOffset, count * (size / 4));
    pickWords(src, new Uint32Array(raw.buffer), picked, step, size / 4);
  } else pickBytes(bytes, raw, picked, step, size);
  widenInto(raw, dtype, out, 0);
  return out;
}

// The picking loops are functions of their own. V8 compiled sampledFrom's loop while it ran
// (OSR), with the code after it, whose widenInto call had not run yet; that code then went back
// to the interpreter at the call, on this and later calls (ISNet: 4–26 such deoptimisations
// a run, fp16 and uint8, and 4 compiles of sampledFrom, 27–63 ms of compile time;
// `node --trace-opt --trace-deopt`).

/** Elements 0, step, 2·step, … of src's `words`-word elements, packed into dst. */
function pickWords(src: Uint32Array, dst: Uint32Array, picked: number, step: number, words: number): void {
  if (words === 1) for (let j = 0, at = 0; j < picked; j++, at += step) dst[j] = src[at]!;
  else
    for (let j = 0, at = 0; j < picked; j++, at += step * words)
      for (let w = 0; w < words; w++) dst[j * words + w] = src[at + w]!;
}

/** Elements 0, step, 2·step, … of src's `size`-byte elements, packed into dst. */
function pickBytes(src: Uint8Array, dst: Uint8Array, picked: number, step: number, size: number): void {
  if (size === 2)
    // Half and bfloat16 kernels: two bytes a value, without a loop per byte.
    for (let j = 0, at = 0; j < picked; j++, at += 2 * step) {
      dst[2 * j] = src[at]!;
      dst[2 * j + 1] = src[at + 1]!;
    }
  else
    for (let j = 0, at = 0; j < picked; j++, at += step * size)
      for (let b = 0; b < size; b++) dst[j * size + b] = src[at + b]!;
}

/** Elements [first, first + stretch.length), in stretch, dealt into `out` (see the header). */
export function dealInto(stretch: Float64Array, first: number, out: readonly Float64Array[]): void {
  if (out.length === 1) out[0]!.set(stretch, first);
  else if (!dealIntoKernel(stretch, first, out)) dealIntoTs(stretch, first, out);
}

/**
 * dealInto by the WebAssembly kernel (spectrum/wasm/deal.as.ts): the stretch copied into
 * kernel memory, dealt there into one run per position, each run copied out to its array.
 * False without the kernels. Why: see deal.as.ts.
 */
function dealIntoKernel(stretch: Float64Array, first: number, out: readonly Float64Array[]): boolean {
  const k = wasmKernels('sync');
  if (k === undefined) return false;
  const positions = out.length;
  const n = stretch.length;
  const mem = wasmScratch(k, 2 * n);
  mem.set(stretch);
  const row = Math.floor(first / positions);
  const lead = first - row * positions;
  k.dealRuns(0, n, lead, positions, n * 8);
  for (let p = 0, at = n; p < positions; p++) {
    const j = firstOf(p, lead, positions);
    if (j >= n) continue;
    const count = Math.ceil((n - j) / positions);
    out[p]!.set(mem.subarray(at, at + count), indexOf(p, lead, row));
    at += count;
  }
  return true;
}

/** dealInto in TypeScript: the kernel's twin and fallback, the same copy. */
export function dealIntoTs(stretch: Float64Array, first: number, out: readonly Float64Array[]): void {
  const positions = out.length;
  const row = Math.floor(first / positions);
  const lead = first - row * positions;
  for (let p = 0; p < positions; p++) {
    // The first element of the stretch that goes to array p, and where it goes.
    const target = out[p]!;
    let j = firstOf(p, lead, positions);
    for (let k = indexOf(p, lead, row); j < stretch.length; j += positions, k++) target[k] = stretch[j]!;
  }
}

/** Elements [first, first + block.length) of the row-major values, gathered back from dealt arrays. */
export function undealInto(dealt: readonly Float64Array[], first: number, block: Float64Array): void {
  const positions = dealt.length;
  const row = Math.floor(first / positions);
  const lead = first - row * positions;
  for (let p = 0; p < positions; p++) {
    const source = dealt[p]!;
    let j = firstOf(p, lead, positions);
    for (let k = indexOf(p, lead, row); j < block.length; j += positions, k++) block[j] = source[k]!;
  }
}

// A stretch from element `first` = row·positions + lead of the tensor: its element j is of
// position (lead + j) mod positions.

/** The stretch's first element of position p. */
function firstOf(p: number, lead: number, positions: number): number {
  return p >= lead ? p - lead : p - lead + positions;
}

/** That element's index in position p's array. */
function indexOf(p: number, lead: number, row: number): number {
  return p >= lead ? row : row + 1;
}

/** Elements 0, step, 2·step, … of the row-major values, picked from dealt arrays. */
export function pickDealt(dealt: readonly Float64Array[], step: number): Float64Array {
  const positions = dealt.length;
  const count = positions * (dealt[0]?.length ?? 0);
  const out = new Float64Array(Math.ceil(count / step));
  // Element i is dealt[i mod positions][⌊i / positions⌋]: both advance by fixed steps.
  const dp = step % positions;
  const dk = (step - dp) / positions;
  for (let j = 0, p = 0, k = 0; j < out.length; j++) {
    out[j] = dealt[p]![k]!;
    p += dp;
    k += dk;
    if (p >= positions) {
      p -= positions;
      k++;
    }
  }
  return out;
}
