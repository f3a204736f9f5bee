/**
 * Runs the eigen path of many matrices on worker threads (`--jobs N`).
 *
 * Measured on the 2-core target (bench/README.md): one large matrix keeps both cores busy
 * through onnxruntime's multi-threaded GEMMs, while small matrices are fastest one per core.
 * So a matrix with M = min(rows, cols) ≥ EXCLUSIVE_N runs alone with every core; smaller
 * ones run side by side, one core each; tiny ones (M < inlineBelow, e.g. conv-kernel
 * slices) are computed at once on the calling thread, with no messaging at all.
 *
 * Memory: only the matrices being computed are held (a large one alone), and `schedule`
 * reads a tensor only when a worker is free for it, so peak memory follows the largest
 * matrix, not the model.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { eigenvaluesTs } from './eigen.js';
import { fullGc } from './gc.js';
import { WorkerCrash } from '../errors.js';
import type { CloseMessage, JobMessage, ResultMessage, WarmMessage } from './worker.js';

/** Inputs at least this large are followed by a full GC on the calling thread (~5 ms). */
const GC_ABOVE_BYTES = 16 * 2 ** 20;

/** Matrices at least this large get every core (measured crossover, bench/README.md). */
export const EXCLUSIVE_N = 768;

export interface SpectrumEngineOptions {
  /** Cores to use (worker threads, and onnxruntime threads within one large matrix). Default: all. */
  readonly jobs?: number;
  /** 'auto' (default) uses onnxruntime-node when it loads; 'typescript' never loads it. */
  readonly backend?: 'auto' | 'typescript';
  /** Matrices with min(rows, cols) below this are computed inline on the calling thread. Default 96. */
  readonly inlineBelow?: number;
  /** Start a worker and load onnxruntime at creation instead of with the first large matrix. Default true. */
  readonly warmUp?: boolean;
}

export interface SpectrumEngine {
  /**
   * Eigenvalues λ = σ² of WᵀW for the row-major rows×cols W: min(rows, cols) of them,
   * ascending, float64, no normalisation (DESIGN.md §3.2).
   *
   * W's buffer is *transferred* to a worker (not copied) when W spans its whole
   * ArrayBuffer: afterwards W is detached (length 0) in the caller. Pass a copy to keep it.
   */
  eigenvalues(W: Float64Array, rows: number, cols: number): Promise<Float64Array>;
  /**
   * Same, but `load` is called only when the engine is ready to start this matrix, so a
   * caller can queue every layer of a model without holding their data in memory.
   */
  schedule(rows: number, cols: number, load: () => Promise<Float64Array> | Float64Array): Promise<Float64Array>;
  /** Which path the workers used last: onnxruntime (fast) or pure TypeScript (fallback), and why. */
  readonly backendInfo: { readonly backend: 'onnxruntime' | 'typescript' | 'unknown'; readonly note?: string };
  /** Waits for queued work, then stops the workers. */
  close(): Promise<void>;
}

interface Pending {
  readonly rows: number;
  readonly cols: number;
  readonly weight: number;
  readonly load: () => Promise<Float64Array> | Float64Array;
  readonly resolve: (v: Float64Array) => void;
  readonly reject: (e: unknown) => void;
}

interface Slot {
  readonly worker: Worker;
  busy: boolean;
}

