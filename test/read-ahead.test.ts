/**
 * Issue 14 item 4, overlap: the pipeline reads and checks the next tensor while the ones
 * before it are computed, but holds at most one tensor ahead of those the core budget lets
 * compute (src/compute.ts), so memory stays bounded by a few tensors whatever the model's size.
 */
import { describe, expect, it } from 'vitest';
import { analyzeTensors } from '../src/analyze.js';
import { eigenvaluesTs } from '../src/spectrum/eigen.js';
import type { TensorRef } from '../src/types.js';
import { Rng } from './generators/rng.js';

/** A seeded rows×cols float64 tensor whose read() is logged. */
function tensor(name: string, rows: number, cols: number, log: string[]): TensorRef {
  const rng = new Rng([...name].reduce((h, c) => h * 31 + c.charCodeAt(0), rows));
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

/**
 * A solver that logs each start and waits until the test lets it finish (`step`), and the
 * log's reads; `answer` gives the eigenvalues once released.
 */
function gated(log: string[], answer: (W: Float64Array, rows: number, cols: number) => Float64Array, pause = 20) {
  const release: (() => void)[] = [];
  const solve = async (W: Float64Array, rows: number, cols: number) => {
    log.push('solve');
    await new Promise<void>((go) => release.push(go));
    return answer(W, rows, cols);
  };
  const settle = () => new Promise((r) => setTimeout(r, pause));
  return {
    solve,
    settle,
    reads: () => log.filter((e) => e.startsWith('read')),
    solves: () => log.filter((e) => e === 'solve').length,
    /** Lets the oldest waiting solve finish, then lets the pipeline move on. */
    step: async () => {
      release.shift()!();
      await settle();
    },
    /** Lets every solve finish, those to come included. */
    drain: async () => {
      while (release.length > 0) {
        release.shift()!();
        await settle();
      }
    },
  };
}

describe('read ahead of the core budget', () => {
  it('with one core: two small tensors compute, one more is read, the next waits for a core', async () => {
    const log: string[] = [];
    const g = gated(log, eigenvaluesTs);
    const tensors = ['a', 'b', 'c', 'd', 'e'].map((n) => tensor(n, 40, 30, log));
    const run = analyzeTensors(tensors, { solve: g.solve, jobs: 1 });
    await g.settle();
    // Small tensors take half a core each (src/compute.ts): a and b compute, c is read
    // ahead and waits; d is not read until a core is free.
    expect(g.reads()).toEqual(['read a', 'read b', 'read c']);
    expect(g.solves()).toBe(2);
    await g.step();
    expect(g.reads()).toEqual(['read a', 'read b', 'read c', 'read d']);
    expect(g.solves()).toBe(3);
    await g.drain();
    const layers = await run;
    expect(layers.map((l) => [l.name, l.status])).toEqual(['a', 'b', 'c', 'd', 'e'].map((n) => [n, 'analyzed']));
    expect(g.reads()).toEqual(['read a', 'read b', 'read c', 'read d', 'read e']);
  });

  it('a tensor of 16 MiB or more takes a whole core: one computes, one is read ahead', async () => {
    const log: string[] = [];
    // 2048×1024 float64 = 16 MiB; the solver answers with made-up eigenvalues.
    const g = gated(log, (_W, _rows, cols) => Float64Array.from({ length: cols }, (_, i) => i + 1), 50);
    const tensors = ['x', 'y', 'z'].map((n) => tensor(n, 2048, 1024, log));
    const run = analyzeTensors(tensors, { solve: g.solve, jobs: 1 });
    await g.settle();
    expect(g.reads()).toEqual(['read x', 'read y']);
    expect(g.solves()).toBe(1);
    await g.step();
    expect(g.reads()).toEqual(['read x', 'read y', 'read z']);
    await g.drain();
    expect((await run).map((l) => l.status)).toEqual(['analyzed', 'analyzed', 'analyzed']);
  });

  it('a tensor above READ_AHEAD_MAX_BYTES is read only once its cores are free', async () => {
    const log: string[] = [];
    const g = gated(log, eigenvaluesTs);
    const tensors = ['f', 'g', 'h'].map((n) => tensor(n, 40, 30, log));
    // With the limit at 0 every tensor counts as large: f and g (half a core each) compute, h is not read.
    const run = analyzeTensors(tensors, { solve: g.solve, jobs: 1, readAheadMaxBytes: 0 });
    await g.settle();
    expect(g.reads()).toEqual(['read f', 'read g']);
    await g.step();
    expect(g.reads()).toEqual(['read f', 'read g', 'read h']);
    await g.drain();
    expect((await run).map((l) => l.status)).toEqual(['analyzed', 'analyzed', 'analyzed']);
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
