/**
 * What marks a thread as a spectrum worker (its workerData), in a module of its own so that
 * the command line can start workers (spawn.ts) before it loads the spectrum code.
 */

/** A worker the engine started when it needed one. */
export const SPECTRUM_WORKER = 'rmt-analyze spectrum worker';

/** A worker started ahead of time (spawn.ts prestartWorkers): it loads onnxruntime-node at once. */
export const SPECTRUM_WORKER_PRELOADING = 'rmt-analyze spectrum worker, preloading';
