/** The progress bar: stderr on a terminal only, after a second, cut to the width, erased at the end. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressBar, progressLine, PROGRESS_DELAY_MS, type ProgressClock } from '../../src/commands/progress.js';

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
});
