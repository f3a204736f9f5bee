/**
 * The empirical spectral density of one planned layer: eigenvalues of every slice's WᵀW,
 * scaled and pooled, with the numerical rank counted per slice (DESIGN.md §3.1–3.3).
 */
import type { MatrixPlan } from './matrices.js';
import { EXCLUSIVE_N, gramEigenvalues, QUEUED_MAX_BYTES } from './spectrum/index.js';
import { accurateSquaredSingularValues } from './spectrum/singular-values.js';
import { resolveSlice, type SliceSpectrum } from './spectrum/slice-rank.js';
import { scaled, scaleExponent, timesPow2 } from './spectrum-scale.js';

/** Computes the eigenvalues of WᵀW for a row-major rows×cols matrix, ascending. */
export type EigenSolver = (W: Float64Array, rows: number, cols: number) => Promise<Float64Array> | Float64Array;

export { GRAM_RESOLUTION, MAX_ACCURATE_WORK } from './spectrum/slice-rank.js';

/**
 * A solver that may also resolve the slice (its rank, and the accurate route where the Gram
 * cannot decide it) where W is: `resolved` when it did, else the Gram eigenvalues `ev`.
 */
export type SliceSolver = (
  W: Float64Array,
  rows: number,
  cols: number,
) => Promise<{ readonly ev: Float64Array; readonly resolved?: SliceSpectrum }>;

export interface Esd {
  /** Pooled eigenvalues, ascending, scaled (conv slices by 1/2). */
  readonly evals: Float64Array;
  /** Numerical rank summed over slices. */
  readonly rank: number;
  /** Whether any slice needed the accurate route (or would have, beyond MAX_ACCURATE_WORK). */
  readonly nearSingular: boolean;
}

export interface EsdOptions {
  readonly solve?: EigenSolver;
  /** Used instead of `solve` when given (the pipeline's worker engine). */
  readonly solveSlice?: SliceSolver;
  /**
   * The solver may take ownership of the matrix it is given (the worker engine transfers
   * it). Set when `values` is needed after the ESD (traps, vectors): whole-tensor slices
   * are then copied before solving.
   */
  readonly keepValues?: boolean;
  /**
   * Computes the ascending σᵢ² of a slice the Gram route cannot decide (default: on this
   * thread; the pipeline passes the worker engine's). May take ownership of the matrix.
   */
  readonly accurate?: EigenSolver;
  /**
   * Every entry of `values` is zero or within UNSCALED_RANGE of 1 in magnitude (the tensor's
   * scan knows: ValueChecks.neverScaled), so no slice is scaled and none is searched for its
   * largest entry — one pass over the tensor fewer (issue 14), the same numbers.
   */
  readonly unscaled?: boolean;
  /** Reads the tensor again, for the rare slice that needs the accurate route after its data went to a worker. */
  readonly reload?: () => Promise<Float64Array>;
}

export async function computeEsd(values: Float64Array, plan: MatrixPlan, options: EsdOptions = {}): Promise<Esd> {
  const { rows, cols, slices, eigenScale } = plan;
  const solve = options.solve ?? gramEigenvalues;
  const accurate = options.accurate ?? accurateSquaredSingularValues;
  const M = Math.min(rows, cols);
  const pooled = new Float64Array(M * slices);
  let rank = 0;
  let nearSingular = false;
  // Slice s is extracted and handed to the solver; `ahead` more follow it before it is awaited.
  const start = (s: number): Started => {
    let W = plan.extract(values, s);
    // Entries whose squares under- or overflow: the spectrum of 2^k·W, scaled back below.
    const k = options.unscaled ? 0 : scaleExponent(W);
    if (k !== 0) W = scaled(W, k);
    else if (W === values && options.keepValues) W = values.slice();
    // A solver that resolves slices (the engine's workers) may have done the rank and the
    // accurate route where W was; else both are done here, the same way.
    const solved = options.solveSlice?.(W, rows, cols);
    // Awaited in order below; a slice ahead that fails must not be reported as unhandled first.
    solved?.catch(() => undefined);
    return { box: { W }, k, solved };
  };
  const ahead = options.solveSlice ? sliceLookahead(rows, cols, slices) : 0;
  const started: Started[] = [];
  for (let s = 0; s < Math.min(slices, ahead + 1); s++) started.push(start(s));
  for (let s = 0; s < slices; s++) {
    const { box, k, solved: pending } = started.shift()!;
    const solved = await pending;
    if (s + ahead + 1 < slices) started.push(start(s + ahead + 1));
    const slice =
      solved?.resolved ??
      (await resolveSlice(
        solved?.ev ?? (await solve(box.W, rows, cols)),
        rows,
        cols,
        async () => {
          // The solver may have taken W (and with it `values`): extract the slice again.
          if (box.W.length === 0) {
            box.W = plan.extract(values.length > 0 ? values : await reload(options), s);
            if (k !== 0) box.W = scaled(box.W, k);
          }
          return box.W;
        },
        // The accurate solver may take W too: keep `values` when it is needed afterwards.
        (A, r, c) => accurate(A === values && options.keepValues ? values.slice() : A, r, c),
      ));
    const ev = slice.ev;
    rank += slice.rank;
    nearSingular ||= slice.nearSingular;
    // The rank above was counted on the scaled spectrum: it is scale-invariant, and there the
    // small eigenvalues keep their precision. λ(W) = 2^{−2k}·λ(2^k W); two steps of 2^{−k}
    // keep the factor itself representable.
    for (let i = 0; i < M; i++) pooled[s * M + i] = timesPow2(Math.max(0, ev[i]!) * eigenScale, -2 * k);
  }
  return { evals: slices > 1 ? pooled.sort() : pooled, rank, nearSingular };
}

/** A slice handed to the solver: its matrix (the solver may detach it), scale, and answer. */
interface Started {
  readonly box: { W: Float64Array };
  readonly k: number;
  readonly solved: Promise<Awaited<ReturnType<SliceSolver>>> | undefined;
}

/**
 * Slices of one layer handed to the engine beyond the one awaited (issue 14, item 4: overlap):
 * while a worker computes slice s, slice s+1 is already extracted and posted behind it, so the
 * worker does not wait for this thread's round trip (answer, gather, post) between the two.
 * Only for slices the engine lets wait on a busy worker (at most QUEUED_MAX_BYTES, below
 * EXCLUSIVE_N): a larger one waits for a free worker anyway, so a second in flight would only
 * hold memory.
 */
export function sliceLookahead(rows: number, cols: number, slices: number): number {
  if (slices < 2 || Math.min(rows, cols) >= EXCLUSIVE_N || rows * cols * 8 > QUEUED_MAX_BYTES) return 0;
  return 1;
}

function reload(options: EsdOptions): Promise<Float64Array> {
  if (!options.reload) throw new Error('the matrix was handed to the eigen solver and cannot be read again');
  return options.reload();
}
