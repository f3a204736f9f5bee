/**
 * Runs the eigen path of many matrices on worker threads (`--jobs N`).
 *
 * How many matrices run at once is the core budget of scheduler.ts: a matrix with
 * M = min(rows, cols) ≥ EXCLUSIVE_N runs alone with every core, smaller ones side by side,
 * one core each; tiny ones (M < inlineBelow, e.g. conv-kernel slices) are computed at once
 * on the calling thread, with no messaging at all.
 *
 * Memory: only the matrices being computed are held (a large one alone), and `schedule`
 * reads a tensor only when the budget lets it start, so peak memory follows the largest
 * matrix, not the model.
 */
import { availableParallelism } from 'node:os';
import { eigenvaluesTs, eigenvaluesTsUnless, type GramStop, TWO_STAGE_MIN_N, usesTwoStage } from './eigen.js';
import { fullGc, GC_ABOVE_BYTES } from './gc.js';
import { CoreBudget, PAIRED_MAX_BYTES } from './scheduler.js';
import { accurateSquaredSingularValues } from './singular-values.js';
import { WorkerCrash } from '../errors.js';
import { fitPowerLaw, type PowerLawFitResult } from '../fit/powerlaw.js';
import type { JobMessage, ResultMessage, WarmMessage } from './worker.js';
import { closeGracefully, newWorker, takePrestarted } from './spawn.js';
import { resolveSlice, type SliceSpectrum } from './slice-rank.js';
import { resolveSliceOf } from './accurate-first.js';
import type { EngineWorker, SpectrumEngineOptions } from './engine-options.js';
import { createHandBack, markIdle, release } from './hand-back.js';
import { TakeBack } from './take-back.js';
import { ACCURATE_INLINE_WORK, FIT_INLINE_BELOW, GIVE_AWAY_MIN_WORK, jobWeight } from './placement.js';

export { ACCURATE_INLINE_WORK, FIT_INLINE_BELOW, GIVE_AWAY_MIN_WORK, QUEUED_MAX_BYTES } from './placement.js';

/** A slice's Gram eigenvalues, and the slice resolved where the worker could (slice-rank.ts). */
export interface ResolvedEigenvalues {
  readonly ev: Float64Array;
  readonly resolved?: SliceSpectrum;
  /** Where the slice was resolved: the worker, or the idle calling thread it was handed back to (hand-back.ts). */
  readonly resolvedOn?: 'worker' | 'caller';
}

/** A worker's answer to a resolve job whose accurate route it handed back. */
interface HandedBack {
  readonly ev: Float64Array;
  readonly W: Float64Array;
}

export type { EngineWorker, SpectrumEngineOptions, WarmPlan } from './engine-options.js';

