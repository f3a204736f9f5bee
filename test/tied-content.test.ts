/**
 * Tied weights found by digest only where fingerprints meet (src/tied-content.ts): an exact
 * copy is `tied`, a sign-flipped copy (the same fingerprint, other values) is analysed, and
 * the first tensor is read again once, only because a later one shares its fingerprint; a
 * sharded run's eager digests give the same answers.
 */
import { describe, expect, it } from 'vitest';
import { analyzeTensors } from '../src/analyze.js';
import { TiedContent } from '../src/tied-content.js';
import { scanWhole } from '../src/tensor-scan.js';
import type { TensorRef } from '../src/types.js';
import { Rng } from './generators/rng.js';

function tensor(name: string, values: Float64Array, reads: Map<string, number>): TensorRef {
  return {
    name,
    shape: [40, 30],
    dtype: 'F64',
    file: '<memory>',
    byteLength: values.byteLength,
    storageKey: `memory:${name}`,
    read: async () => {
      reads.set(name, (reads.get(name) ?? 0) + 1);
      return values.slice();
    },
  };
}

describe('TiedContent', () => {
  it('compares digests only on a shared fingerprint, reading the original again once', async () => {
    const tied = new TiedContent();
    const calls: string[] = [];
    const digest = (who: string, d: string) => () => {
      calls.push(who);
      return Promise.resolve(d);
    };
    expect(await tied.originalOf('a', 'f1', digest('a now', 'A'), digest('a later', 'A'))).toBeUndefined();
    expect(await tied.originalOf('x', 'f2', digest('x now', 'X'), digest('x later', 'X'))).toBeUndefined();
    expect(calls).toEqual([]);
    expect(await tied.originalOf('b', 'f1', digest('b now', 'A'), digest('b later', 'A'))).toBe('a');
    expect(await tied.originalOf('c', 'f1', digest('c now', 'C'), digest('c later', 'C'))).toBeUndefined();
    expect(await tied.originalOf('d', 'f1', digest('d now', 'C'), digest('d later', 'C'))).toBe('c');
    expect(calls).toEqual(['b now', 'a later', 'c now', 'd now']);
  });

  it('a sharded run: the first of a digest is the original', () => {
    const tied = new TiedContent();
    expect(tied.digested('a', 'A')).toBeUndefined();
    expect(tied.digested('b', 'A')).toBe('a');
    expect(tied.digested('c', 'C')).toBeUndefined();
  });

  it('a sign flip keeps the fingerprint and changes the digest', () => {
    const rng = new Rng(8);
    const a = new Float64Array(1200).map(() => rng.normal());
    const [sa, sb] = [
      scanWhole(a, [40, 30]),
      scanWhole(
        a.map((x) => -x),
        [40, 30],
      ),
    ];
    expect(sb.checks.fingerprint()).toBe(sa.checks.fingerprint());
    expect(sb.checks.digest()).not.toBe(sa.checks.digest());
    expect(
      scanWhole(
        a.map((x) => 2 * x),
        [40, 30],
      ).checks.fingerprint(),
    ).not.toBe(sa.checks.fingerprint());
  });
});

describe('tied weights through the pipeline', () => {
  it('a copy is tied, a sign-flipped copy analysed; only the original is read twice', async () => {
    const rng = new Rng(3);
    const a = new Float64Array(1200).map(() => rng.normal());
    const other = new Float64Array(1200).map(() => rng.normal());
    const reads = new Map<string, number>();
    const tensors = [
      tensor('a.weight', a, reads),
      tensor('other.weight', other, reads),
      tensor('copy.weight', a, reads),
      tensor(
        'flipped.weight',
        a.map((x) => -x),
        reads,
      ),
    ];
    const layers = await analyzeTensors(tensors, { jobs: 1 });
    expect(layers.map((l) => [l.id, l.status === 'skipped' ? `${l.skipCode}: ${l.skipReason}` : l.status])).toEqual([
      ['a.weight', 'analyzed'],
      ['other.weight', 'analyzed'],
      ['copy.weight', expect.stringMatching(/^tied: .*a\.weight/)],
      ['flipped.weight', 'analyzed'],
    ]);
    expect(Object.fromEntries(reads)).toEqual({
      'a.weight': 2,
      'other.weight': 1,
      'copy.weight': 1,
      'flipped.weight': 1,
    });
    // The flipped copy's spectrum is the original's.
    const [first, , , flipped] = layers;
    if (first?.status !== 'analyzed' || flipped?.status !== 'analyzed') throw new Error('not analysed');
    expect(flipped.metrics).toEqual(first.metrics);
  });
});
