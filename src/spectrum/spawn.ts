/**
 * Starting the spectrum engine's worker threads (worker.ts): on demand, or ahead of time.
 *
 * Why ahead of time (issue 14, fixed start cost): a worker that loads its modules and
 * onnxruntime-node takes ~0.1 s on an idle core and ~0.3–0.4 s beside a busy main thread,
 * and on a small model that start is most of the run: started only once the model is
 * parsed and planned, the workers became ready ~0.9 s into a 1.2 s run. The command line
 * (bin/rmt-analyze.js) therefore starts them first, while its own modules load and the
 * model is parsed, when its arguments name a model large enough to need them
 * (launch.ts workersToPrestart); the engine adopts them instead of starting new ones. A
 * worker nobody adopts is unreferenced, so it keeps no process alive
 * its work is done, and when none is under way it exits at once. Only closing them is not
 * optional: a worker still compiling onnxruntime sessions when the process exits aborts it
 * (a Napi::Error during teardown), so the command line closes the workers nobody adopted
 * (releasePrestarted), as the engine closes its own, before it returns.
 */
import { Worker } from 'node:worker_threads';
import { SPECTRUM_WORKER, SPECTRUM_WORKER_PRELOADING } from './worker-data.js';
import { keepOrtTelemetryOff } from './ort-telemetry.js';
import type { CloseMessage } from './worker.js';

/** Workers started ahead of time and not yet adopted, in the order they started. */
const waiting: Worker[] = [];

/**
 * Starts `count` workers now. With `preload` each loads onnxruntime-node at once (unless
 * RMT_ANALYZE_NO_ORT=1, which it respects as the engine does); without, only its modules,
 * and onnxruntime if the model turns out to need it (launch.ts prestartPreloads).
 */
export function prestartWorkers(count: number, preload = true): void {
  for (let i = 0; i < count; i++) {
    const worker = newWorker(preload ? SPECTRUM_WORKER_PRELOADING : SPECTRUM_WORKER);
    worker.unref();
    // A worker that fails before it is adopted is dropped, not reported: the engine starts
    // another and reports its failure, if any, with the job it fails.
    const drop = () => {
      const at = waiting.indexOf(worker);
      if (at >= 0) waiting.splice(at, 1);
    };
    worker.once('error', drop);
    worker.once('exit', drop);
    waiting.push(worker);
  }
}

/** A worker started ahead of time, now the caller's (undefined when none is left). */
export function takePrestarted(): Worker | undefined {
  const worker = waiting.shift();
  worker?.removeAllListeners('error').removeAllListeners('exit');
  return worker;
}

/** Closes the workers started ahead of time that nobody adopted; resolves once they have exited. */
export async function releasePrestarted(): Promise<void> {
  const unused = waiting.splice(0);
  await Promise.all(unused.map((w) => closeGracefully(w.removeAllListeners('error').removeAllListeners('exit'))));
}

/** What closing a worker needs of it: node:worker_threads' Worker, or a test's stand-in. */
interface Closable {
  once(event: 'exit', listener: () => void): unknown;
  postMessage(message: CloseMessage): void;
  ref(): void;
}

/**
 * Asks a worker to wind down (worker.ts CloseMessage: it finishes what is under way, warm-up
 * included) and resolves once its thread has exited. Never terminate one instead: a worker
 * in the middle of native onnxruntime work takes the process down with it.
 */
export function closeGracefully(worker: Closable): Promise<void> {
  return new Promise((resolve) => {
    worker.once('exit', () => resolve());
    worker.ref();
    worker.postMessage({ type: 'close' });
  });
}

/**
 * A new worker running worker.ts next to this module: compiled .js, or .ts through tsx's
 * loader when running from source (tests).
 */
export function newWorker(workerData: string = SPECTRUM_WORKER): Worker {
  // Before the worker can load onnxruntime (ort-telemetry.ts).
  keepOrtTelemetryOff();
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { workerData });
  const url = new URL('./worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