export interface SpectrumEngine {
  /**
   * Eigenvalues λ = σ² of WᵀW for the row-major rows×cols W: min(rows, cols) of them,
   * ascending, float64, no normalisation (DESIGN.md §3.2).
   *
   * W's buffer is *transferred* to a worker (not copied) when W spans its whole
   * ArrayBuffer: afterwards W is detached (length 0) in the caller. Pass a copy to keep it.
   * `twoStage` false: the one-stage path whatever the shape (a model that does not pay for
   * onnxruntime's start, compute.ts onnxruntimePays); default: by shape (eigen.ts usesTwoStage).
   */
  eigenvalues(W: Float64Array, rows: number, cols: number, twoStage?: boolean): Promise<Float64Array>;
  /**
   * Same, but `load` is called only when the engine is ready to start this matrix, so a
   * caller can queue every layer of a model without holding their data in memory.
   */
  schedule(
    rows: number,
    cols: number,
    load: () => Promise<Float64Array> | Float64Array,
    twoStage?: boolean,
  ): Promise<Float64Array>;
  /**
   * As `eigenvalues`, and a matrix that goes to a worker and is small enough to keep there
   * (< GC_ABOVE_BYTES) is resolved on that worker (slice-rank.ts): its rank, and the accurate
   * route's σᵢ² where the Gram cannot decide it, at once and on the same thread. Otherwise
   * `resolved` is absent and the caller resolves the slice.
   */
  eigenvaluesResolved(W: Float64Array, rows: number, cols: number, twoStage?: boolean): Promise<ResolvedEigenvalues>;
  /**
   * Ascending σᵢ² of W by the accurate route (singular-values.ts), for the slices whose rank
   * the Gram route cannot decide: on a worker, one core each (only a tiny matrix, N·M² below
   * ACCURATE_INLINE_WORK, on the calling thread). W's buffer is transferred as in `eigenvalues`.
   * `twoStage` false keeps it off onnxruntime, as for `eigenvalues` (singular-values.ts
   * usesTwoStageSvd: with it, large shapes take the two-stage route).
   */
  singularValues(W: Float64Array, rows: number, cols: number, twoStage?: boolean): Promise<Float64Array>;
  /**
   * The power-law fit of a layer's ascending eigenvalues (fit/powerlaw.ts), on a worker when
   * there are at least FIT_INLINE_BELOW of them: the same result as on the calling thread.
   */
  powerLaw(evals: Float64Array): Promise<PowerLawFitResult>;
  /**
   * The calling thread has nothing left to do but wait (true), or has work again (false).
   * With the `handBack` option, an idle caller takes back the accurate route of one slice
   * at a time from the workers (hand-back.ts); otherwise this does nothing.
   */
  callerIdle(idle: boolean): void;
  /** Which path the workers used last: onnxruntime (fast) or pure TypeScript (fallback), and why. */
  readonly backendInfo: { readonly backend: 'onnxruntime' | 'typescript' | 'unknown'; readonly note?: string };
  /** Waits for queued work, then stops the workers. */
  close(): Promise<void>;
}

interface Slot {
  readonly worker: EngineWorker;
  /** Jobs posted to the worker and not yet answered (it runs them one after the other). */
  inFlight: number;
}

interface InFlight {
  readonly slot: Slot;
  /** An eigenvalue job, whose answer says which backend the workers use. */
  readonly eigen: boolean;
  readonly resolve: (v: Float64Array | PowerLawFitResult | ResolvedEigenvalues | HandedBack) => void;
  readonly reject: (e: unknown) => void;
}

