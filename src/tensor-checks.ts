/**
 * The checks made on a tensor's values before any of its layers is analysed: whether a
 * spectrum can be computed from them at all (valueProblem), and their content digest, by
 * which tied weights saved twice are analysed once. Computed over consecutive blocks of the
 * tensor's elements, so that a stack of matrices read one matrix at a time
 * (src/stacked-read.ts) gets exactly the answers of the whole tensor, which is one block.
 */
import { createHash, type Hash } from 'node:crypto';
import type { SkipDetail } from './schema/words.js';
import { timesPow2 } from './spectrum-scale.js';

/**
 * Usage: first() on every block in order; problem(): if it is undefined, second() on every
 * block in order and problem() again; digest() once problem() is undefined after both.
 */
export class ValueChecks {
  private nonFinite = 0;
  private nonZero = 0;
  private maxAbs = 0;
  private squares = 0;
  private secondDone = false;
  private readonly hash: Hash;

  constructor(
    private readonly count: number,
    shape: readonly number[],
  ) {
    this.hash = createHash('sha1').update(shape.join('x'));
  }

  /** Counts and largest magnitude, and the digest's bytes (sha1 is the same in any pieces). */
  first(block: Float64Array): void {
    let { nonFinite, nonZero, maxAbs } = this;
    for (let i = 0; i < block.length; i++) {
      const v = block[i]!;
      if (!Number.isFinite(v)) nonFinite++;
      else if (v !== 0) {
        nonZero++;
        maxAbs = Math.max(maxAbs, Math.abs(v));
      }
    }
    this.nonFinite = nonFinite;
    this.nonZero = nonZero;
    this.maxAbs = maxAbs;
    // In pieces: one update() refuses more than 2 GiB (a 1 GiB float32 tensor is 2 GiB as float64).
    const bytes = new Uint8Array(block.buffer, block.byteOffset, block.byteLength);
    for (let at = 0; at < bytes.length; at += DIGEST_PIECE) this.hash.update(bytes.subarray(at, at + DIGEST_PIECE));
  }

  /**
   * Σw², summed at a scale where no square underflows (k from the largest magnitude, hence
   * the second pass); element order as in one loop over the whole tensor.
   */
  second(block: Float64Array): void {
    const k = -Math.floor(Math.log2(this.maxAbs));
    let s = this.squares;
    if (Math.abs(k) <= 1000) {
      // timesPow2's own single multiplication, with the factor hoisted out of the loop.
      const f = 2 ** k;
      for (let i = 0; i < block.length; i++) s += (block[i]! * f) ** 2;
    } else for (let i = 0; i < block.length; i++) s += timesPow2(block[i]!, k) ** 2;
    this.squares = s;
    this.secondDone = true;
  }

  /** Weights no spectrum can be computed from: non-finite values, all zeros, or squares out of range. */
  problem(): SkipDetail | undefined {
    const first = this.firstProblem();
    if (first !== undefined || !this.secondDone) return first;
    // Tiny entries are scaled before squaring (src/spectrum-scale.ts), but the eigenvalues
    // reported are the true ones: when even their sum Σw² is below 2^-1044 (fewer than 30
    // significant bits left in a subnormal) no eigenvalue can be stated.
    if (timesPow2(this.squares, 2 * Math.floor(Math.log2(this.maxAbs))) < UNDERFLOW_NORM)
      return { code: 'underflow', maxAbs: this.maxAbs };
    return undefined;
  }

  private firstProblem(): SkipDetail | undefined {
    if (this.nonFinite > 0) return { code: 'non-finite', count: this.nonFinite };
    if (this.nonZero === 0) return { code: 'all-zero' };
    // The spectrum squares the entries (Gram product, Σλ = Σw²): past this they overflow float64
    // (kept as a bound with headroom for the fits' sums, though the ESD itself scales; esd.ts).
    if (this.maxAbs * this.maxAbs * this.count > Number.MAX_VALUE) return { code: 'overflow', maxAbs: this.maxAbs };
    return undefined;
  }

  /** sha1 over the shape and the float64 bytes of every element. */
  digest(): string {
    return this.hash.digest('hex');
  }
}
const UNDERFLOW_NORM = 2 ** -1044;
const DIGEST_PIECE = 2 ** 30;

/** The checks of a tensor read whole. */
export function checkWhole(values: Float64Array, shape: readonly number[]): ValueChecks {
  const checks = new ValueChecks(values.length, shape);
  checks.first(values);
  if (checks.problem() === undefined) checks.second(values);
  return checks;
}
