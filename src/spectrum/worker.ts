/**
 * Worker thread of the spectrum engine (engine.ts): receives one matrix at a time
 * (transferred, not copied), returns its eigenvalues (transferred back): those of the Gram
 * route, or for a 'singular-values' job the accurate route's σᵢ² (singular-values.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fullGc } from './gc.js';
import { Workspace } from './workspace.js';
import { fitPowerLaw, type PowerLawFitResult } from '../fit/powerlaw.js';
import { OrtBackend } from './ort.js';
import { SPECTRUM_WORKER, SPECTRUM_WORKER_PRELOADING } from './worker-data.js';
import {
  eigenvaluesOwned,
  eigenvaluesOwnedUnless,
  type GramStop,
  TWO_STAGE_MIN_N,
  usesTwoStage,
  warmUp,
} from './eigen.js';
import { wasmKernels } from './wasm.js';
import { accurateSquaredSingularValues, accurateSquaredSingularValuesOrt, usesTwoStageSvd } from './singular-values.js';
import { resolveSliceOf } from './accurate-first.js';
import { takeHandBack } from './hand-back.js';

export interface JobMessage {
  readonly type: 'job';
  readonly id: number;
  readonly W: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** Cores this job may use (onnxruntime intra-op threads). */
  readonly threads: number;
  readonly useOrt: boolean;
  /**
   * 'eigenvalues' (default): the Gram route; 'singular-values': the accurate route (with
   * onnxruntime when `useOrt` and the shape takes its two-stage route); 'power-law': W is a
   * layer's ascending eigenvalues (rows 1), fitted by fit/powerlaw.ts, the costliest fit,
   * off the main thread.
   */
  readonly kind?: 'eigenvalues' | 'singular-values' | 'power-law';
  /**
   * For 'eigenvalues': also resolve the slice here (slice-rank.ts), keeping W until its
   * eigenvalues are known: its rank, and the accurate route's σᵢ² when the Gram cannot
   * decide it. The engine asks only for matrices small enough to keep (< GC_ABOVE_BYTES).
   */
  readonly resolve?: boolean;
  /** Full collections after the Gram and after the matrix (gc.ts; SpectrumEngineOptions.collectAbove). */
  readonly collect: boolean;
}

/**
 * The engine's hand-back flag (hand-back.ts), shared memory: while it says the calling
 * thread is idle, a slice that needs the accurate route goes back to it, W and all.
 */
export interface ShareMessage {
  readonly type: 'share';
  readonly handBack: Int32Array;
}

/**
 * Prepare for the jobs to come, before any: load onnxruntime with this many threads and
 * compile the graphs, or (onnxruntime false: no matrix to come takes the two-stage path)
 * only the one-stage path's WebAssembly kernels.
 */
export interface WarmMessage {
  readonly type: 'warm';
  readonly threads: number;
  /** The largest min(rows, cols) to prepare graphs for (default: any). */
  readonly largest?: number;
  /** Whether the jobs to come need onnxruntime (eigen.ts usesTwoStage; default true). */
  readonly onnxruntime?: boolean;
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
      /** For a job with `resolve`: the slice's rank (values are then the accurate route's when it ran). */
      readonly slice?: { readonly rank: number; readonly nearSingular: boolean };
      /**
       * For a job with `resolve` whose slice needs the accurate route, handed back to the
       * idle calling thread (hand-back.ts): W, to resolve there; `values` are the Gram's.
       */
      readonly handedBack?: Float64Array;
    }
  | { readonly id: number; readonly ok: true; readonly powerLaw: PowerLawFitResult }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** What the worker needs of its thread: node:worker_threads' parentPort, or a test's stand-in. */
export interface WorkerPort {
  on(event: 'message', listener: (message: JobMessage | WarmMessage | CloseMessage | ShareMessage) => void): unknown;
  postMessage(message: ResultMessage | { closed: true }, transfer?: readonly ArrayBuffer[]): void;
  close(): void;
}

type Backend = OrtBackend | { unavailable: string };

