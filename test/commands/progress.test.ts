/** The progress bar: stderr on a terminal only, after a second, cut to the width, erased at the end. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  ETA_MIN_MS,
  progressBar,
  progressLine,
  PROGRESS_DELAY_MS,
  type ProgressClock,
} from '../../src/commands/progress.js';
import { tensorWork, WorkProgress, type ProgressEvent } from '../../src/progress-work.js';
import { planLayers } from '../../src/matrices.js';
import type { TensorRef } from '../../src/types.js';

function fakeStream(isTTY: boolean, columns = 60) {
  const writes: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk, _e, cb) {
        writes.push(String(chunk));
        cb();
      },
    }),
    { isTTY, columns },
  );
  return { stream, writes };
}

/** A clock the test moves by hand, with one repeating timer. */
function fakeClock() {
  let t = 1_000_000;
  let tick: (() => void) | undefined;
  let stopped = false;
  const clock: ProgressClock = {
    now: () => t,
    every(_ms, fn) {
      tick = fn;
      return () => {
        stopped = true;
      };
    },
  };
  return {
    clock,
    /** Moves the clock; the timer fires unless `fire` is false. */
    advance(ms: number, fire = true) {
      t += ms;
      if (fire && !stopped) tick?.();
    },
    get stopped() {
      return stopped;
    },
  };
}

const event = (done: number, total = 10, layer = 'model.layers.3.mlp.weight', model = 0, models = 1) => ({
  done,
  total,
  layer,
  model,
  models,
});

