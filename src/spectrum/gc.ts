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

/**
 * A young-generation collection (a scavenge, ~0.1–1 ms): frees the ArrayBuffers that
 * onnxruntime-node's binding copies each output into, so that malloc hands the same memory
 * back for the next output instead of fresh pages (upper-band-reduce.ts).
 */
export const minorGc: () => void = exposedGc ? () => exposedGc({ type: 'minor' }) : () => {};
