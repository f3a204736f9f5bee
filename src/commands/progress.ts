/**
 * The progress bar on stderr (DESIGN.md §4): only when stderr is a terminal, and only
 * once the run has taken more than a second — a quick run, or one whose stderr is piped
 * or redirected, prints nothing. A timer redraws it while a long layer is being
 * decomposed, so a slow first layer still shows that the tool is working. The line is
 * cut to the terminal's width (a wrapped line could not be redrawn in place) and erased
 * when the run ends.
 */
import type { ProgressEvent } from '../analyze.js';
import { printable } from '../errors.js';

export interface Progress {
  update(e: ProgressEvent): void;
  clear(): void;
}

/** A stream that may be a terminal (process.stderr, or a fake in tests). */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** The clock and timer the bar uses; tests pass fakes. */
export interface ProgressClock {
  now(): number;
  /** Calls `tick` every `ms` until the returned function is called. */
  every(ms: number, tick: () => void): () => void;
}

export const SYSTEM_CLOCK: ProgressClock = {
  now: Date.now,
  every(ms, tick) {
    const t = setInterval(tick, ms);
    t.unref();
    return () => clearInterval(t);
  },
};

/** Nothing is drawn before the run has taken this long. */
export const PROGRESS_DELAY_MS = 1000;
/** Redraws are at most this frequent (a model of many small layers updates very often). */
const MIN_REDRAW_MS = 100;
const BAR_WIDTH = 24;

export function progressBar(
  stream: ProgressStream,
  clock: ProgressClock | (() => number) = SYSTEM_CLOCK,
): Progress | undefined {
  if (stream.isTTY !== true) return undefined;
  const c: ProgressClock = typeof clock === 'function' ? { now: clock, every: () => () => {} } : clock;
  const started = c.now();
  let last: ProgressEvent | undefined;
  let shown = false;
  let drawnAt = -Infinity;

  const draw = (force: boolean) => {
    const t = c.now();
    if (t - started < PROGRESS_DELAY_MS) return;
    if (!force && t - drawnAt < MIN_REDRAW_MS) return;
    drawnAt = t;
    shown = true;
    stream.write(`\r\x1b[K${progressLine(last, t - started, stream.columns)}`);
  };
  const stop = c.every(250, () => draw(true));
  return {
    update(e) {
      last = e;
      draw(false);
    },
    clear() {
      stop();
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}

/** One line: bar, count, percentage, elapsed seconds, the layer — at most `columns − 1` wide. */
export function progressLine(e: ProgressEvent | undefined, elapsedMs: number, columns: number | undefined): string {
  const done = e?.done ?? 0;
  const total = Math.max(1, e?.total ?? 1);
  const filled = Math.max(0, Math.min(BAR_WIDTH, Math.round((BAR_WIDTH * done) / total)));
  const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
  const model = e && e.models > 1 ? `model ${e.model + 1}/${e.models} ` : '';
  const count = e ? `${done}/${e.total}` : '…';
  const head = `${model}${bar} ${count} ${Math.floor((100 * done) / total)}% ${Math.floor(elapsedMs / 1000)}s`;
  const room = (columns !== undefined && columns > 0 ? columns : 80) - 1 - head.length - 1;
  const layer = printable(e?.layer ?? '', Number.POSITIVE_INFINITY);
  if (room < 4 || layer === '') return head.slice(0, Math.max(0, (columns ?? 80) - 1));
  const chars = [...layer];
  const name = chars.length > room ? '…' + chars.slice(chars.length - room + 1).join('') : layer;
  return `${head} ${name}`;
}