describe('progress bar', () => {
  it('is absent when stderr is not a terminal (piped, redirected)', () => {
    expect(progressBar(fakeStream(false).stream, fakeClock().clock)).toBeUndefined();
  });

  it('draws nothing for a run shorter than a second', () => {
    const { stream, writes } = fakeStream(true);
    const c = fakeClock();
    const p = progressBar(stream, c.clock)!;
    p.update(event(1));
    c.advance(500);
    p.update(event(5));
    c.advance(PROGRESS_DELAY_MS - 501);
    p.update(event(10));
    p.clear();
    expect(writes).toEqual([]);
    expect(c.stopped).toBe(true);
  });

  it('appears after a second — also while one slow layer is still running — and is erased at the end', () => {
    const { stream, writes } = fakeStream(true, 100);
    const c = fakeClock();
    const p = progressBar(stream, c.clock)!;
    c.advance(400);
    expect(writes).toEqual([]);
    c.advance(800); // 1.2 s, no layer finished yet: the timer draws
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^\r\x1b\[K░{24} … 0% 1s$/);
    c.advance(150, false);
    p.update(event(4));
    expect(writes.at(-1)).toMatch(/^\r\x1b\[K█{10}░{14} 4\/10 40% 1s model\.layers\.3\.mlp\.weight$/);
    p.update(event(5)); // within 100 ms of the last redraw: skipped
    expect(writes).toHaveLength(2);
    c.advance(2000);
    expect(writes.at(-1)).toMatch(/ 5\/10 50% 3s /);
    p.clear();
    expect(writes.at(-1)).toBe('\r\x1b[K');
    expect(c.stopped).toBe(true);
  });

  it('with several models, says which one', () => {
    expect(progressLine(event(4, 10, 'w', 1, 3), 2000, 80)).toMatch(/^model 2\/3 █{10}░{14} 4\/10 40% 2s w$/);
    expect(progressLine(event(4, 10, 'w', 0, 1), 2000, 80)).toMatch(/^█{10}░{14} 4\/10 /);
  });

  it('never wider than the terminal: long layer names are cut from the left', () => {
    const line = progressLine(event(3, 10, 'encoder.' + 'very_long_name.'.repeat(10) + 'weight'), 2500, 60);
    expect([...line].length).toBeLessThanOrEqual(59);
    expect(line).toMatch(/ …[a-z_.]*\.weight$/);
    expect([...progressLine(event(3), 2500, 20)].length).toBeLessThanOrEqual(19);
  });

  it('accepts a bare clock function (no timer)', () => {
    const { stream, writes } = fakeStream(true);
    let t = 0;
    const p = progressBar(stream, () => t)!;
    t = 1500;
    p.update(event(2));
    expect(writes).toHaveLength(1);
    p.clear();
  });

  it('advances by work, names the layer running, and shows an ETA that counts down', () => {
    const { stream, writes } = fakeStream(true, 120);
    const c = fakeClock();
    const p = progressBar(stream, c.clock)!;
    const work = (done: number, w: number, layer: string, started = false): ProgressEvent => ({
      ...event(done, 3, layer),
      work: w,
      totalWork: 1000,
      ...(started ? { started } : {}),
    });
    p.update(work(0, 0, 'small', true));
    c.advance(100, false);
    p.update(work(1, 10, 'small')); // 1 of 3 layers, but 1 % of the work
    p.update(work(1, 10, 'big', true));
    c.advance(PROGRESS_DELAY_MS, false);
    c.advance(0); // the timer draws: no ETA yet (too little done, too early)
    expect(writes.at(-1)).toMatch(/^\r\x1b\[K░{24} 1\/3 1% 1s big$/);
    c.advance(ETA_MIN_MS, false);
    p.update(work(2, 250, 'big')); // a quarter of the work in 4.1 s of this model
    expect(writes.at(-1)).toMatch(/^\r\x1b\[K█{6}░{18} 2\/3 25% 4s ETA 12s big$/);
    c.advance(5000); // no event for 5 s: the ETA counts down
    expect(writes.at(-1)).toMatch(/ 25% 9s ETA 7s big$/);
    c.advance(10_000);
    expect(writes.at(-1)).toMatch(/ 25% 19s ETA 0s big$/);
    p.clear();
  });

  it('restarts the ETA and the running layer with each model', () => {
    const { stream, writes } = fakeStream(true, 120);
    const c = fakeClock();
    const p = progressBar(stream, c.clock)!;
    const at = (model: number, w: number, layer: string, started = false): ProgressEvent => ({
      ...event(1, 2, layer, model, 2),
      work: w,
      totalWork: 100,
      ...(started ? { started } : {}),
    });
    p.update(at(0, 0, 'a', true));
    c.advance(ETA_MIN_MS + 1000, false);
    p.update(at(0, 50, 'a'));
    expect(writes.at(-1)).toMatch(/model 1\/2 █{12}░{12} 1\/2 50% 4s ETA 4s a$/);
    c.advance(100, false);
    p.update(at(1, 50, 'b')); // model 2: its own clock starts now, too early for an ETA
    expect(writes.at(-1)).toMatch(/model 2\/2 █{12}░{12} 1\/2 50% 4s b$/);
    p.clear();
  });

  it("counts a model's time from the run's start, before its first event (opening, first read)", () => {
    const { stream, writes } = fakeStream(true, 120);
    const c = fakeClock();
    const p = progressBar(stream, c.clock)!;
    c.advance(2000, false); // opening and reading the first tensor
    p.update({ ...event(0, 2, 'w'), work: 0, totalWork: 10, started: true });
    c.advance(1500, false);
    p.update({ ...event(1, 2, 'w'), work: 5, totalWork: 10 });
    expect(writes.at(-1)).toMatch(/ 1\/2 50% 3s ETA 4s w$/); // 3.5 s for half the work
    p.clear();
  });

  it('escapes the running layer name', () => {
    const line = progressLine({ ...event(1, 2, 'evil\x1b[2J\u202ename'), work: 1, totalWork: 2 }, 5000, 100, 65_000);
    expect(line).toMatch(/ 50% 5s ETA 1m05s /);
    expect(line).not.toMatch(/[\x1b\u202e]/);
  });
});

describe('work estimate', () => {
  const tensor = (name: string, shape: number[]) =>
    ({ name, shape, dtype: 'F32', kindHint: undefined }) as unknown as TensorRef;

  it('weighs a layer by its Gram product and eigenvalues, a skipped one by almost nothing', () => {
    const big = tensor('big.weight', [4096, 1024]);
    const small = tensor('small.weight', [64, 64]);
    const bias = tensor('x.bias', [64]);
    const [wBig] = tensorWork(big, planLayers(big, 10));
    const [wSmall] = tensorWork(small, planLayers(small, 10));
    const [wBias] = tensorWork(bias, planLayers(bias, 10));
    // N·M² + 2·M³ = 4096·1024² + 2·1024³, plus the read and a fixed cost per layer.
    expect(wBig! - 4096 * 1024 * 500 - 5e7).toBe(4096 * 1024 ** 2 + 2 * 1024 ** 3);
    expect(wBig! / wSmall!).toBeGreaterThan(100);
    expect(wBias).toBeLessThan(wSmall! / 100);
  });

  it('WorkProgress reports every layer once, with work adding up to the total', () => {
    const a = tensor('a.weight', [256, 128]);
    const b = tensor('b.weight', [512, 512]);
    const works = [tensorWork(a, planLayers(a, 10)), undefined, tensorWork(b, planLayers(b, 10))];
    const events: ProgressEvent[] = [];
    const progress = new WorkProgress(works, 0, 1, (e) => events.push(e));
    progress.started('a.weight');
    progress.finished(0, ['layer a'], 'a.weight');
    progress.finished(2, ['layer b'], 'b.weight');
    expect(events.map((e) => [e.layer, e.done, e.total, e.started ?? false])).toEqual([
      ['a.weight', 0, 2, true],
      ['a.weight', 1, 2, false],
      ['b.weight', 2, 2, false],
    ]);
    expect(events.at(-1)!.work).toBe(events.at(-1)!.totalWork);
    expect(events[1]!.work! / events[1]!.totalWork!).toBeLessThan(0.2);
  });
});
