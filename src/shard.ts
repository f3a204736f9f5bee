/**
 * Scale-out (issue 6): `--shard i/n` analyses a deterministic part of the tensors, balanced by
 * estimated cost, and `rmt-analyze merge` (src/merge.ts) puts the parts back together into
 * the document a single run prints.
 *
 * The split is decided from the layer plans alone (shapes and dtypes, src/matrices.ts),
 * before any weight is read, so every shard computes the same split independently:
 *   - unit of work: a tensor with all its layers (they are read together);
 *   - cost of a tensor: Σ over its analysed matrices of slices·M²·(N + M) — the Gram product
 *     (N·M² per slice) plus the tridiagonal reduction (~M³ per slice), DESIGN.md §3.7;
 *     tensors that will not be read (every layer skipped by plan, or the same stored bytes
 *     as an earlier tensor) cost 0;
 *   - assignment: greedy LPT (longest processing time first: Graham 1969, within 4/3 of the
 *     best makespan): tensors by decreasing cost, ties by model then file order, each to
 *     the shard with the least cost so far, ties to the lowest index.
 * Every tensor, skipped or not, lands in exactly one shard.
 */
import { UsageError } from './errors.js';
import type { LayerPlan } from './matrices.js';
import type { ShardDigest, ShardInfo, ShardOptions } from './schema/index.js';

/** Shard `index` (1-based) of `count`. */
export interface ShardSpec {
  readonly index: number;
  readonly count: number;
}

/** `i/n` with 1 ≤ i ≤ n. */
export function parseShardSpec(text: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard: expected i/n with 1 ≤ i ≤ n (e.g. 2/4), got '${text}'`);
  }
  return { index, count };
}

/** What the split needs to know about one tensor. */
export interface PlannedTensor {
  readonly storageKey: string;
  readonly plans: readonly LayerPlan[];
}

/** Estimated work for one layer: slices·M²·(N + M) for an analysed matrix, 0 for a skipped one. */
export function estimateCost(plan: LayerPlan): number {
  if (plan.status !== 'analyze') return 0;
  const N = Math.max(plan.rows, plan.cols);
  const M = Math.min(plan.rows, plan.cols);
  return plan.slices * M * M * (N + M);
}

/**
 * Cost of each tensor of one model, in order. Mirrors the pipeline's checks made before
 * reading (src/analyze.ts): a tensor with no analysed plan, or whose storage was already
 * seen in this model, is never read.
 */
export function tensorCosts(tensors: readonly PlannedTensor[]): number[] {
  const seen = new Set<string>();
  return tensors.map((t) => {
    if (t.plans.every((p) => p.status === 'skipped')) return 0;
    if (seen.has(t.storageKey)) return 0;
    seen.add(t.storageKey);
    return t.plans.reduce((sum, p) => sum + estimateCost(p), 0);
  });
}

/** Greedy LPT: the 0-based shard of each item. Deterministic for the same costs. */
export function assignShards(costs: readonly number[], count: number): number[] {
  const order = costs.map((cost, i) => ({ cost, i })).sort((a, b) => b.cost - a.cost || a.i - b.i);
  const load = new Array<number>(count).fill(0);
  const shard = new Array<number>(costs.length).fill(0);
  for (const { cost, i } of order) {
    let best = 0;
    for (let s = 1; s < count; s++) if (load[s]! < load[best]!) best = s;
    shard[i] = best;
    load[best] = load[best]! + cost;
  }
  return shard;
}

/**
 * One shard's view of the whole run: which tensors are its own, where their layers go in
 * the single-run document, and what the merge needs to redo the cross-shard tied-weight
 * check. Filled in by the pipeline as it goes.
 */
export class ShardRun {
  private readonly owner: number[][];
  private readonly first: number[][];
  private readonly totalLayers: number;
  private readonly costs: number[][];
  private readonly positions: number[] = [];
  private readonly digests: ShardDigest[] = [];

  constructor(
    models: readonly (readonly PlannedTensor[])[],
    readonly spec: ShardSpec,
  ) {
    this.costs = models.map(tensorCosts);
    const shards = assignShards(this.costs.flat(), spec.count);
    let item = 0;
    let position = 0;
    this.owner = models.map((tensors) => tensors.map(() => shards[item++]!));
    this.first = models.map((tensors) =>
      tensors.map((t) => {
        const at = position;
        position += t.plans.length;
        return at;
      }),
    );
    this.totalLayers = position;
  }

  /** Is tensor `tensor` (index among the selected tensors) of model `model` this shard's? */
  owns(model: number, tensor: number): boolean {
    return this.owner[model]?.[tensor] === this.spec.index - 1;
  }

  /** Called once per own tensor, in order, before its layers are added to the results. */
  addTensor(model: number, tensor: number, layers: number): void {
    const at = this.first[model]![tensor]!;
    for (let i = 0; i < layers; i++) this.positions.push(at + i);
  }

  /** The content digest of an own tensor that was read (for tied weights across shards). */
  addDigest(model: number, tensor: number, layers: number, sha1: string): void {
    this.digests.push({ position: this.first[model]![tensor]!, layers, sha1 });
  }

  info(options: ShardOptions): ShardInfo {
    let part = 0;
    let total = 0;
    this.costs.forEach((costs, m) =>
      costs.forEach((c, t) => {
        total += c;
        if (this.owns(m, t)) part += c;
      }),
    );
    return {
      index: this.spec.index,
      count: this.spec.count,
      totalLayers: this.totalLayers,
      positions: [...this.positions],
      digests: [...this.digests],
      options,
      cost: { part, total },
    };
  }
}
