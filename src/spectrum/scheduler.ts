/**
 * The one concurrency policy of the eigen path: a weighted core budget.
 *
 * Measured on the 2-core target (bench/README.md): one large matrix keeps every core busy
 * through onnxruntime's multi-threaded GEMMs, while small matrices are fastest one per core.
 * So a job asks for a weight of cores: the whole budget for a matrix with
 * M = min(rows, cols) ≥ EXCLUSIVE_N, else one. Jobs start in the order they asked (first in,
 * first out): a large job waiting is not overtaken by small ones behind it, so it cannot
 * starve, and whatever the job holds (a tensor's values, a worker's scratch) follows the
 * largest matrix, not the model.
 *
 * Two budgets of this kind run in a pipeline: analyze.ts bounds the tensors held in memory,
 * the worker engine (engine.ts) bounds the matrices on its workers. They are separate
 * instances on purpose: a tensor holding the whole pipeline budget still needs the whole
 * engine budget for its matrix.
 */

/**
 * Matrices at least this large get every core (bench/README.md). Alone, a 768² matrix is
 * faster with two onnxruntime threads (67 vs 98 ms), but a model has many: two of them side
 * by side, one core each, beat one after the other with both (the GPT-2 shape, all M = 768:
 * median 7.57 → 7.09 s), so the cut is 1024, where one matrix's GEMMs use both cores well.
 */
export const EXCLUSIVE_N = 1024;

/**
 * A matrix of M ≥ EXCLUSIVE_N at most this large (float64 bytes), or at most half of its
 * model's largest matrix (pairedUpTo), shares the cores with one other: it keeps every
 * core's onnxruntime threads (so the same numbers: a GEMM's last bits follow its thread
 * count), but takes half the budget, so that two run side by side and one's
 * serial steps (bulge chasing, QL, fits: about half of a 1536×2048 matrix's time, on one core)
 * overlap the other's GEMMs. 12 Gaussian 1536×2048 layers (24 MiB each): 4.5 s against
 * 5.1–6.1 s one at a time, peak RSS 317–328 against 256 MiB (budget 3× + 300 MB: 358 MiB).
 * Larger ones run alone: two in flight add about twice their size, and 6 layers of 2048²
 * (32 MiB) peaked at 387 MiB paired (5.2 s) against 325 MiB alone (6.3 s), over their 382.
 */
export const PAIRED_MAX_BYTES = 24 * 2 ** 20;

/**
 * The largest matrix (float64 bytes) that pairs in a model whose largest analysed matrix has
 * `largest` bytes: PAIRED_MAX_BYTES, or half the largest. Two in flight add about twice their
 * size to the peak (above), which half keeps within the largest matrix's share of the budget
 * (3× it + 300 MB), the largest itself still running alone. Seeded scratch models, the tree
 * before against this: a GPT-2 medium shape (a 50257×1024 embedding, 12 blocks of 1024×3072,
 * 1024², 1024×4096, 4096×1024) 13.1–13.3 → 9.9–10.1 s at 578–587 MiB (budget 1479; 2 and 3
 * runs, at a quarter); a Llama-7B block with its 32000×4096 embedding, whose 4096² matrices
 * pair, 86.3 → 78.7 s, 1524 → 1527 MiB (budget 3286; one run each, at a quarter); the Llama
 * block alone (4096² pair from half, not from a quarter) 44.9–49.6 → 41.8–45.3 s, peak RSS
 * 719–810 → 931 MiB (budget 1318; two interleaved runs each).
 */
export function pairedUpTo(largest: number): number {
  return Math.max(PAIRED_MAX_BYTES, largest / 2);
}

/** Whether a rows×cols matrix is small enough to run beside another large one (pairedUpTo). */
export function pairable(rows: number, cols: number, upTo = PAIRED_MAX_BYTES): boolean {
  return rows * cols * 8 <= upTo;
}

export class CoreBudget {
  readonly cores: number;
  private free: number;
  private readonly waiting: { readonly weight: number; readonly go: () => void }[] = [];
  private idlers: (() => void)[] = [];

  /** `cores` ≥ 1 (fractions are rounded down). */
  constructor(cores: number) {
    this.cores = Math.max(1, Math.floor(cores));
    this.free = this.cores;
  }

  /** Cores a matrix with M = min(rows, cols) = `m` asks for: all of them when large, else one. */
  weightFor(m: number): number {
    return m >= EXCLUSIVE_N ? this.cores : 1;
  }

  /** What a rows×cols eigen job takes of this budget: weightFor, halved for a pairable one (pairedUpTo). */
  weightOf(rows: number, cols: number, pairUpTo = PAIRED_MAX_BYTES): number {
    const weight = this.weightFor(Math.min(rows, cols));
    return weight === this.cores && pairable(rows, cols, pairUpTo) ? Math.max(1, Math.floor(weight / 2)) : weight;
  }

  /** Resolves once `weight` cores are held by the caller, in the order of the calls; then `release(weight)`. */
  acquire(weight: number): Promise<void> {
    if (!Number.isInteger(weight) || weight < 1 || weight > this.cores)
      return Promise.reject(new RangeError(`core budget: weight ${weight} outside 1..${this.cores}`));
    if (this.waiting.length === 0 && weight <= this.free) {
      this.free -= weight;
      return Promise.resolve();
    }
    return new Promise<void>((go) => this.waiting.push({ weight, go }));
  }

  /** Gives back what an `acquire(weight)` took, and starts whoever waits first if it now fits. */
  release(weight: number): void {
    this.free += weight;
    while (this.waiting.length > 0 && this.waiting[0]!.weight <= this.free) {
      const next = this.waiting.shift()!;
      this.free -= next.weight;
      next.go();
    }
    if (this.isIdle()) {
      const idlers = this.idlers;
      this.idlers = [];
      for (const done of idlers) done();
    }
  }

  /** Whether `weight` cores could be acquired at once (nothing waits, and they are free). */
  hasRoom(weight: number): boolean {
    return this.waiting.length === 0 && weight <= this.free;
  }

  /** Runs `task` holding `weight` cores, and releases them however it ends. */
  async run<T>(weight: number, task: () => Promise<T> | T): Promise<T> {
    await this.acquire(weight);
    try {
      return await task();
    } finally {
      this.release(weight);
    }
  }

  /** Resolves when nothing holds or waits for a core (at once if so already). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise<void>((done) => this.idlers.push(done));
  }

  private isIdle(): boolean {
    return this.free === this.cores && this.waiting.length === 0;
  }
}
