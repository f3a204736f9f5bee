/**
 * Issue 14 item 4, overlap: the pipeline reads and checks the next tensor while the ones
 * before it are computed, but holds at most one tensor ahead of those the core budget lets
 * compute, so memory stays bounded by a few tensors whatever the model's size.
 */
import { describe, expect, it } from 'vitest';
import { analyzeTensors } from '../src/analyze.js';
import { eigenvaluesTs } from '../src/spectrum/eigen.js';
import type { TensorRef } from '../src/types.js';
import { Rng } from './generators/rng.js';

/** A seeded rows×cols float64 tensor whose read() is logged. */
function tensor(name: string, rows: number, cols: number, log: string[]): TensorRef {
  const rng = new Rng(name.charCodeAt(0) * 7919 + name.length * 31 + rows);
  const values = Float64Array.from({ length: rows * cols }, () => rng.normal());
  return {
    name,
    shape: [rows, cols],
    dtype: 'F64',
    file: 'memory',
    byteLength: values.byteLength,
    kindHint: 'dense',
    storageKey: name,
    read: async () => {
      log.push(`read ${name}`);
      return values.slice();
    },
  };
}

describe('read ahead of the core budget', () => {
  it('with one core: tensor k+1 is read while k computes, k+2 only after k is done', async () => {
    const log: string[] = [];
    const release: (() => void)[] = [];
    const tensors = ['a', 'b', 'c', 'd'].map((n) => tensor(n, 40, 30, log));
    // The solver logs its start and waits until the test lets it finish.
    let solving = 0;
    const solve = async (W: Float64Array, rows: number, cols: number) => {
      const k = solving++;
      log.push(`solve ${k}`);
      await new Promise<void>((go) => release.push(go));
      log.push(`done ${k}`);
      return eigenvaluesTs(W, rows, cols);
    };
    const run = analyzeTensors(tensors, { solve, jobs: 1 });
    const settle = () => new Promise((r) => setTimeout(r, 20));
    await settle();
    // a computes; b was read ahead; c waits until a's core is free.
    expect(log).toEqual(['read a', 'solve 0', 'read b']);
    release.shift()!();
    await settle();
    expect(log).toEqual(['read a', 'solve 0', 'read b', 'done 0', 'solve 1', 'read c']);
    for (let i = 0; i < 3; i++) {
      release.shift()!();
      await settle();
    }
    const layers = await run;
    expect(layers.map((l) => [l.name, l.status])).toEqual([
      ['a', 'analyzed'],
      ['b', 'analyzed'],
      ['c', 'analyzed'],
      ['d', 'analyzed'],
    ]);
    expect(log.filter((e) => e.startsWith('read'))).toEqual(['read a', 'read b', 'read c', 'read d']);
  });

  it('the answers do not depend on the overlap: same results as one tensor at a time', async () => {
    const log: string[] = [];
    const tensors = ['p', 'qq', 'rrr'].map((n, i) => tensor(n, 50 + 10 * i, 20 + 5 * i, log));
    const together = await analyzeTensors(tensors, { solve: eigenvaluesTs, jobs: 2 });
    const alone = [];
    for (const t of tensors) alone.push(...(await analyzeTensors([t], { solve: eigenvaluesTs, jobs: 1 })));
    expect(together).toEqual(alone);
  });
});
