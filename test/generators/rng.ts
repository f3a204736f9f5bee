/**
 * The test generators' PRNG: a facade over the project's one generator, createRng in
 * src/random.ts (xoshiro128**, Blackman & Vigna 2018, seeded by splitmix32), with the
 * sampling helpers the families need. The seed is taken modulo 2³², where createRng gives
 * exactly the stream this class produced when it carried its own copy of the generator, so
 * every seeded family (and the calibrated phase thresholds) is unchanged.
 */
import { createRng, type Rng as CoreRng } from '../../src/random.js';

export class Rng {
  private readonly core: CoreRng;

  constructor(seed: number) {
    this.core = createRng(seed >>> 0);
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    return this.core.nextUint32();
  }

  /** Uniform in [0, 1), 53 random bits. */
  uniform(): number {
    return this.core.next();
  }

  /** Uniform in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + this.core.nextInt(hi - lo + 1);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.core.nextInt(items.length)]!;
  }

  /** Standard normal (Marsaglia polar method). */
  normal(): number {
    return this.core.nextGaussian();
  }

  /** ±1 with equal probability. */
  sign(): number {
    return this.u32() & 1 ? 1 : -1;
  }

  /** Pareto with tail index μ and minimum 1: P(X > x) = x^{−μ}. */
  pareto(mu: number): number {
    return Math.pow(1 - this.uniform(), -1 / mu);
  }
}
