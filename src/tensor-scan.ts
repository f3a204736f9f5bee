/**
 * A tensor's values gone through once before its layers are analysed (issue 14, one pass
 * per tensor): the value checks and tied-weight digest (src/tensor-checks.ts) and the robust
 * entry RMS (src/entry-rms.ts EntryRmsScan), each the same number as computed on its own.
 *
 * Read whole, the RMS's strided sample is taken first (65536 entries, cheap), so one loop
 * over the values does the rest: counts, extremes, digest, clipped squares and Σw². A stack
 * read one matrix at a time (src/stacked-read.ts) cannot sample ahead without reading every
 * matrix, so it keeps two passes: checks, digest and sample; then Σw² and the clipped squares.
 * The digest is taken only when asked (a sharded run); otherwise the checks' fingerprint
 * stands in for it and digestWhole/digestBlocks take it where two fingerprints meet
 * (src/tied-content.ts). A kernel read dealt by position (src/load/dealt.ts) is scanned as
 * if whole: during the read where it can show the values (DealtScan), else afterwards, the
 * sample picked from the dealt arrays and the loop over row-major blocks gathered back from
 * them (scanDealt, digestDealt).
 */
import { EntryRmsScan } from './entry-rms.js';
import { pickDealt, undealInto } from './load/dealt.js';
import { type FusedSums, ValueChecks } from './tensor-checks.js';
import type { DealtVisitor } from './types.js';

/** The tensor's checks over all its values, and its robust entry RMS (phase.ts) for every layer. */
export interface TensorScan {
  readonly checks: ValueChecks;
  /** NaN when checks.problem() is set (the tensor is skipped). */
  readonly entryRms: number;
}

/** Elements [first, first + count) of the tensor as float64. */
export type RangeReader = (first: number, count: number) => Promise<Float64Array>;

/** The scan of a tensor read whole; `digest` false: without the sha1 (ValueChecks). */
export function scanWhole(values: Float64Array, shape: readonly number[], digest = true): TensorScan {
  const rms = new EntryRmsScan(values.length);
  rms.sample(values, 0);
  const checks = new ValueChecks(values.length, shape, digest);
  checks.first(values, 0, { clip: rms.clip(), k: guessedExponent(rms) });
  if (checks.needsSecond()) checks.second(values);
  return { checks, entryRms: checks.problem() === undefined ? rms.value(checks.clippedSquares()) : NaN };
}

/**
 * Σw²'s scale exponent as the sample sees it: right unless the largest |w| lies in a higher
 * binade than the sample's (ValueChecks.needsSecond rescales or re-sums then).
 */
function guessedExponent(rms: EntryRmsScan): number {
  const max = rms.sampleMax();
  return max > 0 && Number.isFinite(max) ? -Math.floor(Math.log2(max)) : 0;
}

/** The scan of a tensor read `piece` elements at a time, in two passes; `digest` as scanWhole's. */
export async function scanBlocks(
  read: RangeReader,
  piece: number,
  shape: readonly number[],
  digest = true,
): Promise<TensorScan> {
  const count = shape.reduce((a, b) => a * b, 1);
  const checks = new ValueChecks(count, shape, digest);
  const rms = new EntryRmsScan(count);
  for (let first = 0; first < count; first += piece) {
    const block = await read(first, Math.min(piece, count - first));
    checks.first(block, first);
    rms.sample(block, first);
  }
  if (!checks.needsSecond()) return { checks, entryRms: NaN };
  const clip = rms.clip();
  for (let first = 0; first < count; first += piece)
    checks.second(await read(first, Math.min(piece, count - first)), clip);
  return { checks, entryRms: checks.problem() === undefined ? rms.value(checks.clippedSquares()) : NaN };
}

/** The sha1 digest (ValueChecks.digest) of a tensor's values read whole. */
export function digestWhole(values: Float64Array, shape: readonly number[]): string {
  const checks = new ValueChecks(values.length, shape);
  checks.first(values, 0);
  return checks.digest();
}

