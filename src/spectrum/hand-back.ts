/**
 * Handing a slice's accurate route back to an idle calling thread (issue 14, item 4:
 * balance). A worker resolves the slices it computes (slice-rank.ts); where the Gram cannot
 * decide a slice's rank, the accurate route (singular-values.ts) costs several times the
 * Gram route. When the engine runs fewer workers than cores (a model of small and medium
 * layers gets one, compute.ts warmPlanFor), the calling thread reads the model and then
 * only waits: on PP-OCRv4 rec it sat idle for the last ~0.3 s while its one worker ran
 * three 480² accurate routes in a row.
 *
 * So the engine shares one Int32 with its workers. The caller marks itself idle once it
 * has read every tensor; a worker that reaches the accurate route then takes the flag
 * (IDLE → TAKEN, atomically: one slice at a time) and sends back W with the Gram
 * eigenvalues instead of resolving the slice; the caller resolves it with the same
 * function on the same data (so the same numbers) while the worker goes on with the next
 * matrix, then gives the flag back. Nothing is handed back while the caller is busy.
 */

/** The caller is busy (reading, or there is no idle caller): workers resolve every slice. */
export const BUSY = 0;
/** The caller is idle: the next slice that needs the accurate route may go back to it. */
export const IDLE = 1;
/** A slice has been handed back and the caller is resolving it. */
export const TAKEN = 2;

/** The flag, in memory shared with the workers (a ShareMessage carries it). */
export function createHandBack(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** On a worker: takes the caller's idle time for one slice; false when it is not idle. */
export function takeHandBack(flag: Int32Array): boolean {
  return Atomics.compareExchange(flag, 0, IDLE, TAKEN) === IDLE;
}

/** On the caller: idle (or not) from now on; a slice being resolved keeps its TAKEN until `release`. */
export function markIdle(flag: Int32Array, idle: boolean): void {
  if (idle) Atomics.compareExchange(flag, 0, BUSY, IDLE);
  else Atomics.compareExchange(flag, 0, IDLE, BUSY);
}

/** On the caller, after resolving a handed-back slice: idle again if it still is. */
export function release(flag: Int32Array, idle: boolean): void {
  Atomics.store(flag, 0, idle ? IDLE : BUSY);
}
