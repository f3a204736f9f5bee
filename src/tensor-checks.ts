/**
 * The checks made on a tensor's values before any of its layers is analysed: whether a
 * spectrum can be computed from them at all (valueProblem), and their content digest, by
 * which tied weights saved twice are analysed once. Computed over consecutive blocks of the
 * tensor's elements, so that a stack of matrices read one matrix at a time
 * (src/stacked-read.ts) gets exactly the answers of the whole tensor, which is one block.
 *
 * One pass (issue 14): the counts, the extremes, the digest, Σw² and the robust RMS's clipped
 * squares come from one loop over the values. Σw² is summed at a scale 2^k where no square
 * underflows, and k depends on the largest magnitude, which is known only after the pass; so
 * the loop sums at a guessed k (from the RMS sample's largest entry, taken beforehand) and
 * the result is rescaled when the guess was off. Scaling by a power of two commutes with
 * every rounding while all terms and partial sums stay normal, so the rescaled sum is the
 * same number the loop at the true k gives; when that cannot be shown, a second pass sums it.
 */
import { createHash, type Hash } from 'node:crypto';
import type { SkipDetail } from './schema/words.js';
import { scanSumsKernel } from './scan-kernels.js';
import { timesPow2, withinUnscaledRange } from './spectrum-scale.js';

/** What the first pass also sums when given: the clip level and a guess at Σw²'s scale exponent. */
export interface FusedSums {
  readonly clip: number;
  readonly k: number;
}

/**
 * Usage: first() on every block in order; then second() on every block in order when
 * needsSecond(); problem(), and digest() once problem() is undefined.
 */
export class ValueChecks {
  private nonFinite = 0;
  private maxAbs = 0;
  private minAbs = Infinity;
  private squares = 0;
  private guessed = 0;
  private clipped = 0;
  private squaresKnown = false;
  private fused: FusedSums | undefined;
  private readonly hash: Hash;
  private readonly digestOfValues: ValueDigest;
  /** scanChunk's running sums between its calls (see there). */
  private readonly sums = new Float64Array(5);
  private readonly shapeKey: string;

  /**
   * `digest` false: no sha1 is taken (digest() throws), the fingerprint() is what tells tensors
   * apart (src/tied-content.ts). The hashing is ~0.5 s of a 44M-element dequantized tensor,
   * whose values float32 does not hold: 20 bytes hashed per element.
   */
  constructor(
    private readonly count: number,
    shape: readonly number[],
    private readonly withDigest = true,
  ) {
    this.shapeKey = `${shape.join('x')}|`;
    this.hash = createHash('sha1').update(this.shapeKey);
    this.digestOfValues = new ValueDigest(this.hash);
  }

  /**
   * Counts, extremes and the digest's bytes of the block holding elements [at, at + length);
   * with `fused`, also the clipped squares and Σw² at 2^fused.k (pass the same on every block).
   */
  first(block: Float64Array, at: number, fused?: FusedSums): void {
    const sums = this.sums;
    sums[MAX_ABS] = this.maxAbs;
    sums[MIN_ABS] = this.minAbs;
    sums[CLIPPED] = this.clipped;
    sums[GUESSED] = this.guessed;
    sums[NAN] = 0;
    this.fused = fused;
    const clip = fused?.clip ?? 0;
    const f = fused ? 2 ** fused.k : 0;
    const digest = this.digestOfValues;
    const narrow = digest.scratch;
    for (let start = 0; start < block.length; start += narrow.length) {
      const end = Math.min(block.length, start + narrow.length);
      // Without a digest nothing is narrowed: the sums alone.
      if (!this.withDigest) {
        if (!scanSumsKernel(block, start, end, sums, clip, f)) scanSums(block, start, end, sums, clip, f);
        continue;
      }
      const inexact = scanChunk(block, start, end, narrow, sums, clip, f);
      digest.narrowed(end - start);
      // Rare (float64 weights): the elements float32 does not hold, found again off the hot loop.
      if (inexact > 0)
        for (let i = start; i < end; i++) if (Math.fround(block[i]!) !== block[i]!) digest.inexact(at + i, block[i]!);
    }
    if (Number.isNaN(sums[NAN])) for (const v of block) if (!Number.isFinite(v)) this.nonFinite++;
    this.maxAbs = sums[MAX_ABS]!;
    this.minAbs = sums[MIN_ABS]!;
    this.clipped = sums[CLIPPED]!;
    this.guessed = sums[GUESSED]!;
  }

