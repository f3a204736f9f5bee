/**
 * Where a run's eigenvalues are computed (the worker engine, started when a model needs it,
 * or a caller's solver), and how many tensors the pipeline (analyze.ts) may hold at once.
 *
 * The tensors in flight are bounded by a budget in units of half a core: a tensor whose
 * largest matrix has M ≥ EXCLUSIVE_N takes all of it (it alone, every core in its GEMMs,
 * the policy of src/spectrum/scheduler.ts), one of at least SMALL_TENSOR_BYTES takes a core,
 * a smaller one half. Two small tensors per core keep the workers fed while the main thread
 * reads, checks and fits the next ones (issue 14: on a model of small layers the workers and
 * the main thread used to wait for each other, each idle half the time); the worker engine
 * still runs at most one matrix per core. Peak memory follows the largest tensor, not the model.
 */
import { availableParallelism } from 'node:os';
import type { EigenSolver, SliceSolver } from './esd.js';
import { fitPowerLaw, type PowerLawFitResult } from './fit/powerlaw.js';
import type { LayerPlan } from './matrices.js';
import {
  CoreBudget,
  createSpectrumEngine,
  EXCLUSIVE_N,
  ONNXRUNTIME_START_MS,
  pairable,
  pairedUpTo,
  TWO_STAGE_MIN_N,
  twoStageSavingMs,
  usesTwoStage,
  type SpectrumEngine,
  type WarmPlan,
} from './spectrum/index.js';

/** Tensors below this many bytes as float64 take half a core of the pipeline's budget. */
export const SMALL_TENSOR_BYTES = 16 * 2 ** 20;

/**
 * Tensors above this many bytes as float64 are not read ahead: read beside a large matrix
 * being computed (its W, Gram and scratch), one took a Llama-7B block's peak RSS to
 * 1288 MiB of its 1332 MiB budget (3× the largest matrix + 300 MiB; 880 MiB when it waits),
 * and smaller tensors keep the overlap.
 */
export const READ_AHEAD_MAX_BYTES = 256 * 2 ** 20;

/**
 * A model whose medium matrices (TWO_STAGE_MIN_N ≤ M < EXCLUSIVE_N) take fewer flops than
 * this (Gram N·M² + reduction 4M³/3 per slice) gets one worker, not one per core: the main
 * thread, which reads every tensor and computes the small matrices itself, is busy beside
 * it, and a second worker's start (~0.1–0.2 s of CPU, node and onnxruntime) competes with
 * both on the same cores. Measured on the 2-core machine (bench/README.md, "Whole models"):
 * M-LSD large (0.2 GFLOP) and PP-OCRv4 rec (1.1 GFLOP) run as fast or faster with one
 * worker; ISNet (29 GFLOP) takes 6.3 s with one and 4.6 s with two.
 */
export const SECOND_WORKER_MIN_FLOPS = 2e9;

export interface ComputeOptions {
  readonly solve?: EigenSolver;
  readonly jobs?: number;
  /** Tensors above this many bytes as float64 are not read ahead (default READ_AHEAD_MAX_BYTES; tests set 0). */
  readonly readAheadMaxBytes?: number;
}

export class Compute {
  /** Cores: worker threads, and onnxruntime threads within one large matrix. */
  readonly cores: number;
  /** The pipeline's budget of tensors in flight, in half cores (see the header). */
  readonly budget: CoreBudget;
  private engine: SpectrumEngine | undefined;
  /** Whether the current model's medium matrices may take the two-stage path (warmUpFor). */
  private twoStage = true;
  /** The engine's collectAbove: a quarter of the current model's largest matrix in bytes (warmUpFor). */
  private collectAbove = 0;
  /** Bytes up to which a large matrix of the current model pairs (scheduler.ts pairedUpTo; warmUpFor). */
  private pairUpTo = pairedUpTo(0);

  constructor(private readonly options: ComputeOptions) {
    this.cores = Math.max(1, Math.floor(options.jobs ?? availableParallelism()));
    this.budget = new CoreBudget(2 * this.cores);
  }

  /** The eigenvalue solver; the engine (and its warm-up) starts with the first large matrix. */
  get solve(): EigenSolver {
    if (this.options.solve) return this.options.solve;
    const engine = this.start(true);
    const twoStage = this.twoStage;
    return (W, rows, cols) => engine.eigenvalues(W, rows, cols, twoStage);
  }