/** Creates an engine; see SpectrumEngine. */
export function createSpectrumEngine(options: SpectrumEngineOptions = {}): SpectrumEngine {
  const jobs = new CoreBudget(options.jobs ?? availableParallelism()).cores;
  // Each worker may be posted its next matrix while it computes one (two per worker in the
  // budget), so that it does not wait for the calling thread's round trip: with hand-back the
  // caller may be busy resolving a slice (~0.05–0.1 s); otherwise it may be widening the next
  // tensor. Only small matrices queue behind another (weightOf).
  const depth = 2;
  const budget = new CoreBudget(jobs * depth);
  const pairUpTo = () => Math.max(PAIRED_MAX_BYTES, options.pairUpTo?.() ?? 0);
  const weightOf = (rows: number, cols: number) => jobWeight(budget, depth, rows, cols, pairUpTo());
  const useOrt = (options.backend ?? 'auto') === 'auto';
  const inlineBelow = options.inlineBelow ?? TWO_STAGE_MIN_N;
  const createWorker = options.createWorker ?? (() => takePrestarted() ?? newWorker());
  const slots: Slot[] = [];
  const inFlight = new Map<number, InFlight>();
  let nextId = 1;
  let closed = false;
  const info: { backend: 'onnxruntime' | 'typescript' | 'unknown'; note?: string } = { backend: 'unknown' };
  const handBack = options.handBack ? createHandBack() : undefined;
  // With a core of its own, the idle caller also computes queued one-stage matrices (take-back.ts).
  const takeBack = options.handBack ? new TakeBack() : undefined;
  let idle = false;
  /**
   * Whether a matrix is computed at once on the calling thread: M < inlineBelow, unless the
   * caller has a core of its own and a worker has room now (then the worker's idle time takes
   * it, and the busy caller reads on), and the matrix is worth a round trip (GIVE_AWAY_MIN_WORK).
   */
  const inline = (rows: number, cols: number): boolean => {
    const n = Math.min(rows, cols);
    if (n >= inlineBelow) return false;
    if (!takeBack || slots.length === 0 || Math.max(rows, cols) * n * n < GIVE_AWAY_MIN_WORK) return true;
    return !budget.hasRoom(1);
  };
  /** Whether a worker would compute this matrix by the one-stage path, the calling thread's own. */
  const oneStage = (rows: number, cols: number, twoStage: boolean) => !(useOrt && twoStage && usesTwoStage(rows, cols));

  const spawn = (): Slot => {
    const worker = createWorker();
    const slot: Slot = { worker, inFlight: 0 };
    worker.unref();
    if (handBack) worker.postMessage({ type: 'share', handBack });
    worker.on('message', (msg: ResultMessage | { closed: true }) => {
      if ('closed' in msg) return;
      const job = inFlight.get(msg.id);
      if (!job) return;
      inFlight.delete(msg.id);
      if (msg.ok && 'powerLaw' in msg) {
        job.resolve(msg.powerLaw);
      } else if (msg.ok) {
        if (job.eigen) {
          info.backend = msg.backend;
          if (msg.note !== undefined) info.note = msg.note;
          else delete info.note;
        }
        if (msg.handedBack) job.resolve({ ev: msg.values, W: msg.handedBack });
        else if (msg.slice)
          job.resolve({ ev: msg.values, resolved: { ev: msg.values, ...msg.slice }, resolvedOn: 'worker' });
        else job.resolve(msg.values);
      } else {
        job.reject(new Error(msg.error));
      }
    });
    const fail = (err: Error) => {
      // A worker that died takes its job with it; replace it for the next ones.
      const i = slots.indexOf(slot);
      if (i >= 0) slots.splice(i, 1);
      for (const [id, job] of inFlight) {
        if (job.slot !== slot) continue;
        inFlight.delete(id);
        job.reject(err);
      }
    };
    worker.on('error', (e: Error) => fail(new WorkerCrash(`spectrum worker crashed: ${e.message}`)));
    worker.on('exit', (code: number) => {
      if (!closed) fail(new WorkerCrash(`spectrum worker exited with code ${code}`));
    });
    slots.push(slot);
    return slot;
  };

  /** One matrix on a worker, once the budget has granted its weight. */
  const compute = async (
    rows: number,
    cols: number,
    weight: number,
    load: () => Promise<Float64Array> | Float64Array,
    kind: JobMessage['kind'] = 'eigenvalues',
    twoStage = true,
  ): Promise<Float64Array> => (await run(rows, cols, weight, load, kind, false, twoStage)) as Float64Array;

  /** One matrix on a worker that also resolves the slice (JobMessage.resolve), or hands it back. */
  const computeResolved = async (
    rows: number,
    cols: number,
    weight: number,
    W: Float64Array,
    twoStage: boolean,
  ): Promise<ResolvedEigenvalues | HandedBack> => {
    const out = await run(rows, cols, weight, () => W, 'eigenvalues', true, twoStage);
    return out instanceof Float64Array ? { ev: out } : (out as ResolvedEigenvalues | HandedBack);
  };

  /**
   * A slice handed back (hand-back.ts), resolved here once its worker's cores are free for
   * the next matrix: the same function on the same Gram eigenvalues and W as on the worker.
   */
  const resolveHandedBack = async (back: HandedBack, rows: number, cols: number): Promise<ResolvedEigenvalues> => {
    try {
      // Let the next queued matrix go to the worker before this thread is busy.
      await new Promise((ok) => setImmediate(ok));
      const resolved = await resolveSlice(back.ev, rows, cols, () => back.W, accurateSquaredSingularValues);
      return { ev: back.ev, resolved, resolvedOn: 'caller' };
    } finally {
      release(handBack!, idle);
    }
  };

  /** A slice taken back by the idle caller (take-back.ts): what a worker's one-stage job computes. */
  const resolveHere = async (W: Float64Array, rows: number, cols: number): Promise<ResolvedEigenvalues> => {
    const gram = (stop: GramStop | undefined) => eigenvaluesTsUnless(W, rows, cols, stop);
    const resolved = await resolveSliceOf(W, rows, cols, gram, accurateSquaredSingularValues);
    return { ev: resolved.ev, resolved, resolvedOn: 'caller' };
  };

  /**
   * One job on a worker, once the budget has granted its weight; W is transferred when it can
   * be. `twoStage` false keeps an eigenvalue job off onnxruntime (SpectrumEngine.eigenvalues).
   */
  const run = async (
    rows: number,
    cols: number,
    weight: number,
    load: () => Promise<Float64Array> | Float64Array,
    kind: JobMessage['kind'],
    resolve = false,
    twoStage = true,
  ): Promise<Float64Array | PowerLawFitResult | ResolvedEigenvalues | HandedBack> => {
    // Matrices that take every core go to the first worker, so only one worker keeps the
    // largest scratch buffers (workspace.ts); the budget guarantees it is free then. Paired
    // ones (scheduler.ts pairedUpTo, half the budget) take any idle worker.
    const slot =
      weight === budget.cores && jobs > 1
        ? (slots[0] ?? spawn())
        : (slots.find((s) => s.inFlight === 0) ??
          (slots.length < jobs ? spawn() : slots.find((s) => s.inFlight < depth)) ??
          spawn());
    if (slot.inFlight++ === 0) slot.worker.ref();
    try {
      const W = await load();
      if (W.length !== rows * cols) throw new RangeError(`eigenvalues: ${W.length} values for ${rows}×${cols}`);
      const id = nextId++;
      const eigen = kind === 'eigenvalues';
      const collect = rows * cols * 8 >= Math.max(GC_ABOVE_BYTES, options.collectAbove?.() ?? 0);
      const result = new Promise<Float64Array | PowerLawFitResult | ResolvedEigenvalues | HandedBack>((ok, reject) =>
        inFlight.set(id, { slot, eigen, resolve: ok, reject }),
      );
      const msg: JobMessage = {
        type: 'job',
        id,
        W,
        rows,
        cols,
        // An eigen job's threads follow its shape, also when paired (scheduler.ts pairedUpTo).
        threads: eigen ? Math.min(budget.weightFor(Math.min(rows, cols)), jobs) : 1,
        useOrt: useOrt && twoStage,
        kind,
        resolve,
        collect,
      };
      const whole =
        !(W.buffer instanceof SharedArrayBuffer) && W.byteOffset === 0 && W.byteLength === W.buffer.byteLength;
      slot.worker.postMessage(msg, whole ? [W.buffer as ArrayBuffer] : []);
      // Reading a large matrix left its raw bytes (half of W for float32) as garbage on this
      // thread; free them before the worker allocates the Gram matrix, not at V8's leisure.
      if (W.byteLength === 0 && collect) fullGc();
      return await result;
    } finally {
      if (--slot.inFlight === 0) slot.worker.unref();
    }
  };

  const refuse = (rows: number, cols: number): Promise<never> | undefined => {
    if (closed) return Promise.reject(new Error('spectrum engine is closed'));
    if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(cols) || rows < 0 || cols < 0) {
      return Promise.reject(new RangeError(`eigenvalues: invalid shape ${rows}×${cols}`));
    }
    return undefined;
  };

  const schedule = (
    rows: number,
    cols: number,
    load: () => Promise<Float64Array> | Float64Array,
    twoStage = true,
  ): Promise<Float64Array> => {
    const refused = refuse(rows, cols);
    if (refused) return refused;
    if (inline(rows, cols)) {
      return (async () => eigenvaluesTs(await load(), rows, cols))();
    }
    const weight = weightOf(rows, cols);
    const remote = () => compute(rows, cols, weight, load, 'eigenvalues', twoStage);
    if (takeBack && oneStage(rows, cols, twoStage)) {
      return takeBack.run(
        (task) => budget.run(weight, task),
        remote,
        async () => eigenvaluesTs(await load(), rows, cols),
      );
    }
    return budget.run(weight, remote);
  };

  if (useOrt && options.warmUp !== false) {
    // Start the workers and let them load onnxruntime and compile their graphs while the
    // caller is still opening and reading the model (worth ~1 s on the first matrix). A
    // model of medium matrices only wants every worker with one thread each, not one worker
    // with every core (bench/README.md, "Whole models").
    const plan = options.warmUp === undefined || options.warmUp === true ? undefined : options.warmUp;
    const threads = plan ? plan.threads.slice(0, jobs) : [jobs];
    for (const [i, t] of threads.entries()) {
      const warm: WarmMessage = {
        type: 'warm',
        threads: Math.max(1, Math.min(jobs, t)),
        largest: plan?.largest,
        onnxruntime: plan?.onnxruntime ?? true,
      };
      (slots[i] ?? spawn()).worker.postMessage(warm);
    }
  }

  return {
    eigenvalues: (W, rows, cols, twoStage) => schedule(rows, cols, () => W, twoStage),
    schedule,
    eigenvaluesResolved: async (W, rows, cols, twoStage = true) => {
      if (refuse(rows, cols) !== undefined || inline(rows, cols) || W.byteLength >= GC_ABOVE_BYTES) {
        return { ev: await schedule(rows, cols, () => W, twoStage) };
      }
      const weight = weightOf(rows, cols);
      const remote = () => computeResolved(rows, cols, weight, W, twoStage);
      const out =
        takeBack && oneStage(rows, cols, twoStage)
          ? await takeBack.run(
              (task) => budget.run(weight, task),
              remote,
              () => resolveHere(W, rows, cols),
            )
          : await budget.run(weight, remote);
      return 'W' in out ? resolveHandedBack(out, rows, cols) : out;
    },
    singularValues: (W, rows, cols, twoStage = true) => {
      const refused = refuse(rows, cols);
      if (refused) return refused;
      const M = Math.min(rows, cols);
      if (Math.max(rows, cols) * M * M < ACCURATE_INLINE_WORK) {
        return (async () => accurateSquaredSingularValues(W, rows, cols))();
      }
      // A whole worker, as a medium matrix (QUEUED_MAX_BYTES): never queued behind another job.
      return budget.run(depth, () => compute(rows, cols, depth, () => W, 'singular-values', twoStage));
    },
    powerLaw: (evals) => {
      if (closed) return Promise.reject(new Error('spectrum engine is closed'));
      if (evals.length < FIT_INLINE_BELOW) return Promise.resolve(fitPowerLaw(evals));
      // A copy goes (the caller keeps its eigenvalues); the fit is the same function, so the
      // same numbers. It takes a whole worker: queued behind a matrix, it held up the layer.
      const copy = () => evals.slice();
      return budget.run(depth, () => run(1, evals.length, depth, copy, 'power-law') as Promise<PowerLawFitResult>);
    },
    callerIdle: (now) => {
      idle = now;
      if (handBack) markIdle(handBack, now);
      takeBack?.callerIdle(now);
    },
    backendInfo: info,
    async close() {
      await budget.idle();
      closed = true;
      // Never terminate a worker in the middle of native onnxruntime work (see CloseMessage):
      // ask it to finish and wait until it has exited.
      await Promise.all(slots.map((s) => closeGracefully(s.worker)));
      slots.length = 0;
    },
  };
}
