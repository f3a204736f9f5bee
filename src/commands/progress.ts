/**
 * The progress bar on stderr (DESIGN.md §4): only when stderr is a terminal, and only
 * once the run has taken more than a second — a quick run, or one whose stderr is piped
 * or redirected, prints nothing. A timer redraws it while a long layer is being
 * decomposed, so a slow first layer still shows that the tool is working. The line is
 * cut to the terminal's width (a wrapped line could not be redrawn in place) and erased
 * when the run ends.
 *
 * The bar advances by estimated work (src/progress-work.ts: ≈ multiply-adds of each layer's
 * Gram product and eigenvalues, plus its read), not by layer count, names the layer being
 * analysed, and once enough work is done shows an ETA: the model's elapsed time scaled by
 * the work left, counting down while a long layer runs.
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
/** No ETA before this share of a model's work is done and this much of its time has passed. */
export const ETA_MIN_FRACTION = 0.02;
export const ETA_MIN_MS = 3000;

export function progressBar(
  stream: ProgressStream,
  clock: ProgressClock | (() => number) = SYSTEM_CLOCK,
): Progress | undefined {
  if (stream.isTTY !== true) return undefined;
  const c: ProgressClock = typeof clock === 'function' ? { now: clock, every: () => () => {} } : clock;
  const started = c.now();
  let last: ProgressEvent | undefined;
  let current: string | undefined;
  let shown = false;
  let drawnAt = -Infinity;
  // The current model's start, and when its last event came.
  let model = -1;
  let modelStart = started;
  let eventAt = started;

  const draw = (force: boolean) => {
    const t = c.now();
    if (t - started < PROGRESS_DELAY_MS) return;
    if (!force && t - drawnAt < MIN_REDRAW_MS) return;
    drawnAt = t;
    shown = true;
    const f = fraction(last);
    const ran = eventAt - modelStart;
    const eta =
      last?.totalWork !== undefined && f >= ETA_MIN_FRACTION && ran >= ETA_MIN_MS
        ? Math.max(0, (ran * (1 - f)) / f - (t - eventAt))
        : undefined;
    const e = last && current !== undefined ? { ...last, layer: current } : last;
    stream.write(`\r\x1b[K${progressLine(e, t - started, stream.columns, eta)}`);
  };
  const stop = c.every(250, () => draw(true));
  return {
    update(e) {
      const t = c.now();
      if (e.model !== model) {
        // A model's time starts when the previous one's last event came (the first at the
        // run's start): its opening and first read come before its first event.
        modelStart = model === -1 ? started : eventAt;
        model = e.model;
        current = undefined;
      }
      eventAt = t;
      last = e;
      if (e.started) current = e.layer;
      draw(false);
    },
    clear() {
      stop();
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}

/** Share of the current model done: by estimated work when the event carries it, else by layers. */
function fraction(e: ProgressEvent | undefined): number {
  const [part, whole] = shares(e);
  return Math.min(1, part / whole);
}

function shares(e: ProgressEvent | undefined): [number, number] {
  if (e === undefined) return [0, 1];
  if (e.work !== undefined && e.totalWork !== undefined && e.totalWork > 0) return [e.work, e.totalWork];
  return [e.done, Math.max(1, e.total)];
}

/** 45s, 3m05s, 1h02m. */
function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}

/**
 * One line: bar, count, percentage, elapsed seconds, the ETA when given, the layer — at most
 * `columns − 1` wide.
 */
export function progressLine(
  e: ProgressEvent | undefined,
  elapsedMs: number,
  columns: number | undefined,
  etaMs?: number,
): string {
  const done = e?.done ?? 0;
  const [part, whole] = shares(e);
  const filled = Math.max(0, Math.min(BAR_WIDTH, Math.round((BAR_WIDTH * part) / whole)));
  const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
  const model = e && e.models > 1 ? `model ${e.model + 1}/${e.models} ` : '';
  const count = e ? `${done}/${e.total}` : '…';
  const eta = etaMs !== undefined ? ` ETA ${duration(etaMs)}` : '';
  const pct = Math.min(100, Math.floor((100 * part) / whole));
  const head = `${model}${bar} ${count} ${pct}% ${Math.floor(elapsedMs / 1000)}s${eta}`;
  const room = (columns !== undefined && columns > 0 ? columns : 80) - 1 - head.length - 1;
  const layer = printable(e?.layer ?? '', Number.POSITIVE_INFINITY);
  if (room < 4 || layer === '') return head.slice(0, Math.max(0, (columns ?? 80) - 1));
  const chars = [...layer];
  const name = chars.length > room ? '…' + chars.slice(chars.length - room + 1).join('') : layer;
  return `${head} ${name}`;
}