  /**
   * The solver of the pipeline's slices: the engine's, which resolves a slice (its rank, and
   * the accurate route where needed) on the worker that computed it; none beside a caller's solver.
   */
  get solveSlice(): SliceSolver | undefined {
    if (this.options.solve) return undefined;
    const engine = this.start(true);
    const twoStage = this.twoStage;
    return (W, rows, cols) => engine.eigenvaluesResolved(W, rows, cols, twoStage);
  }

  /** The accurate-rank route: on the engine's workers (started on first use), inline beside a caller's solver. */
  get accurate(): EigenSolver | undefined {
    if (this.options.solve) return undefined;
    const twoStage = this.twoStage;
    return (W, rows, cols) => this.start(false).singularValues(W, rows, cols, twoStage);
  }

  /**
   * The power-law fit on the engine's workers once they run (they are idle part of the time
   * while this thread reads and fits); inline before, and beside a caller's solver.
   */
  get powerLaw(): ((evals: Float64Array) => Promise<PowerLawFitResult>) | undefined {
    if (this.options.solve) return undefined;
    return (evals) => (this.engine ? this.engine.powerLaw(evals) : Promise.resolve(fitPowerLaw(evals)));
  }

  /**
   * Prepares for a model: whether its medium matrices may take the two-stage path (decided
   * on `whole`, every tensor of the model, so that a selection or a shard of it gets the same
   * numbers; see onnxruntimePays), and starts the engine early when the `plans` analysed
   * have matrices for its workers (see `warmPlanFor`). Models are analysed one at a time.
   */
  warmUpFor(plans: readonly LayerPlan[], whole: readonly LayerPlan[] = plans): void {
    this.twoStage = onnxruntimePays(whole);
    const largest = largestMatrixBytes(whole);
    this.collectAbove = largest / 4;
    this.pairUpTo = pairedUpTo(largest);
    if (this.options.solve || this.engine) return;
    const warm = warmPlanFor(plans, this.cores, this.twoStage, this.pairUpTo);
    if (warm) this.start(warm.plan, warm.workers);
  }

  /** A tensor's share of the budget: its largest matrix's, and its size's (see the header). */
  weight(plans: readonly LayerPlan[], elements: number): number {
    // A large matrix runs alone, unless it pairs (scheduler.ts pairedUpTo): two are in flight then.
    const alone = plans.some(
      (p) =>
        p.status === 'analyze' &&
        exclusive(Math.min(p.rows, p.cols), this.cores) &&
        !pairable(p.rows, p.cols, this.pairUpTo),
    );
    if (alone) return this.budget.cores;
    return elements * 8 >= SMALL_TENSOR_BYTES ? 2 : 1;
  }

  /** Whether a tensor of this many elements may be read while earlier tensors compute. */
  readsAhead(elements: number): boolean {
    return elements * 8 <= (this.options.readAheadMaxBytes ?? READ_AHEAD_MAX_BYTES);
  }

  /**
   * The pipeline has read every tensor of its model and only waits (true), or reads again
   * (false): with fewer workers than cores, an idle main thread resolves slices that need
   * the accurate route in the workers' place (src/spectrum/hand-back.ts).
   */
  callerIdle(idle: boolean): void {
    this.engine?.callerIdle(idle);
  }

  /** Bytes from which the engine follows a matrix with full collections (SpectrumEngineOptions.collectAbove). */
  collectAboveBytes(): number {
    return this.collectAbove;
  }

  /** Takes `weight` of the budget; the main thread is idle while it waits for it (see callerIdle). */
  async acquire(weight: number): Promise<void> {
    this.callerIdle(true);
    try {
      await this.budget.acquire(weight);
    } finally {
      this.callerIdle(false);
    }
  }

  async close(): Promise<void> {
    await this.engine?.close();
  }

  /** The engine, started with `workers` worker threads at most (default: one per core). */
  private start(warmUp: boolean | WarmPlan, workers = this.cores): SpectrumEngine {
    const collectAbove = () => this.collectAboveBytes();
    const pairUpTo = () => this.pairUpTo;
    this.engine ??= createSpectrumEngine({
      jobs: workers,
      warmUp,
      handBack: workers < this.cores,
      collectAbove,
      pairUpTo,
    });
    return this.engine;
  }
}

