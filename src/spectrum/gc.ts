/**
 * A full garbage collection on demand. Large matrices are single allocations of hundreds
 * of MB; V8 frees them only at its next collection, so without this a second matrix's
 * input can arrive while the first one's arrays are still held, and peak memory follows
 * two matrices instead of one (issue 5's budget is 3× the largest input + 200 MB).
 * Obtained through V8's --expose-gc flag set at run time; a no-op if that is refused.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Inputs at least this large are followed by a full GC, on the thread that read them and
 * on the worker that computed them: a collection costs ~5–10 ms, worth it only where the
 * memory budget is at stake (at 3072², peak RSS up to 472 MB against a 416 MB budget without it).
 */
export const GC_ABOVE_BYTES = 16 * 2 ** 20;

const exposedGc: ((options?: { type: 'minor' }) => void) | undefined = (() => {
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    if (typeof gc === 'function') return gc as (options?: { type: 'minor' }) => void;
  } catch {
    // Not available: rely on V8's own scheduling.
  }
  return undefined;
})();

export const fullGc: () => void = exposedGc ? () => exposedGc() : () => {};

/** A young-generation collection (a scavenge, ~0.1–1 ms). */
export const minorGc: () => void = exposedGc ? () => exposedGc({ type: 'minor' }) : () => {};

/**
 * Young collections after this many bytes of discarded onnxruntime outputs. An in-place
 * update (OrtBackend.runInto) still comes back as a copy in a new ArrayBuffer, garbage at
 * once; left to V8's own schedule the copies pile up, and new ones land on fresh pages (a
 * fault per 4 KiB). At 1024² (b = 16), stage one took 128–687 ms with 0–32k page faults
 * without collections, 98–290 ms with one after every update (a scratch timing script,
 * eight runs each, load average 2–3); at 480², one every 8 MB took 24–25 ms and one every
 * update 34–36 ms (the scavenges' own cost; the same script, six runs each).
 */
export const COLLECT_COPIES_BYTES = 8 * 2 ** 20;

/**
 * A tally of discarded output copies: call it with each copy's size; it runs a young
 * collection once they reach COLLECT_COPIES_BYTES, so that malloc hands their memory back.
 */
export function outputCopies(): (bytes: number) => void {
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (since < COLLECT_COPIES_BYTES) return;
    minorGc();
    since = 0;
  };
}
