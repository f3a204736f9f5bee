/**
 * The one pass over a tensor's values (src/tensor-scan.ts) against the separate passes it
 * replaced, kept here verbatim as the oracle: the same Σw², the same robust entry RMS and the
 * same checks, bit for bit, whole and across block splits; and a digest that is equal exactly
 * when the values are.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { scanBlocks, scanWhole } from '../src/tensor-scan.js';
import { EntryRmsScan, robustEntryRms } from '../src/entry-rms.js';
import { timesPow2 } from '../src/spectrum-scale.js';
import { Rng } from './generators/rng.js';

/** The former ValueChecks: counts and max, sha1 of the float64 bytes, then Σw² in a second pass. */
function oldChecks(values: Float64Array) {
  let nonFinite = 0;
  let nonZero = 0;
  let maxAbs = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) nonFinite++;
    else if (v !== 0) {
      nonZero++;
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
  }
  const k = -Math.floor(Math.log2(maxAbs));
  let s = 0;
  if (Math.abs(k) <= 1000) {
    const f = 2 ** k;
    for (let i = 0; i < values.length; i++) s += (values[i]! * f) ** 2;
  } else for (let i = 0; i < values.length; i++) s += timesPow2(values[i]!, k) ** 2;
  return { nonFinite, nonZero, maxAbs, squares: s };
}

/** The former robustEntryRms: the strided sample sorted, its 99.9th percentile the clip. */
function oldRobustRms(values: Float64Array): number {
  const step = Math.max(1, Math.floor(values.length / 65536));
  const taken: number[] = [];
  for (let i = 0; i < values.length; i += step) taken.push(Math.abs(values[i]!));
  const sample = taken.sort((a, b) => a - b);
  const clip = sample[Math.min(sample.length - 1, Math.floor(0.999 * sample.length))]!;
  let s = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.min(Math.abs(values[i]!), clip);
    s += a * a;
  }
  return Math.sqrt(s / values.length);
}

function gaussian(n: number, seed: number, sigma: number): Float64Array {
  const rng = new Rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.fround(sigma * rng.normal());
  return out;
}

const reader = (values: Float64Array) => async (first: number, count: number) => values.slice(first, first + count);

/** Seeded blocks: plain, heavy outliers (the sample's max in a lower binade), tiny and huge scales. */
function cases(): [string, Float64Array][] {
  const out: [string, Float64Array][] = [];
  for (const [seed, sigma] of [
    [1, 0.029],
    [2, 1],
    [3, 3e-3],
    [4, 7.5],
  ] as const)
    out.push([`gaussian σ=${sigma}`, gaussian(150_001, seed, sigma)]);
  const outlier = gaussian(200_000, 5, 0.02);
  outlier[123_457] = 4096; // 17 binades above the sample's largest entry
  out.push(['one huge outlier', outlier]);
  const range = gaussian(100_000, 6, 1e-3);
  range[17] = 1e-160; // squares at the guessed scale would be subnormal: re-summed
  range[99_999] = 1e10;
  out.push(['range beyond 2^511', range]);
  out.push(['|k| > 1000', gaussian(70_000, 7, 1).map((v) => v * 1e-305)]);
  out.push(['tiny, no outlier', gaussian(70_000, 8, 1).map((v) => v * 1e-200)]);
  out.push(['small, k ≈ 400', gaussian(70_000, 15, 1).map((v) => v * 1e-120)]);
  out.push(['large, k ≈ −400', gaussian(70_000, 16, 1).map((v) => v * 1e120)]);
  const sparse = new Float64Array(300_000);
  sparse[299_999] = -0.5;
  sparse[7] = 3e-9;
  out.push(['sparse (sample all zero)', sparse]);
  out.push(['float64 values', gaussian(50_000, 9, 1).map((v) => v / 3)]);
  return out;
}