/**
 * The workers a model's matrices want, or undefined when all are computed on the calling
 * thread: one worker with every core when a matrix has M ≥ EXCLUSIVE_N; for medium ones one
 * single-threaded worker per core when their work reaches SECOND_WORKER_MIN_FLOPS, else one
 * beside the main thread (never more than the medium slices). Each worker compiles graphs
 * only for the sizes it will see (`largest`), and loads onnxruntime only when a matrix
 * takes the two-stage path (`onnxruntime`: `twoStage`, the model's onnxruntimePays, and a
 * shape for it, eigen.ts usesTwoStage).
 */
export function warmPlanFor(
  plans: readonly LayerPlan[],
  cores: number,
  twoStage = true,
  pairUpTo = pairedUpTo(0),
): { readonly plan: WarmPlan; readonly workers: number } | undefined {
  let largest = 0;
  let large = false;
  let paired = 0;
  let medium = 0;
  let flops = 0;
  let onnxruntime = false;
  for (const p of plans) {
    if (p.status !== 'analyze') continue;
    const m = Math.min(p.rows, p.cols);
    if (m < TWO_STAGE_MIN_N) continue;
    largest = Math.max(largest, m);
    onnxruntime ||= twoStage && usesTwoStage(p.rows, p.cols);
    if (exclusive(m, cores)) {
      large = true;
      if (pairable(p.rows, p.cols, pairUpTo)) paired += p.slices;
    } else medium += p.slices;
    flops += p.slices * (Math.max(p.rows, p.cols) * m * m + (4 / 3) * m * m * m);
  }
  if (largest === 0) return undefined;
  // Two pairable large matrices run side by side, each with every core's threads.
  const threads = large ? (paired >= 2 ? [cores, cores] : [cores]) : [];
  const wanted = large || flops >= SECOND_WORKER_MIN_FLOPS ? cores : 1;
  while (threads.length < Math.min(wanted, medium + (large ? 1 : 0))) threads.push(1);
  return { plan: { threads, largest, onnxruntime }, workers: large ? cores : threads.length };
}

/**
 * Whether a model's matrices are worth starting onnxruntime for (issue 14, item 4: its fixed
 * start is paid only when a model needs it): one of M ≥ EXCLUSIVE_N, which takes every core
 * in onnxruntime's GEMMs, or medium ones whose two-stage savings together reach its start
 * (eigen.ts twoStageSavingMs, ONNXRUNTIME_START_MS). Otherwise every matrix of the model takes
 * the one-stage path. The answer depends on the model's shapes alone, not on the cores.
 * PP-OCRv4 rec: three 480² and a 6625×120 save ~25 ms, so no; ISNet saves seconds.
 */
export function onnxruntimePays(plans: readonly LayerPlan[]): boolean {
  let saving = 0;
  for (const p of plans) {
    if (p.status !== 'analyze') continue;
    if (Math.min(p.rows, p.cols) >= EXCLUSIVE_N) return true;
    saving += p.slices * twoStageSavingMs(p.rows, p.cols);
    if (saving >= ONNXRUNTIME_START_MS) return true;
  }
  return false;
}

/**
 * The model's largest analysed matrix (one slice) in float64 bytes; the engine's full
 * collections (spectrum/gc.ts) follow only matrices of at least a quarter of it. They keep
 * peak memory near the budget's 3× the largest matrix; after a smaller one they only cost
 * time, and more than their own: a full collection frees short-lived objects that optimized
 * code embedded, and V8 throws that code away ("weak objects") and compiles it again.
 * The GPT-2 shape (a 309 MB embedding, 24 MLP matrices of 19 MB) had 75 collections, and its
 * workers compiled reduceToBand 92 times (14 without them); its runs took 5.81 s (9.6 s of
 * CPU) against 4.33 s (6.8 s) without them, medians of three.
 */
export function largestMatrixBytes(plans: readonly LayerPlan[]): number {
  let largest = 0;
  for (const p of plans) if (p.status === 'analyze') largest = Math.max(largest, p.rows * p.cols * 8);
  return largest;
}

/** Whether a matrix with M = min(rows, cols) runs alone with every core (scheduler.ts). */
function exclusive(m: number, cores: number): boolean {
  return m >= EXCLUSIVE_N && cores > 1;
}
