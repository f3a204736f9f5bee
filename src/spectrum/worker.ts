/**
 * Worker thread of the spectrum engine (engine.ts): receives one matrix at a time
 * (transferred, not copied), returns its eigenvalues (transferred back).
 */
import { parentPort } from 'node:worker_threads';
import { fullGc } from './gc.js';
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

export type ResultMessage =
  | { readonly id: number; readonly ok: true; readonly values: Float64Array; readonly backend: 'onnxruntime' | 'typescript'; readonly note?: string }
  | { readonly id: number; readonly ok: false; readonly error: string };

const workspace = new Workspace();
/**
 * For large inputs (the memory budget is about them) a full collection after the Gram
 * product and after the matrix frees the input and the matrix's arrays at once, instead
 * of whenever V8 next collects. Not for small ones: a full GC costs ~5–10 ms.
 */
const COLLECT_ABOVE_BYTES = 16 * 2 ** 20;

const backends = new Map<number, OrtBackend | { unavailable: string }>();

function backendFor(threads: number): OrtBackend | { unavailable: string } {
  let b = backends.get(threads);
  if (b === undefined) {
    b = OrtBackend.load(threads);
    backends.set(threads, b);
  }
  return b;
}

parentPort?.on('message', (message: JobMessage | WarmMessage) => {
  if (message.type === 'warm') {
    const b = backendFor(message.threads);
    // Failures here resurface (and are reported) with the first job.
    if (b instanceof OrtBackend) warmUp(b).catch(() => {});
    return;
  }
  // Keep no reference to the message: W must be collectable as soon as the Gram is formed.
  const job = { ...message, W: undefined };
  const collect = message.W.byteLength >= COLLECT_ABOVE_BYTES ? fullGc : () => {};
  const box: { W?: Float64Array | undefined } = { W: message.W };
  (message as { W?: Float64Array }).W = undefined;
  void (async () => {
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
  })();
});