/** Creates an engine; see SpectrumEngine. */
export function createSpectrumEngine(options: SpectrumEngineOptions = {}): SpectrumEngine {
  const jobs = Math.max(1, Math.floor(options.jobs ?? availableParallelism()));
  const useOrt = (options.backend ?? 'auto') === 'auto';
  const inlineBelow = options.inlineBelow ?? 96;
  const queue: Pending[] = [];
  const slots: Slot[] = [];
  const inFlight = new Map<number, { slot: Slot; weight: number; p: Pending }>();
  let freeCores = jobs;
  let nextId = 1;
  let closed = false;
  const info: { backend: 'onnxruntime' | 'typescript' | 'unknown'; note?: string } = { backend: 'unknown' };
  let idle: (() => void) | undefined;

  const spawn = (): Slot => {
    const worker = newWorker();
    const slot: Slot = { worker, busy: false };
    worker.unref();
    worker.on('message', (msg: ResultMessage | { closed: true }) => {
      if ('closed' in msg) return;
      const job = inFlight.get(msg.id);
      if (!job) return;
      finish(msg.id, job);
      if (msg.ok) {
        info.backend = msg.backend;
        if (msg.note !== undefined) info.note = msg.note;
        else delete info.note;
        job.p.resolve(msg.values);
      } else {
        job.p.reject(new Error(msg.error));
      }
    });
    const fail = (err: Error) => {
      // A worker that died takes its job with it; replace it for the next ones.
      const i = slots.indexOf(slot);
      if (i >= 0) slots.splice(i, 1);
      for (const [id, job] of inFlight) {
        if (job.slot !== slot) continue;
        finish(id, job);
        job.p.reject(err);
      }
    };
    worker.on('error', (e) => fail(new WorkerCrash(`spectrum worker crashed: ${e.message}`)));
    worker.on('exit', (code) => {
      if (!closed) fail(new WorkerCrash(`spectrum worker exited with code ${code}`));
    });
    slots.push(slot);
    return slot;
  };

  const finish = (id: number, job: { slot: Slot; weight: number }) => {
    inFlight.delete(id);
    job.slot.busy = false;
    job.slot.worker.unref();
    freeCores += job.weight;
    pump();
  };

  const pump = () => {
    while (queue.length > 0 && queue[0]!.weight <= freeCores) {
      const p = queue.shift()!;
      // Large matrices always go to the first worker, so only one worker keeps
      // large scratch buffers (workspace.ts) between matrices.
      const slot = p.weight === jobs && jobs > 1 ? (slots[0] ?? spawn()) : (slots.find((s) => !s.busy) ?? spawn());
      if (slot.busy) {
        queue.unshift(p);
        break;
      }
      slot.busy = true;
      slot.worker.ref();
      freeCores -= p.weight;
      const id = nextId++;
      inFlight.set(id, { slot, weight: p.weight, p });
      void start(id, slot, p);
    }
    if (queue.length === 0 && inFlight.size === 0 && idle) idle();
  };

  const start = async (id: number, slot: Slot, p: Pending) => {
    let W: Float64Array;
    try {
      W = await p.load();
      if (W.length !== p.rows * p.cols) throw new RangeError(`eigenvalues: ${W.length} values for ${p.rows}×${p.cols}`);
    } catch (e) {
      const job = inFlight.get(id);
      if (job) finish(id, job);
      p.reject(e);
      return;
    }
    const msg: JobMessage = { type: 'job', id, W, rows: p.rows, cols: p.cols, threads: p.weight, useOrt };
    const whole =
      !(W.buffer instanceof SharedArrayBuffer) && W.byteOffset === 0 && W.byteLength === W.buffer.byteLength;
    slot.worker.postMessage(msg, whole ? [W.buffer as ArrayBuffer] : []);
    // Reading a large matrix left its raw bytes (half of W for float32) as garbage on this
    // thread; free them before the worker allocates the Gram matrix, not at V8's leisure
    // (at 3072² the difference was peak RSS up to 472 MB vs a 416 MB budget).
    if (W.byteLength === 0 && p.rows * p.cols * 8 >= GC_ABOVE_BYTES) fullGc();
  };

  const schedule = (
    rows: number,
    cols: number,
    load: () => Promise<Float64Array> | Float64Array,
  ): Promise<Float64Array> => {
    if (closed) return Promise.reject(new Error('spectrum engine is closed'));
    if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(cols) || rows < 0 || cols < 0) {
      return Promise.reject(new RangeError(`eigenvalues: invalid shape ${rows}×${cols}`));
    }
    const n = Math.min(rows, cols);
    if (n < inlineBelow) {
      return (async () => eigenvaluesTs(await load(), rows, cols))();
    }
    const weight = n >= EXCLUSIVE_N ? jobs : 1;
    return new Promise<Float64Array>((resolve, reject) => {
      queue.push({ rows, cols, weight, load, resolve, reject });
      pump();
    });
  };

  if (useOrt && options.warmUp !== false) {
    // Start the first worker and let it load onnxruntime and compile its graphs while the
    // caller is still opening and reading the model (worth ~1 s on the first matrix).
    const warm: WarmMessage = { type: 'warm', threads: jobs };
    spawn().worker.postMessage(warm);
  }

  return {
    eigenvalues: (W, rows, cols) => schedule(rows, cols, () => W),
    schedule,
    backendInfo: info,
    async close() {
      if (queue.length > 0 || inFlight.size > 0) await new Promise<void>((r) => (idle = r));
      closed = true;
      // Never terminate a worker in the middle of native onnxruntime work (see CloseMessage):
      // ask it to finish and wait until it has exited.
      await Promise.all(slots.map((s) => closeGracefully(s.worker)));
      slots.length = 0;
    },
  };
}

/** Asks a worker to wind down (worker.ts CloseMessage) and resolves once its thread has exited. */
function closeGracefully(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    worker.once('exit', () => resolve());
    worker.ref();
    const msg: CloseMessage = { type: 'close' };
    worker.postMessage(msg);
  });
}

/** The worker script next to this module: compiled .js, or .ts through tsx's loader when running from source (tests). */
function newWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url));
  const url = new URL('./worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(boot, { eval: true });
}