/** The same digest of a tensor read `piece` elements at a time. */
export async function digestBlocks(read: RangeReader, piece: number, shape: readonly number[]): Promise<string> {
  const count = shape.reduce((a, b) => a * b, 1);
  const checks = new ValueChecks(count, shape);
  for (let first = 0; first < count; first += piece)
    checks.first(await read(first, Math.min(piece, count - first)), first);
  return checks.digest();
}

/** Elements gathered back from dealt arrays per block: 256 KiB of float64, within L2. */
const UNDEAL_BLOCK = 32768;

/** Each row-major block of the values `dealt` holds (load/dealt.ts), in order, in one reused array. */
function eachBlock(dealt: readonly Float64Array[], visit: (block: Float64Array, first: number) => void): void {
  const count = dealt.length * (dealt[0]?.length ?? 0);
  const block = new Float64Array(Math.min(UNDEAL_BLOCK, count));
  for (let first = 0; first < count; first += block.length) {
    const b = first + block.length <= count ? block : block.subarray(0, count - first);
    undealInto(dealt, first, b);
    visit(b, first);
  }
}

/**
 * scanWhole of the row-major values that `dealt` holds dealt by position: the same sample,
 * the same loop over the values in the same order (by blocks, as ValueChecks allows), so
 * the same checks, digest and entry RMS (a DealtScan shown nothing by the read).
 */
export function scanDealt(dealt: readonly Float64Array[], shape: readonly number[], digest = true): TensorScan {
  return new DealtScan(dealt.length * (dealt[0]?.length ?? 0), shape, digest).finish(dealt);
}

/** digestWhole of the row-major values that `dealt` holds dealt by position. */
export function digestDealt(dealt: readonly Float64Array[], shape: readonly number[]): string {
  const checks = new ValueChecks(dealt.length * (dealt[0]?.length ?? 0), shape);
  eachBlock(dealt, (block, first) => checks.first(block, first));
  return checks.digest();
}

/**
 * scanDealt made during the dealt read itself (TensorRef.readDealt's visitor), where the read
 * can show it the values: the sample first, picked from the stored bytes, then the one fused
 * loop over each row-major stretch as it is widened, so that nothing is gathered back from
 * the dealt arrays (on ISNet's main thread that gathering was a seventh of its time). The
 * same sample and the same loop in the same order: scanWhole's answers.
 */
export class DealtScan implements DealtVisitor {
  private readonly rms: EntryRmsScan;
  private readonly checks: ValueChecks;
  private fused: FusedSums | undefined;
  private seen = 0;

  constructor(
    private readonly count: number,
    shape: readonly number[],
    digest = true,
  ) {
    this.rms = new EntryRmsScan(count);
    this.checks = new ValueChecks(count, shape, digest);
  }

  get sampleStep(): number {
    return this.rms.sampleStep();
  }

  sampled(picked: Float64Array): void {
    this.rms.samplePicked(picked);
    this.fused = { clip: this.rms.clip(), k: guessedExponent(this.rms) };
  }

  stretch(values: Float64Array, first: number): void {
    if (this.fused === undefined || first !== this.seen) throw new Error('dealt scan: a stretch out of order');
    this.checks.first(values, first, this.fused);
    this.seen += values.length;
  }

  /**
   * The scan; where the read showed nothing, the sample is picked from the dealt arrays and
   * the loop runs over row-major blocks gathered back from them.
   */
  finish(dealt: readonly Float64Array[]): TensorScan {
    if (this.seen === 0 && this.count > 0) {
      this.sampled(pickDealt(dealt, this.sampleStep));
      eachBlock(dealt, (block, first) => this.stretch(block, first));
    }
    if (this.seen !== this.count) throw new Error('dealt scan: the read stopped part way');
    const checks = this.checks;
    if (checks.needsSecond()) eachBlock(dealt, (block) => checks.second(block));
    return { checks, entryRms: checks.problem() === undefined ? this.rms.value(checks.clippedSquares()) : NaN };
  }
}
