/**
 * What createSpectrumEngine (engine.ts) is given: its options, the workers it starts ahead
 * of a model's matrices (WarmPlan), and the worker interface it drives (EngineWorker).
 */
import type { CloseMessage, JobMessage, ResultMessage, ShareMessage, WarmMessage } from './worker.js';

/** What the engine needs of a worker thread (node:worker_threads' Worker, or a test's stand-in). */
export interface EngineWorker {
  on(event: 'message', listener: (msg: ResultMessage | { closed: true }) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  once(event: 'exit', listener: () => void): unknown;
  postMessage(message: JobMessage | WarmMessage | CloseMessage | ShareMessage, transfer?: readonly ArrayBuffer[]): void;
  ref(): void;
  unref(): void;
}

export interface SpectrumEngineOptions {
  /** Cores to use (worker threads, and onnxruntime threads within one large matrix). Default: all. */
  readonly jobs?: number;
  /** 'auto' (default) uses onnxruntime-node when it loads; 'typescript' never loads it. */
  readonly backend?: 'auto' | 'typescript';
  /** Matrices with min(rows, cols) below this are computed inline on the calling thread. Default TWO_STAGE_MIN_N. */
  readonly inlineBelow?: number;
  /**
   * Start workers and load onnxruntime (when the plan needs it) at creation instead of with the first matrices.
   * true (default): one worker, with every core; a WarmPlan: what a model's matrices need.
   */
  readonly warmUp?: boolean | WarmPlan;
  /** Starts a worker (default: worker.ts on a new thread); tests substitute one they drive by hand. */
  readonly createWorker?: () => EngineWorker;
  /**
   * Whether workers may hand a slice's accurate route back to the calling thread while it
   * says it is idle (`callerIdle`; hand-back.ts). For engines with fewer workers than cores.
   */
  readonly handBack?: boolean;
  /**
   * Bytes from which a matrix is followed by full collections (gc.ts) on both threads; never
   * below GC_ABOVE_BYTES, the default. compute.ts raises it to a quarter of the model's largest matrix.
   */
  readonly collectAbove?: () => number;
  /**
   * Bytes up to which a large matrix pairs with another (scheduler.ts pairedUpTo); never below
   * PAIRED_MAX_BYTES, the default. compute.ts sets pairedUpTo of the model's largest matrix.
   */
  readonly pairUpTo?: () => number;
}

/** The workers to start ahead of the first matrices, and what each prepares. */
export interface WarmPlan {
  /** Worker i loads onnxruntime with threads[i] intra-op threads (the first: the large matrices'). */
  readonly threads: readonly number[];
  /** The largest min(rows, cols) to come: graphs are compiled for the sizes up to it. */
  readonly largest: number;
  /**
   * Whether any matrix to come takes the two-stage path (eigen.ts usesTwoStage, in a model
   * that pays for onnxruntime: compute.ts onnxruntimePays); if not, the workers do not load
   * onnxruntime (default true).
   */
  readonly onnxruntime?: boolean;
}