/** The native work a worker starts: loading onnxruntime, and its warm-up (tests hold these by hand). */
export interface WorkerNative {
  load(threads: number): Backend;
  warmUp(backend: OrtBackend, largest?: number): Promise<void>;
}

const NATIVE: WorkerNative = { load: (threads) => OrtBackend.load(threads), warmUp };

/** Answers the engine's messages on `port` until a CloseMessage has wound everything down. */
export function serveSpectrum(port: WorkerPort, native: WorkerNative = NATIVE, preload = false): void {
  const workspace = new Workspace();
  let handBack: Int32Array | undefined;
  let queue: Promise<void> = Promise.resolve();
  const backends = new Map<number, Backend>();
  const backendFor = (threads: number): Backend => {
    let b = backends.get(threads);
    if (b === undefined) {
      b = native.load(threads);
      backends.set(threads, b);
    }
    return b;
  };

  /** Native work under way (warm-up, jobs): close waits for all of it. */
  const underWay = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    underWay.add(p);
    void p.finally(() => underWay.delete(p)).catch(() => {});
    return p;
  };

  const close = async (): Promise<void> => {
    while (underWay.size > 0) await Promise.allSettled([...underWay]);
    for (const b of backends.values()) if (!('unavailable' in b)) await b.close().catch(() => {});
    backends.clear();
    port.postMessage({ closed: true });
    port.close();
  };

  // Started ahead of time (spawn.ts) for a large model: load onnxruntime-node and the
  // medium matrices' graphs now, while the caller is still parsing the model, as a warm
  // message would. Otherwise the engine's warm message says whether the model needs it.
  if (preload) setImmediate(() => serve({ type: 'warm', threads: 1, largest: TWO_STAGE_MIN_N }));
  port.on('message', (message) => serve(message));

  function serve(message: JobMessage | WarmMessage | CloseMessage | ShareMessage): void {
    if (message.type === 'share') {
      handBack = message.handBack;
      return;
    }
    if (message.type === 'close') {
      void close();
      return;
    }
    if (message.type === 'warm') {
      if (message.onnxruntime === false) {
        wasmKernels('sync');
        return;
      }
      const b = backendFor(message.threads);
      // Failures here resurface (and are reported) with the first job.
      if (!('unavailable' in b)) track(native.warmUp(b, message.largest)).catch(() => {});
      return;
    }
    // One job at a time, in arrival order: with hand-back the engine posts a worker its next
    // matrix while it computes one (engine.ts), and jobs share the workspace and the
    // WebAssembly memory. A job never rejects (failures are answered), so neither does the chain.
    const previous = queue;
    queue = track(previous.then(() => runJob(message)));
  }

  async function runJob(message: JobMessage): Promise<void> {
    // Keep no reference to the message: W must be collectable as soon as the Gram is formed.
    const job = { ...message, W: undefined };
    // For large inputs a full collection after the Gram product and after the matrix frees the
    // input and the matrix's arrays at once, instead of whenever V8 next collects (gc.ts).
    const collect = message.collect ? fullGc : () => {};
    const box: { W?: Float64Array | undefined } = { W: message.W };
    (message as { W?: Float64Array }).W = undefined;
    if (job.kind === 'power-law') {
      try {
        port.postMessage({ id: job.id, ok: true, powerLaw: fitPowerLaw(box.W!) } satisfies ResultMessage);
      } catch (e) {
        port.postMessage({ id: job.id, ok: false, error: (e as Error).message ?? String(e) } satisfies ResultMessage);
      }
      return;
    }
    if (job.kind === 'singular-values') {
      const W = box.W!;
      box.W = undefined;
      try {
        const b = job.useOrt && usesTwoStageSvd(job.rows, job.cols) ? backendFor(job.threads) : undefined;
        const ort = b === undefined || 'unavailable' in b ? undefined : b;
        const values = ort
          ? await accurateSquaredSingularValuesOrt(ort, W, job.rows, job.cols, workspace)
          : accurateSquaredSingularValues(W, job.rows, job.cols);
        const msg: ResultMessage = { id: job.id, ok: true, values, backend: ort ? 'onnxruntime' : 'typescript' };
        port.postMessage(msg, [values.buffer as ArrayBuffer]);
      } catch (e) {
        port.postMessage({ id: job.id, ok: false, error: (e as Error).message ?? String(e) } satisfies ResultMessage);
      }
      return;
    }
    try {
      // onnxruntime is loaded by the first job that takes the two-stage path, not before: a
      // model of small and medium matrices never pays its start (~0.1–0.3 s of CPU).
      const b: Backend | undefined =
        job.useOrt && usesTwoStage(job.rows, job.cols)
          ? backendFor(job.threads)
          : job.useOrt
            ? undefined
            : { unavailable: 'not requested' };
      const ort = b === undefined || 'unavailable' in b ? undefined : b;
      // The worker owns W now; eigenvaluesOwned drops it once the Gram matrix exists,
      // unless the slice is resolved here (then W is small, and kept until then).
      const kept = job.resolve ? box.W : undefined;
      const gramOptions = { workspace, afterGram: collect };
      // The accurate route on this worker; in resolveSlice, unless the calling thread is idle
      // and takes it (hand-back.ts). Never a slice whose route is two-stage: the calling thread
      // has no onnxruntime, and the slice's σᵢ² must not depend on where it was resolved.
      const accurateHere = (W: Float64Array, rows: number, cols: number) =>
        ort && usesTwoStageSvd(rows, cols)
          ? accurateSquaredSingularValuesOrt(ort, W, rows, cols, workspace)
          : accurateSquaredSingularValues(W, rows, cols);
      let handedBack = false;
      let gram: Float64Array | undefined;
      const accurate = (W: Float64Array, rows: number, cols: number) => {
        if (!(ort && usesTwoStageSvd(rows, cols)) && handBack !== undefined && takeHandBack(handBack)) {
          // A stand-in: this resolveSlice's answer is not sent; the caller resolves the slice.
          handedBack = true;
          return gram!;
        }
        return accurateHere(W, rows, cols);
      };
      // A resolved slice with a nearly dead row or column takes the accurate route instead of
      // the Gram route's reduction (accurate-first.ts).
      const route = async (stop: GramStop | undefined) =>
        (gram = await eigenvaluesOwnedUnless(ort, { W: kept }, job.rows, job.cols, stop, gramOptions));
      const slice = kept ? await resolveSliceOf(kept, job.rows, job.cols, route, accurate, accurateHere) : undefined;
      const values = slice?.ev ?? (await eigenvaluesOwned(ort, box, job.rows, job.cols, gramOptions));
      const msg: ResultMessage = {
        id: job.id,
        ok: true,
        values,
        backend: ort ? 'onnxruntime' : 'typescript',
        ...note(b),
        ...(handedBack
          ? { handedBack: kept }
          : slice
            ? { slice: { rank: slice.rank, nearSingular: slice.nearSingular } }
            : {}),
      };
      port.postMessage(
        msg,
        handedBack ? [values.buffer as ArrayBuffer, kept!.buffer as ArrayBuffer] : [values.buffer as ArrayBuffer],
      );
    } catch (e) {
      const msg: ResultMessage = { id: job.id, ok: false, error: (e as Error).message ?? String(e) };
      port.postMessage(msg);
    }
    collect();
  }
}

/** Why onnxruntime is not used, for the engine's backendInfo. */
function note(b: Backend | undefined): { note?: string } {
  return b !== undefined && 'unavailable' in b ? { note: b.unavailable } : {};
}

// Only the engine's threads serve (workerData marks them), so that importing this module elsewhere does nothing.
if (parentPort && (workerData === SPECTRUM_WORKER || workerData === SPECTRUM_WORKER_PRELOADING)) {
  serveSpectrum(parentPort, NATIVE, workerData === SPECTRUM_WORKER_PRELOADING);
}
