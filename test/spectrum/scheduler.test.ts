/**
 * The core budget (src/spectrum/scheduler.ts), driven by hand: fake jobs that run until the
 * test resolves them, so which jobs start, in what order, and the largest weight held at
 * once are facts of the schedule, not of timing.
 */
import { describe, expect, it } from 'vitest';
import { CoreBudget, EXCLUSIVE_N, PAIRED_MAX_BYTES, pairedUpTo } from '../../src/spectrum/scheduler.js';

/** Lets every settled promise run its continuations (a few turns of the microtask queue). */
const settle = () => new Promise<void>((r) => setImmediate(r));

/** Jobs that record when they start and finish only when `finish(name)` is called. */
function harness(budget: CoreBudget) {
  const started: string[] = [];
  const finishers = new Map<string, () => void>();
  let held = 0;
  let maxHeld = 0;
  const submit = (name: string, weight: number) =>
    budget.run(weight, async () => {
      started.push(name);
      held += weight;
      maxHeld = Math.max(maxHeld, held);
      expect(held).toBeLessThanOrEqual(budget.cores);
      await new Promise<void>((r) => finishers.set(name, r));
      held -= weight;
      return name;
    });
  const finish = async (name: string) => {
    const f = finishers.get(name);
    if (f === undefined) throw new Error(`${name} has not started`);
    f();
    await settle();
  };
  return { started, submit, finish, maxHeld: () => maxHeld };
}

describe('CoreBudget', () => {
  it('asks for every core at M ≥ EXCLUSIVE_N, one below', () => {
    const budget = new CoreBudget(4);
    expect(budget.weightFor(EXCLUSIVE_N - 1)).toBe(1);
    expect(budget.weightFor(EXCLUSIVE_N)).toBe(4);
    expect(budget.weightFor(0)).toBe(1);
    expect(new CoreBudget(0.5).cores).toBe(1);
  });

  it('halves the weight of a large matrix of at most PAIRED_MAX_BYTES, so two run side by side', () => {
    const two = new CoreBudget(2);
    expect(1536 * 2048 * 8).toBeLessThanOrEqual(PAIRED_MAX_BYTES);
    expect(two.weightOf(1536, 2048)).toBe(1);
    expect(two.weightOf(2048, 1536)).toBe(1);
    expect(two.weightOf(EXCLUSIVE_N, EXCLUSIVE_N)).toBe(1);
    // 2048² is 32 MiB: alone, as every larger one (a Llama MLP matrix).
    expect(two.weightOf(2048, 2048)).toBe(2);
    expect(two.weightOf(4096, 11008)).toBe(2);
    expect(two.weightOf(4096, EXCLUSIVE_N - 1)).toBe(1);
    expect(new CoreBudget(4).weightOf(1536, 2048)).toBe(2);
    expect(new CoreBudget(1).weightOf(1536, 2048)).toBe(1);
  });

  it('pairs up to half the largest matrix of the model, never below PAIRED_MAX_BYTES', () => {
    expect(pairedUpTo(0)).toBe(PAIRED_MAX_BYTES);
    expect(pairedUpTo(2 * PAIRED_MAX_BYTES)).toBe(PAIRED_MAX_BYTES);
    expect(pairedUpTo(2 * PAIRED_MAX_BYTES + 8)).toBe(PAIRED_MAX_BYTES + 4);
    const two = new CoreBudget(2);
    const gpt2Medium = pairedUpTo(50257 * 1024 * 8);
    expect(two.weightOf(1024, 4096)).toBe(2);
    expect(two.weightOf(1024, 4096, gpt2Medium)).toBe(1);
    expect(two.weightOf(4096, 1024, gpt2Medium)).toBe(1);
    // A Llama block: its 4096² matrices pair, its 11008×4096 ones (the largest) run alone.
    const llama = pairedUpTo(11008 * 4096 * 8);
    expect(two.weightOf(4096, 4096, llama)).toBe(1);
    expect(two.weightOf(11008, 4096, llama)).toBe(2);
    expect(two.weightOf(4096, 11008, llama)).toBe(2);
    // Medium matrices keep one core whatever the limit.
    expect(two.weightOf(4096, EXCLUSIVE_N - 1, gpt2Medium)).toBe(1);
    // The limit is inclusive: exactly half pairs, one element more does not.
    const half = pairedUpTo(2 * 4096 * 4096 * 8);
    expect(two.weightOf(4096, 4096, half)).toBe(1);
    expect(two.weightOf(4096, 4097, half)).toBe(2);
  });

  it('runs small jobs side by side, one per core', async () => {
    const budget = new CoreBudget(2);
    const h = harness(budget);
    const done = ['a', 'b', 'c'].map((n) => h.submit(n, 1));
    await settle();
    expect(h.started).toEqual(['a', 'b']);
    await h.finish('b');
    expect(h.started).toEqual(['a', 'b', 'c']);
    await h.finish('a');
    await h.finish('c');
    expect(await Promise.all(done)).toEqual(['a', 'b', 'c']);
    expect(h.maxHeld()).toBe(2);
  });

  it('runs a large job alone, and small ones behind it do not overtake it', async () => {
    const budget = new CoreBudget(2);
    const h = harness(budget);
    const done = [h.submit('small1', 1), h.submit('large', 2), h.submit('small2', 1), h.submit('small3', 1)];
    await settle();
    // One core is free, but the large job waits first in line.
    expect(h.started).toEqual(['small1']);
    await h.finish('small1');
    expect(h.started).toEqual(['small1', 'large']);
    await h.finish('large');
    expect(h.started).toEqual(['small1', 'large', 'small2', 'small3']);
    await h.finish('small2');
    await h.finish('small3');
    await Promise.all(done);
    expect(h.maxHeld()).toBe(2);
  });

  it('with one core, runs everything one at a time in order', async () => {
    const budget = new CoreBudget(1);
    const h = harness(budget);
    const names = ['a', 'big', 'b'];
    const done = names.map((n) => h.submit(n, budget.weightFor(n === 'big' ? 4096 : 10)));
    for (const n of names) {
      await settle();
      expect(h.started.at(-1)).toBe(n);
      await h.finish(n);
    }
    await Promise.all(done);
    expect(h.maxHeld()).toBe(1);
  });

  it('releases the cores of a job that throws', async () => {
    const budget = new CoreBudget(2);
    await expect(
      budget.run(2, () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const h = harness(budget);
    const done = h.submit('next', 2);
    await settle();
    expect(h.started).toEqual(['next']);
    await h.finish('next');
    await done;
  });

  it('idle() resolves only once nothing holds or waits for a core', async () => {
    const budget = new CoreBudget(2);
    await budget.idle();
    const h = harness(budget);
    const done = [h.submit('a', 2), h.submit('b', 1)];
    let idle = false;
    void budget.idle().then(() => (idle = true));
    await settle();
    expect(idle).toBe(false);
    await h.finish('a');
    expect(idle).toBe(false);
    await h.finish('b');
    expect(idle).toBe(true);
    await Promise.all(done);
  });

  it('refuses a weight it could never grant', async () => {
    const budget = new CoreBudget(2);
    await expect(budget.acquire(3)).rejects.toThrow(RangeError);
    await expect(budget.acquire(0)).rejects.toThrow(RangeError);
  });
});
