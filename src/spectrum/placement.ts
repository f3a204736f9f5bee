/**
 * Where the worker engine (engine.ts) runs a job, and how much of its budget the job takes:
 * the thresholds between the calling thread and a worker, and between a job that may wait on
 * a busy worker and one that waits for a free one (issue 14, item 4: overlap and balance).
 */
import type { CoreBudget } from './scheduler.js';

/**
 * Below this N·M² the accurate route is computed on the calling thread, as tiny eigen jobs
 * are (inlineBelow): ~30 µs of work, less than a worker's round trip.
 */
export const ACCURATE_INLINE_WORK = 1 << 16;

/**
 * Matrices of at most this many float64 bytes may be posted to a worker that is computing
 * another (a conv layer's slices: ISNet's are ≤ 4 MiB). With the slices of a layer handed over
 * one ahead (esd.ts sliceLookahead), ISNet took 3.06–3.12 s against 3.21–3.28 s (three
 * interleaved runs). Larger matrices, and the power-law fits, wait for a free worker: with
 * every job allowed to queue, a GPT-2-shaped checkpoint took 4.58–4.69 s against 4.11–4.49 s
 * (fits held up behind matrices on a busy worker while the other went idle).
 */
export const QUEUED_MAX_BYTES = 8 * 2 ** 20;

/**
 * Small matrices (M < inlineBelow) with at least this Gram work N·M² go to a worker that has
 * room, when the caller has a core of its own (SpectrumEngineOptions.handBack): ~0.1 ms of
 * work, against a round trip of ~0.02 ms of the caller's time. On M-LSD large the main thread
 * was busy 96% of its run, its one worker idle 39%.
 */
export const GIVE_AWAY_MIN_WORK = 1 << 17;

/**
 * Layers with fewer eigenvalues are fitted on the calling thread: the power-law fit is
 * O(n²) at worst, and below this a worker's round trip (~0.1 ms) costs more than it saves.
 */
export const FIT_INLINE_BELOW = 512;

/**
 * What a rows×cols eigen job takes of an engine budget of `depth` units per worker: every
 * unit for a large matrix (half for a paired one, scheduler.ts), a whole worker for a medium
 * one, one unit for one of at most QUEUED_MAX_BYTES, which may wait on a busy worker.
 */
export function jobWeight(budget: CoreBudget, depth: number, rows: number, cols: number, pairUpTo: number): number {
  const weight = budget.weightOf(rows, cols, pairUpTo);
  return weight === 1 && rows * cols * 8 > QUEUED_MAX_BYTES ? depth : weight;
}
