/**
 * Long synchronous work on the main thread cut into turns of the event loop.
 *
 * Why (issue 14, item 4: overlap and balance): the main thread reads every tensor while the
 * workers compute, and a worker that finishes a matrix waits for this thread to take its
 * answer and post the next one. A tensor that comes in one read (up to CHUNK_BYTES) used to
 * be widened, scanned and dealt in one synchronous stretch: 8–68 ms for ISNet's 3×3 kernels
 * of 1.2M–4.7M values (the work summed per kernel, one instrumented run), long enough for both
 * workers to finish and wait. Measured on ISNet fp16 (2-core machine,
 * instrumented, alternating runs): each worker idled 413–685 ms between jobs (fourteen
 * worker-runs), 290–511 ms with a turn every TURN_ELEMENTS values (eight; bench/README.md,
 * "Fifteenth round").
 */

/**
 * Values widened (and scanned, dealt) between two turns: 0.5–1 ms of work on the 2-core
 * machine (ISNet's kernels, as above), small beside a worker's medium matrix (a 256² slice takes ~4 ms), large beside a
 * turn's cost (a few µs).
 */
export const TURN_ELEMENTS = 65536;

/** Resolves after the event loop has polled once: worker answers waiting meanwhile are taken first. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Counts values done and gives a turn of the event loop after every TURN_ELEMENTS of them. */
export class Turns {
  private done = 0;

  /** After `count` more values: a promise to await when a turn is due, else undefined. */
  after(count: number): Promise<void> | undefined {
    this.done += count;
    if (this.done < TURN_ELEMENTS) return undefined;
    this.done = 0;
    return nextTurn();
  }
}
