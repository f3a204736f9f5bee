/**
 * The empirical spectral density of one planned layer: eigenvalues of every slice's WᵀW,
 * scaled and pooled, with the numerical rank counted per slice (DESIGN.md §3.1–3.3).
 */
import type { MatrixPlan } from './matrices.js';
import { gramEigenvalues } from './spectrum/index.js';
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
  for (let s = 0; s < slices; s++) {
    let W = plan.extract(values, s);
    // Entries whose squares under- or overflow: the spectrum of 2^k·W, scaled back below.
    const k = options.unscaled ? 0 : scaleExponent(W);
    if (k !== 0) W = scaled(W, k);
    else if (W === values && options.keepValues) W = values.slice();
    // A solver that resolves slices (the engine's workers) may have done the rank and the
    // accurate route where W was; else both are done here, the same way.
    const solved = options.solveSlice ? await options.solveSlice(W, rows, cols) : undefined;
    const slice =
      solved?.resolved ??
      (await resolveSlice(
        solved?.ev ?? (await solve(W, rows, cols)),
        rows,
        cols,
        async () => {
          // The solver may have taken W (and with it `values`): extract the slice again.
          if (W.length === 0) {
            W = plan.extract(values.length > 0 ? values : await reload(options), s);
            if (k !== 0) W = scaled(W, k);
          }
          return W;
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

function reload(options: EsdOptions): Promise<Float64Array> {
  if (!options.reload) throw new Error('the matrix was handed to the eigen solver and cannot be read again');
  return options.reload();
}
