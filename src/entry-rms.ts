/**
 * The robust entry RMS of a tensor: the RMS of its entries with |w| clipped at the 99.9th
 * percentile of a strided sample. The precision floor of the phases (phase.ts) scales with
 * it: rounding to storage precision perturbs each entry by ≲ u·|w|, and the perturbation's
 * bulk of singular values, which is what can lift many "zero" singular values, follows the
 * RMS of the typical entries, not the few huge ones of a heavy tail.
 */
import { sampleKernel } from './scan-kernels.js';

/** Entries sampled to find the clipping level of robustEntryRms. */
const RMS_SAMPLE = 65536;
/** robustEntryRms clips entries at this quantile of |w|. */
const RMS_CLIP_QUANTILE = 0.999;

/**
 * RMS of the entries with |w| clipped at its 99.9th percentile (from a strided sample).
 * Rounding to storage precision perturbs each entry by ≲ u·|w|; the perturbation's bulk of
 * singular values, which is what can lift many "zero" singular values, scales with the RMS
 * of the typical entries. A handful of huge entries (heavy tails) only add a few
 * perturbation directions, so they must not set the floor: clipping keeps them out, and
 * leaves the RMS of Gaussian-like or sparse matrices unchanged.
 */
export function robustEntryRms(values: Float64Array): number {
  const rms = new EntryRmsScan(values.length);
  rms.sample(values, 0);
  rms.sum(values);
  return rms.value();
}

/**
 * |block[i]| for i = from, from + step, … (NaN as +∞) into `top`, a min-heap of the largest
 * top.length of them seen so far (filled with −∞ at first), and the largest in `state[0]`.
 * A function of its own so that V8 compiles it whole: as a loop inside a method,
 * the code compiled mid-loop lacked feedback for the field stores after it and was thrown
 * away on every tensor (tensor-checks.ts scanChunk has the measurement).
 */
export function sampleBlock(
  block: Float64Array,
  from: number,
  step: number,
  top: Float64Array,
  state: Float64Array,
): void {
  let largest = state[0]!;
  let floor = top[0]!;
  for (let i = from; i < block.length; i += step) {
    const abs = Math.abs(block[i]!);
    const a = Number.isNaN(abs) ? Infinity : abs;
    if (a > largest) largest = a;
    if (a > floor) floor = replaceSmallest(top, a);
  }
  state[0] = largest;
}

/** Replaces the root of the min-heap `heap` by `x` and sifts it down; returns the new root. */
function replaceSmallest(heap: Float64Array, x: number): number {
  const n = heap.length;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const c = r < n && heap[r]! < heap[l]! ? r : l;
    if (!(heap[c]! < x)) break;
    heap[i] = heap[c]!;
    i = c;
  }
  heap[i] = x;
  return heap[0]!;
}

/**
 * robustEntryRms of a tensor seen in consecutive blocks (src/stacked-read.ts): every block
 * through sample() in order, then every block through sum() in order. The strided sample and
 * the sum in element order are those of the whole array, so the result is the same number.
 * The clipped sum may also be taken elsewhere (src/tensor-checks.ts, in its one pass over
 * the values) with clip() and handed to value().
 *
 * The clip level is an order statistic near the top of the sample (the 66th largest of
 * 65,536), so the sample is not kept: a min-heap holds its largest entries as they are
 * sampled, and its root is the value a sort would put at the quantile's index. The same
 * number as a quickselect over the whole sample (before), without writing 512 KiB and
 * selecting in it for every tensor (~2 ms of each small tensor's main-thread time).
 */
export class EntryRmsScan {
  private readonly step: number;
  /** The largest sampled |w| (NaN as +∞), a min-heap of as many as the quantile leaves above it. */
  private readonly top: Float64Array;
  /** The largest sampled |w| (0 before any): sampleBlock's. */
  private readonly state = new Float64Array(1);
  private s = 0;

  constructor(private readonly n: number) {
    this.step = Math.max(1, Math.floor(n / RMS_SAMPLE));
    const size = Math.ceil(n / this.step);
    // Sorted index k = min(size − 1, ⌊q·size⌋) is the (size − k)-th largest.
    this.top = new Float64Array(size > 0 ? size - Math.min(size - 1, Math.floor(RMS_CLIP_QUANTILE * size)) : 1);
    this.top.fill(Number.NEGATIVE_INFINITY);
  }

  /** Samples the block holding elements [first, first + block.length). */
  sample(block: Float64Array, first: number): void {
    const from = (this.step - (first % this.step)) % this.step;
    if (!sampleKernel(block, from, this.step, this.top, this.state))
      sampleBlock(block, from, this.step, this.top, this.state);
  }

  /** Every how many elements sample() takes one: elements 0, step, 2·step, … of the tensor. */
  sampleStep(): number {
    return this.step;
  }

  /**
   * Samples a tensor whose values are not one array: `picked` holds its elements 0, step,
   * 2·step, … in order (sampleStep), the elements sample() takes, so the same sample.
   */
  samplePicked(picked: Float64Array): void {
    if (!sampleKernel(picked, 0, 1, this.top, this.state)) sampleBlock(picked, 0, 1, this.top, this.state);
  }

  /** The clip level: the sample's RMS_CLIP_QUANTILE (after every block was sampled). */
  clip(): number {
    return this.n > 0 ? this.top[0]! : Number.NaN;
  }

  /** The sample's largest |w|, 0 for an empty sample. */
  sampleMax(): number {
    return this.state[0]!;
  }

  /** Adds the block's clipped squares (after every block was sampled). */
  sum(block: Float64Array): void {
    const clip = this.clip();
    let s = this.s;
    for (let i = 0; i < block.length; i++) {
      const a = Math.min(Math.abs(block[i]!), clip);
      s += a * a;
    }
    this.s = s;
  }

  /** The robust RMS from sum()'s clipped squares, or from `clippedSquares` summed elsewhere. */
  value(clippedSquares = this.s): number {
    return this.n === 0 ? 0 : Math.sqrt(clippedSquares / this.n);
  }
}