  /** Whether second() must run: no problem found yet and Σw² not settled by the first pass. */
  needsSecond(): boolean {
    if (this.firstProblem() !== undefined || this.squaresKnown) return false;
    const fused = this.fused;
    if (fused === undefined) return true;
    const k = this.scaleExponent();
    const kg = fused.k;
    if (Math.abs(k) > 1000 || Math.abs(kg) > 1000 || !Number.isFinite(this.guessed)) return true;
    if (k !== kg) {
      // Every square, at either scale, normal (≥ 2^-1022): then each rounding of the loop at
      // 2^kg is that at 2^k times 2^(2(kg−k)), exactly. The margin covers log2's rounding.
      if (Math.floor(Math.log2(this.minAbs)) + Math.min(k, kg) < -510) return true;
      this.squares = timesPow2(this.guessed, 2 * (k - kg));
    } else this.squares = this.guessed;
    this.squaresKnown = true;
    return false;
  }

  /**
   * Σw², summed at a scale where no square underflows (k from the largest magnitude, hence
   * the second pass); element order as in one loop over the whole tensor. With `clip` (no
   * fused first pass), also the clipped squares of robustEntryRms.
   */
  second(block: Float64Array, clip?: number): void {
    const k = this.scaleExponent();
    let s = this.squares;
    let clipped = this.clipped;
    if (Math.abs(k) <= 1000) {
      // timesPow2's own single multiplication, with the factor hoisted out of the loop.
      const f = 2 ** k;
      for (let i = 0; i < block.length; i++) s += (block[i]! * f) ** 2;
    } else for (let i = 0; i < block.length; i++) s += timesPow2(block[i]!, k) ** 2;
    if (clip !== undefined) {
      for (let i = 0; i < block.length; i++) {
        const c = Math.min(Math.abs(block[i]!), clip);
        clipped += c * c;
      }
    }
    this.squares = s;
    this.clipped = clipped;
    this.squaresKnown = true;
  }

  /** Σ(w·2^k)², k = −⌊log2 max|w|⌋, once the passes are done (the underflow check's sum). */
  squareSum(): number {
    return this.squares;
  }

  /** Σ min(|w|, clip)², robustEntryRms's sum (EntryRmsScan.value). */
  clippedSquares(): number {
    return this.clipped;
  }

  /**
   * Whether every value is zero or within UNSCALED_RANGE of 1 in magnitude (after first()):
   * then scaleExponent is 0 for any slice of the tensor (its largest |w| is 0 or in range),
   * and the ESD need not look for itself (esd.ts, EsdOptions.unscaled).
   */
  neverScaled(): boolean {
    // All zero (no non-zero minimum), or both extremes in range, and so every |w| between.
    return this.minAbs === Infinity || (withinUnscaledRange(this.minAbs) && withinUnscaledRange(this.maxAbs));
  }

  /** Weights no spectrum can be computed from: non-finite values, all zeros, or squares out of range. */
  problem(): SkipDetail | undefined {
    const first = this.firstProblem();
    if (first !== undefined || !this.squaresKnown) return first;
    // Tiny entries are scaled before squaring (src/spectrum-scale.ts), but the eigenvalues
    // reported are the true ones: when even their sum Σw² is below 2^-1044 (fewer than 30
    // significant bits left in a subnormal) no eigenvalue can be stated.
    if (timesPow2(this.squares, 2 * Math.floor(Math.log2(this.maxAbs))) < UNDERFLOW_NORM)
      return { code: 'underflow', maxAbs: this.maxAbs };
    return undefined;
  }

  private scaleExponent(): number {
    return -Math.floor(Math.log2(this.maxAbs));
  }

  private firstProblem(): SkipDetail | undefined {
    if (this.nonFinite > 0) return { code: 'non-finite', count: this.nonFinite };
    if (this.maxAbs === 0) return { code: 'all-zero' };
    // The spectrum squares the entries (Gram product, Σλ = Σw²): past this they overflow float64
    // (kept as a bound with headroom for the fits' sums, though the ESD itself scales; esd.ts).
    if (this.maxAbs * this.maxAbs * this.count > Number.MAX_VALUE) return { code: 'overflow', maxAbs: this.maxAbs };
    return undefined;
  }

  /** ValueDigest's sha1 of the shape and the values. */
  digest(): string {
    if (!this.withDigest) throw new Error('digest() of checks made without one');
    return this.digestOfValues.finish();
  }

  /**
   * Equal for equal values, once problem() is undefined: the shape, the largest and smallest
   * non-zero |w| (exact, in any order) and Σ(w·2^k)² (summed in element order whether the
   * tensor was read whole or by blocks: second(), needsSecond()). Unequal values may share it.
   */
  fingerprint(): string {
    return `${this.shapeKey}${this.maxAbs}|${this.minAbs}|${this.squares}`;
  }
}
const UNDERFLOW_NORM = 2 ** -1044;

/** Where scanChunk keeps each running sum in its `sums` array. */
const MAX_ABS = 0;
const MIN_ABS = 1;
const CLIPPED = 2;
const GUESSED = 3;
const NAN = 4;

