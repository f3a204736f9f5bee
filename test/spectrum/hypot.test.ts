/**
 * src/spectrum/hypot.ts: hypot2 is Math.hypot for two arguments, bit for bit — on the special
 * values, on random bit patterns (every exponent, subnormals, NaN payloads) and on the ranges
 * the QL rotations see (values of all magnitudes against 1 and against each other).
 */
import { describe, expect, it } from 'vitest';
import { hypot2 } from '../../src/spectrum/hypot.js';
import { Rng } from '../generators/rng.js';

const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

describe('hypot2', () => {
  it('equals Math.hypot on every pair of special values', () => {
    const specials = [0, -0, 1, -1, 3, 4, Infinity, -Infinity, Number.NaN, 5e-324, 2.2250738585072014e-308];
    specials.push(Number.MAX_VALUE, -Number.MAX_VALUE, 1e-200, 1e200, 0.1, Number.EPSILON);
    for (const a of specials) for (const b of specials) expect([a, b, hypot2(a, b)]).toEqual([a, b, Math.hypot(a, b)]);
  });

  it('equals Math.hypot on 2·10⁶ random pairs, bit for bit', () => {
    const rng = new Rng(2026);
    const bits = new Uint32Array(2);
    const view = new Float64Array(bits.buffer);
    const randomBits = () => {
      bits[0] = rng.u32();
      bits[1] = rng.u32();
      return view[0]!;
    };
    let differ = 0;
    for (let i = 0; i < 500_000; i++) {
      const a = randomBits();
      const b = randomBits();
      const c = (rng.u32() / 2 ** 32 - 0.5) * 10 ** ((i % 40) - 20);
      const d = (rng.u32() / 2 ** 32) * 10 ** ((i % 13) - 6);
      if (!same(hypot2(a, b), Math.hypot(a, b))) differ++;
      if (!same(hypot2(c, d), Math.hypot(c, d))) differ++;
      if (!same(hypot2(c, 1), Math.hypot(c, 1))) differ++;
      if (!same(hypot2(d, a), Math.hypot(d, a))) differ++;
    }
    expect(differ).toBe(0);
  });
});
