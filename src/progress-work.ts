/**
 * Progress by work, not by layer count (issue 14): a model's layers differ in cost by six
 * orders of magnitude (a 16×16 bias-like matrix vs a 50257×768 embedding), so a bar that
 * counts layers stalls on the large ones and races through the small ones. Each layer is
 * weighted by an estimate of its cost made from the plans alone (headers, before any value
 * is read), in multiply-adds at GEMM speed:
 *
 *   read   elements · READ_WORK            (read, widen, one pass of checks; per tensor)
 *   layer  slices · (N·M² + EIGEN_WORK·M³)  (Gram product, then the M×M eigenvalues)
 *          + LAYER_WORK                     (fits, phase, scheduling: ~1 ms)
 *
 * The constants are rough ratios measured on the benchmark machine (bench/README.md): a
 * GEMM multiply-add ~0.02 ns on two cores, a widened and checked element ~10 ns, the
 * two-stage eigensolver ~2 Gram-equivalents per M³. Only the shape of the estimate matters
 * for the bar and the ETA; nothing reported depends on it.
 */
import type { LayerPlan } from './matrices.js';
import type { TensorRef } from './types.js';

export interface ProgressEvent {
  /** Layers of the current model finished so far and in all (skipped ones included). */
  readonly done: number;
  readonly total: number;
  /** The layer just finished, or the one just started (when `started`). */
  readonly layer: string;
  /** Set on the event sent when a tensor's layers start being analysed. */
  readonly started?: boolean;
  /** Which model (0-based) of how many. */
  readonly model: number;
  readonly models: number;
  /** Estimated work of the current model's layers finished so far and in all (arbitrary units). */
  readonly work?: number;
  readonly totalWork?: number;
}

const READ_WORK = 500;
const EIGEN_WORK = 2;
const LAYER_WORK = 5e7;
/** A layer skipped from its plan: nothing is read or solved. */
const SKIP_WORK = 1e5;

/** Estimated work of each of a tensor's layers, the tensor's read shared among those analysed. */
export function tensorWork(tensor: Pick<TensorRef, 'shape' | 'lowRank'>, plans: readonly LayerPlan[]): number[] {
  const analysed = plans.filter((p) => p.status === 'analyze').length;
  const elements = tensor.shape.reduce((a, b) => a * b, 1);
  const read = analysed > 0 ? (elements * READ_WORK) / analysed : 0;
  return plans.map((p) => {
    if (p.status === 'skipped') return SKIP_WORK;
    const N = Math.max(p.rows, p.cols);
    // A LoRA update is solved from its r×r core, not from the dense Gram.
    const M = Math.min(p.rows, p.cols, tensor.lowRank?.rank ?? Infinity);
    return read + LAYER_WORK + p.slices * (N * M * M + EIGEN_WORK * M * M * M);
  });
}

/** Counts a model's layers and their work as they finish, and reports both. */
export class WorkProgress {
  private done = 0;
  private work = 0;
  private readonly total: number;
  private readonly totalWork: number;

  /** `works[t]` is tensorWork of the model's tensor t, or undefined for a tensor this run does not own. */
  constructor(
    private readonly works: readonly (readonly number[] | undefined)[],
    private readonly model: number,
    private readonly models: number,
    private readonly onProgress: ((e: ProgressEvent) => void) | undefined,
  ) {
    this.total = works.reduce((n, w) => n + (w?.length ?? 0), 0);
    this.totalWork = works.reduce((n, w) => n + (w ?? []).reduce((a, b) => a + b, 0), 0);
  }

  /** Tensor `t`'s layers start (the bar names it while it runs). */
  started(name: string): void {
    this.onProgress?.({ ...this.counts(), layer: name, started: true });
  }

  /** Tensor `t`'s layers finished: one event per layer, in order. */
  finished<L>(t: number, layers: L[], name: string): L[] {
    const works = this.works[t] ?? [];
    for (const [i] of layers.entries()) {
      this.done++;
      this.work += works[i] ?? 0;
      this.onProgress?.({ ...this.counts(), layer: name });
    }
    return layers;
  }

  private counts() {
    const { done, total, model, models, work, totalWork } = this;
    return { done, total, model, models, work, totalWork };
  }
}