/**
 * The first pass's loop over block[start, end): each value narrowed into `narrow` (from 0),
 * and the running sums updated in element order — the largest and smallest non-zero |w|,
 * the clipped squares, Σ(w·f)², and v − v (NaN once a non-finite value was seen). Returns
 * how many values float32 does not hold exactly.
 *
 * A function of its own, called once per chunk, rather than a loop inside first(): V8 then
 * compiles the whole loop with feedback from its first chunk. As a loop inside first(), the
 * code compiled mid-loop (on-stack replacement) lacked feedback for what follows the loop
 * and was thrown away at the end of every chunk, so the first large tensor of a run was
 * scanned at interpreter speed: on a 38.6M-element embedding the first call took 0.81 s
 * (21 ns per element), 0.32 s now. The sums live in a Float64Array between calls, so no
 * number is boxed.
 */
function scanChunk(
  block: Float64Array,
  start: number,
  end: number,
  narrow: Float32Array,
  sums: Float64Array,
  clip: number,
  f: number,
): number {
  let maxAbs = sums[MAX_ABS]!;
  let minAbs = sums[MIN_ABS]!;
  let clipped = sums[CLIPPED]!;
  let guessed = sums[GUESSED]!;
  let nan = sums[NAN]!;
  let inexact = 0;
  for (let i = start, j = 0; i < end; i++, j++) {
    const v = block[i]!;
    narrow[j] = v;
    // Counted without a branch: for dequantized weights whether float32 holds a value is a
    // coin toss per element, and the mispredicted branch took 10 ns an element against 3.
    inexact += +(narrow[j] !== v);
    // Few branches: v − v is NaN only for a non-finite v (counted by the caller, rarely).
    nan += v - v;
    const a = Math.abs(v);
    if (a > maxAbs) maxAbs = a;
    if (a < minAbs && a !== 0) minAbs = a;
    // robustEntryRms's clipped square and Σw²'s term, exactly as in second().
    const c = Math.min(a, clip);
    clipped += c * c;
    guessed += (v * f) ** 2;
  }
  sums[MAX_ABS] = maxAbs;
  sums[MIN_ABS] = minAbs;
  sums[CLIPPED] = clipped;
  sums[GUESSED] = guessed;
  sums[NAN] = nan;
  return inexact;
}

/**
 * scanChunk's sums over block[start, end) without narrowing anything: the loop of a run that
 * takes no digest (ValueChecks' `digest` false, the usual case), where the narrowing was a
 * third of the time (1.6 against 2.2 ns an element on float32 values, measured in isolation).
 * The same operations in the same order on the sums as scanChunk's, so the same numbers.
 */
export function scanSums(
  block: Float64Array,
  start: number,
  end: number,
  sums: Float64Array,
  clip: number,
  f: number,
): void {
  let maxAbs = sums[MAX_ABS]!;
  let minAbs = sums[MIN_ABS]!;
  let clipped = sums[CLIPPED]!;
  let guessed = sums[GUESSED]!;
  let nan = sums[NAN]!;
  for (let i = start; i < end; i++) {
    const v = block[i]!;
    nan += v - v;
    const a = Math.abs(v);
    if (a > maxAbs) maxAbs = a;
    if (a < minAbs && a !== 0) minAbs = a;
    const c = Math.min(a, clip);
    clipped += c * c;
    guessed += (v * f) ** 2;
  }
  sums[MAX_ABS] = maxAbs;
  sums[MIN_ABS] = minAbs;
  sums[CLIPPED] = clipped;
  sums[GUESSED] = guessed;
  sums[NAN] = nan;
}

/**
 * The values' digest: sha1 over every element narrowed to float32, then the (index, float64
 * value) of each element float32 does not hold exactly. Both parts follow from the values
 * alone, and together they give every value back, so equal values give equal digests and
 * different ones different digests — as sha1 over the float64 bytes did, with half the bytes
 * hashed for weights stored in 32 bits or fewer (all float, bfloat16 and ggml types).
 */
class ValueDigest {
  /** Elements narrowed per hash update: reused, so it stays in cache and is touched once. */
  readonly scratch = new Float32Array(16384);
  private readonly pairs = new Float64Array(2048);
  private pairCount = 0;
  private readonly exceptions = createHash('sha1');

  constructor(private readonly hash: Hash) {}

  /** Hashes the first `n` elements of the scratch. */
  narrowed(n: number): void {
    this.hash.update(new Uint8Array(this.scratch.buffer, 0, n * 4));
  }

  inexact(index: number, value: number): void {
    this.pairs[this.pairCount++] = index;
    this.pairs[this.pairCount++] = value;
    if (this.pairCount === this.pairs.length) this.flush();
  }

  finish(): string {
    this.flush();
    return this.hash.update(`|${this.exceptions.digest('hex')}`).digest('hex');
  }

  private flush(): void {
    this.exceptions.update(new Uint8Array(this.pairs.buffer, 0, this.pairCount * 8));
    this.pairCount = 0;
  }
}
