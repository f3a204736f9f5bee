/**
 * `--vectors`: localization of the eigenvectors of X = WᵀW (the smaller Gram) for one
 * planned layer, split into tail (spikes) and bulk (see EigenvectorLocalization in types.ts).
 * Pure and synchronous; the caller decides whether it is worth the time
 * (estimateVectorSeconds) and warns.
 */
import type { EigenvectorLocalization, VectorGroupStats } from '../schema/index.js';
import type { MatrixPlan } from '../matrices.js';
import { gramLower } from '../spectrum/gram.js';
import { symmetricEigenSelected } from './symmetric-eigen.js';
import { randomReference, vectorMetrics } from './localization.js';

/**
 * Per slice, at most this many eigenvectors are computed: all when M is at most this,
 * otherwise the top TOP_TAIL_VECTORS of the tail, an evenly spaced sample of the rest of
 * the tail and of the bulk (half each when both are large). Means over a few hundred
 * vectors are within ~1% of the full means; the cost drops from O(M³)·10 to the O(M³)·4/3
 * of the Householder reduction.
 */
export const MAX_VECTORS_PER_SLICE = 512;
const TOP_TAIL_VECTORS = 32;

/**
 * Eigenvalues ≤ this × λ_max of their slice are numerical zeros for the Gram route (its
 * absolute error is ≈ M·ε·λ_max): their eigenvectors span the null space in an arbitrary
 * basis and are left out.
 */
export const NULL_EIGENVALUE = 1e-12;

/**
 * Measured costs on the project's 2-core machine under load (plain JS, float64; M = 512 and
 * 1024), in ns per unit of: the Gram product (rows·cols·M), the reduction (M³), and the
 * inverse iteration plus back-transformation (vectors·M²). M = 1024, N = 2048 took 10 s.
 * Used only to predict the time for the warning.
 */
const NS_PER_GRAM_FLOP = 2;
const NS_PER_REDUCTION_FLOP = 2.5;
const NS_PER_VECTOR_FLOP = 4;

/** Above this predicted time the pipeline warns (through its onWarning callback). */
export const VECTORS_SLOW_SECONDS = 10;

export interface VectorSplit {
  readonly by: 'mp-spikes' | 'power-law-tail' | 'none';
  /** Eigenvalues (ESD units) ≥ this are in the tail; null: everything is bulk. */
  readonly threshold: number | null;
}

export interface VectorOptions {
  readonly split: VectorSplit;
  /** Include every computed vector's metrics. */
  readonly perVector?: boolean;
  readonly maxVectorsPerSlice?: number;
}

/** Predicted seconds for eigenvectorLocalization on this plan. */
export function estimateVectorSeconds(plan: MatrixPlan, maxVectorsPerSlice = MAX_VECTORS_PER_SLICE): number {
  const M = Math.min(plan.rows, plan.cols);
  const k = Math.min(M, maxVectorsPerSlice);
  const ns =
    plan.rows * plan.cols * M * NS_PER_GRAM_FLOP + M ** 3 * NS_PER_REDUCTION_FLOP + k * M * M * NS_PER_VECTOR_FLOP;
  return (plan.slices * ns) / 1e9;
}

export function eigenvectorLocalization(
  values: Float64Array,
  plan: MatrixPlan,
  options: VectorOptions,
): EigenvectorLocalization {
  const { rows, cols, slices, eigenScale } = plan;
  const M = Math.min(rows, cols);
  const maxVectors = options.maxVectorsPerSlice ?? MAX_VECTORS_PER_SLICE;
  const threshold = options.split.threshold;
  const tail = new GroupAccumulator();
  const bulk = new GroupAccumulator();
  const perVector: {
    eigenvalue: number[];
    participationRatio: number[];
    localizationRatio: number[];
    entropy: number[];
  } = {
    eigenvalue: [],
    participationRatio: [],
    localizationRatio: [],
    entropy: [],
  };
  const records: { lambda: number; pr: number; lr: number; h: number }[] = [];
  let numNull = 0;
  for (let s = 0; s < slices; s++) {
    const W = plan.extract(values, s);
    const { G: X, n } = gramLower(W, rows, cols);
    const eig = symmetricEigenSelected(X, n, (evals) => {
      const lambdaMax = Math.max(0, evals[n - 1] ?? 0);
      const nullLimit = lambdaMax * NULL_EIGENVALUE;
      const tailIdx: number[] = [];
      const bulkIdx: number[] = [];
      for (let i = 0; i < n; i++) {
        const lambda = evals[i]! * eigenScale;
        if (!(evals[i]! > nullLimit)) numNull++;
        else if (threshold !== null && lambda >= threshold) tailIdx.push(i);
        else bulkIdx.push(i);
      }
      tail.count += tailIdx.length;
      bulk.count += bulkIdx.length;
      if (tailIdx.length + bulkIdx.length <= maxVectors) return [...bulkIdx, ...tailIdx];
      // Keep the strongest tail vectors, then share the budget between the rest of the tail and the bulk.
      const top = tailIdx.slice(-Math.min(TOP_TAIL_VECTORS, tailIdx.length));
      const restTail = tailIdx.slice(0, tailIdx.length - top.length);
      const budget = maxVectors - top.length;
      const tailShare = Math.min(restTail.length, Math.max(budget - bulkIdx.length, Math.floor(budget / 2)));
      return [...evenlySpaced(bulkIdx, budget - tailShare), ...evenlySpaced(restTail, tailShare), ...top];
    });
    for (let r = 0; r < eig.indices.length; r++) {
      const m = vectorMetrics(eig.vectors.subarray(r * n, r * n + n));
      const lambda = eig.values[eig.indices[r]!]! * eigenScale;
      records.push({ lambda, pr: m.participationRatio, lr: m.localizationRatio, h: m.entropy });
    }
  }
  records.sort((a, b) => a.lambda - b.lambda);
  for (const r of records) {
    (threshold !== null && r.lambda >= threshold ? tail : bulk).add(r.pr, r.lr, r.h);
    if (options.perVector) {
      perVector.eigenvalue.push(r.lambda);
      perVector.participationRatio.push(r.pr);
      perVector.localizationRatio.push(r.lr);
      perVector.entropy.push(r.h);
    }
  }
  return {
    dimension: M,
    split: { by: options.split.by, threshold },
    tail: tail.stats(),
    bulk: bulk.stats(),
    numNull,
    random: randomReference(M),
    ...(options.perVector ? { perVector } : {}),
  };
}

function evenlySpaced<T>(xs: readonly T[], k: number): T[] {
  if (k >= xs.length) return [...xs];
  if (k <= 0) return [];
  const out: T[] = [];
  for (let i = 0; i < k; i++) out.push(xs[Math.floor(((i + 0.5) * xs.length) / k)]!);
  return out;
}

class GroupAccumulator {
  count = 0;
  private n = 0;
  private pr = 0;
  private lr = 0;
  private h = 0;
  private minPr = Infinity;
  add(pr: number, lr: number, h: number): void {
    this.n++;
    this.pr += pr;
    this.lr += lr;
    this.h += h;
    if (pr < this.minPr) this.minPr = pr;
  }
  stats(): VectorGroupStats {
    const n = this.n;
    return {
      count: this.count,
      computed: n,
      participationRatio: n > 0 ? this.pr / n : null,
      minParticipationRatio: n > 0 ? this.minPr : null,
      localizationRatio: n > 0 ? this.lr / n : null,
      entropy: n > 0 ? this.h / n : null,
    };
  }
}