describe('one pass over the values', () => {
  for (const [name, values] of cases()) {
    it(`${name}: Σw², robust RMS and checks equal the separate passes, whole and in blocks`, async () => {
      const old = oldChecks(values);
      const whole = scanWhole(values, [values.length]);
      const problem = whole.checks.problem();
      // Entries near 1e-305 or 1e-200: Σw² itself underflows, and the tensor is skipped.
      expect(problem?.code).toBe(name.startsWith('|k|') || name.startsWith('tiny') ? 'underflow' : undefined);
      expect(whole.checks.squareSum()).toBe(old.squares);
      expect(whole.entryRms).toBe(problem === undefined ? oldRobustRms(values) : Number.NaN);
      if (problem === undefined) expect(robustEntryRms(values)).toBe(whole.entryRms);
      const digest = whole.checks.digest();
      for (const piece of [1000, 65_536, 99_991, values.length]) {
        const blocks = await scanBlocks(reader(values), piece, [values.length]);
        expect(blocks.checks.problem()).toEqual(problem);
        expect(blocks.checks.squareSum()).toBe(old.squares);
        expect(blocks.entryRms).toBe(whole.entryRms);
        expect(blocks.checks.digest()).toBe(digest);
        // Without a digest (its own loop, nothing narrowed): every other answer the same.
        const plain = await scanBlocks(reader(values), piece, [values.length], false);
        expect(plain.checks.problem()).toEqual(problem);
        expect(plain.checks.squareSum()).toBe(old.squares);
        expect(plain.checks.fingerprint()).toBe(blocks.checks.fingerprint());
        expect(plain.entryRms).toBe(whole.entryRms);
      }
      const plain = scanWhole(values, [values.length], false);
      expect(plain.checks.problem()).toEqual(problem);
      expect(plain.checks.squareSum()).toBe(old.squares);
      expect(plain.checks.fingerprint()).toBe(whole.checks.fingerprint());
      expect(plain.entryRms).toBe(whole.entryRms);
      expect(() => plain.checks.digest()).toThrow();
    });
  }

  it('finds non-finite values, all zeros, overflow and underflow as before', async () => {
    const nan = gaussian(10_000, 10, 1);
    nan[5000] = Number.NaN;
    nan[9999] = -Infinity;
    expect(scanWhole(nan, [100, 100]).checks.problem()).toEqual({ code: 'non-finite', count: 2 });
    expect((await scanBlocks(reader(nan), 3000, [100, 100])).checks.problem()).toEqual({
      code: 'non-finite',
      count: 2,
    });
    expect(scanWhole(nan, [100, 100], false).checks.problem()).toEqual({ code: 'non-finite', count: 2 });
    expect(scanWhole(new Float64Array(64), [8, 8]).checks.problem()).toEqual({ code: 'all-zero' });
    const big = gaussian(100, 11, 1).map((v) => v * 1e300);
    expect(scanWhole(big, [10, 10]).checks.problem()?.code).toBe('overflow');
    const sub = new Float64Array(100);
    sub[3] = 2 ** -1070;
    expect(scanWhole(sub, [10, 10]).checks.problem()).toEqual({ code: 'underflow', maxAbs: 2 ** -1070 });
  });
});

