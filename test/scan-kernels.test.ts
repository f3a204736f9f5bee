/**
 * The tensor scan's WebAssembly loops (src/scan-kernels.ts, spectrum/wasm/scan.as.ts) against
 * their TypeScript twins (tensor-checks.ts scanSums, entry-rms.ts sampleBlock): every running
 * sum, the heap and the largest value bit for bit, on seeded blocks with the values that
 * take the loops' other branches (NaN, ±∞, ±0, subnormals, values whose squares overflow),
 * from running sums and heaps left by an earlier block.
 */
import { describe, expect, it } from 'vitest';
import { sampleBlock } from '../src/entry-rms.js';
import { SAMPLE_KERNEL_MAX, sampleKernel, scanSumsKernel } from '../src/scan-kernels.js';
import { scanSums } from '../src/tensor-checks.js';
import { Rng } from './generators/rng.js';

const SPECIAL = [Number.NaN, Infinity, -Infinity, 0, -0, 5e-324, -2.2e-308, 1e300, -3e200, 1e-170];

function block(rng: Rng, n: number, specials: number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal() * 2 ** Math.floor(rng.uniform() * 40 - 20);
  for (let s = 0; s < specials; s++) v[Math.floor(rng.uniform() * n)] = SPECIAL[s % SPECIAL.length]!;
  return v;
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).every((x, i) => Object.is(x, b[i]!));

describe('scanSums kernel', () => {
  const rng = new Rng(4242);
  for (const [n, specials, clip, f] of [
    [1, 0, 0.5, 1],
    [1000, 0, 1.5, 2 ** 3],
    [16384, 0, 0.02, 2 ** -7],
    [16384, 12, 0.7, 1],
    [5000, 3, Number.NaN, 2 ** 100],
    [777, 10, Infinity, 2 ** -600],
  ] as const) {
    it(`${n} values, ${specials} special, clip ${clip}, f ${f}: every sum bit for bit`, () => {
      const v = block(rng, n + 20, specials);
      // From the sums an earlier chunk left (and from the initial ones).
      for (const initial of [
        [0, Infinity, 0, 0, 0],
        [3.5, 1e-3, 12.25, 7.5, 0],
        [1, 1, 1, 1, Number.NaN],
      ]) {
        const a = Float64Array.from(initial);
        const b = Float64Array.from(initial);
        scanSums(v, 10, 10 + n, a, clip, f);
        expect(scanSumsKernel(v, 10, 10 + n, b, clip, f)).toBe(true);
        expect(same(a, b)).toBe(true);
      }
    });
  }
});

describe('sampleBlock kernel', () => {
  const rng = new Rng(4343);
  for (const [n, from, step, heap, specials] of [
    [1, 0, 1, 1, 0],
    [300, 0, 1, 1, 0],
    [65536, 0, 1, 66, 0],
    [70000, 2, 3, 66, 8],
    [SAMPLE_KERNEL_MAX, 1, 4, 100, 20],
    [5000, 4999, 7, 5, 0],
  ] as const) {
    it(`${n} values from ${from} every ${step}, a heap of ${heap}: the same heap and largest`, () => {
      const v = block(rng, n, specials);
      for (const start of ['empty', 'earlier'] as const) {
        const topA = new Float64Array(heap).fill(-Infinity);
        if (start === 'earlier') for (let i = 0; i < heap; i++) topA[i] = 0.5 + i / heap; // a valid min-heap
        const topB = topA.slice();
        const stateA = Float64Array.of(start === 'earlier' ? 2 : 0);
        const stateB = stateA.slice();
        sampleBlock(v, from, step, topA, stateA);
        expect(sampleKernel(v, from, step, topB, stateB)).toBe(true);
        expect(same(topA, topB)).toBe(true);
        expect(same(stateA, stateB)).toBe(true);
      }
    });
  }

  it('a block above SAMPLE_KERNEL_MAX is left to the TypeScript loop', () => {
    const v = new Float64Array(SAMPLE_KERNEL_MAX + 1);
    expect(sampleKernel(v, 0, 5, new Float64Array(3).fill(-Infinity), new Float64Array(1))).toBe(false);
  });
});
