/**
 * Worker thread of the spectrum engine (engine.ts): receives one matrix at a time
 * (transferred, not copied), returns its eigenvalues (transferred back).
 */
import { parentPort } from 'node:worker_threads';
import { fullGc, GC_ABOVE_BYTES } from './gc.js';
import { Workspace } from './workspace.js';
import { OrtBackend } from './ort.js';
import { eigenvaluesOwned, warmUp } from './eigen.js';

export interface JobMessage {
  readonly type: 'job';
  readonly id: number;
  readonly W: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** Cores this job may use (onnxruntime intra-op threads). */
  readonly threads: number;
  readonly useOrt: boolean;
}

/** Load onnxruntime with this many threads and compile the graphs, before any job. */
export interface WarmMessage {
  readonly type: 'warm';
  readonly threads: number;
}

/**
 * Finish what is under way (warm-up included), release the onnxruntime sessions, answer
 * `{ closed: true }` and let the thread end. Terminating a worker while onnxruntime is
 * still creating or running a session aborts the whole process (a Napi::Error thrown
 * during teardown), so the engine never terminates a worker that has not answered this.
 */
export interface CloseMessage {
  readonly type: 'close';
}

export type ResultMessage =
  | {
      readonly id: number;
      readonly ok: true;
      readonly values: Float64Array;
      readonly backend: 'onnxruntime' | 'typescript';
      readonly note?: string;
    }
  | { readonly id: number; readonly ok: false; readonly error: string };

const workspace = new Workspace();

const backends = new Map<number, OrtBackend | { unavailable: string }>();

function backendFor(threads: number): OrtBackend | { unavailable: string } {
  let b = backends.get(threads);
  if (b === undefined) {
    b = OrtBackend.load(threads);
    backends.set(threads, b);
  }
  return b;
}

/** Native work under way (warm-up, jobs): close waits for all of it. */
const underWay = new Set<Promise<unknown>>();
function track<T>(p: Promise<T>): Promise<T> {
  underWay.add(p);
  void p.finally(() => underWay.delete(p)).catch(() => {});
  return p;
}

async function closeWorker(): Promise<void> {
  while (underWay.size > 0) await Promise.allSettled([...underWay]);
  for (const b of backends.values()) if (b instanceof OrtBackend) await b.close().catch(() => {});
  backends.clear();
  parentPort!.postMessage({ closed: true });
  parentPort!.close();
}

parentPort?.on('message', (message: JobMessage | WarmMessage | CloseMessage) => {
  if (message.type === 'close') {
    void closeWorker();
    return;
  }
  if (message.type === 'warm') {
    const b = backendFor(message.threads);
    // Failures here resurface (and are reported) with the first job.
    if (b instanceof OrtBackend) track(warmUp(b)).catch(() => {});
    return;
  }
  // Keep no reference to the message: W must be collectable as soon as the Gram is formed.
  const job = { ...message, W: undefined };
  // For large inputs a full collection after the Gram product and after the matrix frees the
  // input and the matrix's arrays at once, instead of whenever V8 next collects (gc.ts).
  const collect = message.W.byteLength >= GC_ABOVE_BYTES ? fullGc : () => {};
  const box: { W?: Float64Array | undefined } = { W: message.W };
  (message as { W?: Float64Array }).W = undefined;
  void track(
    (async () => {
      try {
        const b = job.useOrt ? backendFor(job.threads) : { unavailable: 'not requested' };
        const ort = b instanceof OrtBackend ? b : undefined;
        // The worker owns W now; eigenvaluesOwned drops it once the Gram matrix exists.
        const values = await eigenvaluesOwned(ort, box, job.rows, job.cols, { workspace, afterGram: collect });
        const msg: ResultMessage = {
          id: job.id,
          ok: true,
          values,
          backend: ort ? 'onnxruntime' : 'typescript',
          ...(b instanceof OrtBackend ? {} : { note: b.unavailable }),
        };
        parentPort!.postMessage(msg, [values.buffer as ArrayBuffer]);
      } catch (e) {
        const msg: ResultMessage = { id: job.id, ok: false, error: (e as Error).message ?? String(e) };
        parentPort!.postMessage(msg);
      }
      collect();
    })(),
  );
});