describe('content digest', () => {
  const digest = (v: Float64Array, shape: number[]) => scanWhole(v, shape).checks.digest();

  it('is equal for equal values and shapes, whatever the blocks', async () => {
    const a = gaussian(40_000, 12, 0.1);
    expect(digest(a.slice(), [200, 200])).toBe(digest(a, [200, 200]));
    expect((await scanBlocks(reader(a), 7777, [200, 200])).checks.digest()).toBe(digest(a, [200, 200]));
    const b = a.map((v) => v / 7); // not float32: the exceptions list carries them
    expect((await scanBlocks(reader(b), 7777, [200, 200])).checks.digest()).toBe(digest(b.slice(), [200, 200]));
  });

  it('differs when a value, its float64 tail, its sign or the shape differs', () => {
    const a = gaussian(40_000, 13, 0.1);
    const seen = new Set([digest(a, [200, 200]), digest(a, [100, 400])]);
    const change = (i: number, v: number) => {
      const b = a.slice();
      b[i] = v;
      seen.add(digest(b, [200, 200]));
    };
    change(39_999, a[39_999]! + 2 ** -40); // same float32, different float64
    change(0, a[0]! * (1 + 2 ** -23));
    const zeros = new Float64Array(100);
    zeros[1] = 1;
    seen.add(digest(zeros, [10, 10]));
    zeros[0] = -0;
    seen.add(digest(zeros, [10, 10]));
    expect(seen.size).toBe(6);
  });

  it('hashes half the bytes of float64 for float32 values (the old digest for reference)', () => {
    const a = gaussian(1000, 14, 1);
    const old = createHash('sha1').update('10x100').update(new Uint8Array(a.buffer)).digest('hex');
    expect(digest(a, [10, 100])).not.toBe(old);
    expect(digest(a, [10, 100])).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('the clip level of the robust RMS (EntryRmsScan)', () => {
  /** The sample's 99.9th percentile as the former code found it: sorted, then indexed. */
  const sortedClip = (values: Float64Array): number => {
    const step = Math.max(1, Math.floor(values.length / 65536));
    const taken: number[] = [];
    for (let i = 0; i < values.length; i += step) {
      const a = Math.abs(values[i]!);
      taken.push(Number.isNaN(a) ? Infinity : a);
    }
    taken.sort((x, y) => x - y);
    return taken[Math.min(taken.length - 1, Math.floor(0.999 * taken.length))]!;
  };

  it('is the order statistic a sort gives: many sizes, ties, sorted, reversed, NaN, in blocks', () => {
    const rng = new Rng(17);
    const arrays: Float64Array[] = [];
    for (const n of [1, 2, 3, 999, 1000, 1001, 1002, 65_535, 65_536, 65_537, 131_071, 200_003]) {
      arrays.push(Float64Array.from({ length: n }, () => rng.normal()));
      arrays.push(Float64Array.from({ length: n }, () => Math.floor(rng.uniform() * 4) - 2));
    }
    arrays.push(Float64Array.from({ length: 5000 }, (_, i) => i));
    arrays.push(Float64Array.from({ length: 5000 }, (_, i) => -i));
    arrays.push(new Float64Array(777));
    const nan = Float64Array.from({ length: 3000 }, () => rng.normal());
    for (const i of [5, 77, 1500]) nan[i] = Number.NaN;
    arrays.push(nan);
    for (const values of arrays) {
      const expected = sortedClip(values);
      const whole = new EntryRmsScan(values.length);
      whole.sample(values, 0);
      expect(whole.clip()).toBe(expected);
      const inBlocks = new EntryRmsScan(values.length);
      for (let first = 0; first < values.length; first += 997)
        inBlocks.sample(values.subarray(first, first + 997), first);
      expect(inBlocks.clip()).toBe(expected);
      expect(inBlocks.sampleMax()).toBe(whole.sampleMax());
    }
  });
});

describe('neverScaled', () => {
  const never = (values: number[]) => scanWhole(Float64Array.from(values), [values.length]).checks.neverScaled();

  it('is true exactly when no part of the tensor could need scaling before squaring', () => {
    expect(never([1e-3, 0, -2, 0.5])).toBe(true);
    expect(never([0, 0, 0])).toBe(true);
    expect(never([2 ** 250, -(2 ** -250)])).toBe(true);
    // One tiny entry: a slice holding only it would be scaled.
    expect(never([1, 2 ** -251])).toBe(false);
    expect(never([1e-80, 0.3])).toBe(false);
    expect(never([2 ** 251, 1])).toBe(false);
  });

  it('read in blocks, the same answer as whole', async () => {
    const values = Float64Array.from({ length: 1000 }, (_, i) => (i === 777 ? 1e-90 : Math.sin(i)));
    const blocks = await scanBlocks(async (first, count) => values.slice(first, first + count), 100, [1000]);
    expect(blocks.checks.neverScaled()).toBe(false);
    expect(scanWhole(values, [1000]).checks.neverScaled()).toBe(false);
    values[777] = 0.5;
    expect((await scanBlocks(async (f, c) => values.slice(f, f + c), 100, [1000])).checks.neverScaled()).toBe(true);
  });
});
