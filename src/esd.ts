/**
 * The empirical spectral density of one planned layer: eigenvalues of every slice's WᵀW,
 * scaled and pooled, with the numerical rank counted per slice (DESIGN.md §3.1–3.3).
 */
import type { MatrixPlan } from './matrices.js';
import { gramEigenvalues } from './spectrum/index.js';
import { accurateSquaredSingularValues } from './spectrum/singular-values.js';
import { gramDecidedRank, structuralZeros } from './spectrum/gram-rank.js';
import { numericalRank } from './fit/metrics.js';
import { scaled, scaleExponent, timesPow2 } from './spectrum-scale.js';

/** Computes the eigenvalues of WᵀW for a row-major rows×cols matrix, ascending. */
export type EigenSolver = (W: Float64Array, rows: number, cols: number) => Promise<Float64Array> | Float64Array;

/**
 * Below this fraction of λ_max the Gram route's eigenvalues may be rounding noise (its absolute
 * error is ~M·ε·λ_max ≈ 1e-13·λ_max), too coarse to decide the rank at σ_max·N·ε₆₄: such a
 * slice's rank is taken from the Gram only when its error bound allows (spectrum/gram-rank.ts),
 * else from the accurate route.
 */
export const GRAM_RESOLUTION = 1e-10;

/**
 * Largest N·M² for which the accurate (SVD) route is run when the Gram route cannot resolve
 * the small eigenvalues (≈ 10 s in plain JS, a few in the WebAssembly kernel); above it, the
 * rank is taken from the Gram eigenvalues at their own resolution.
 */
export const MAX_ACCURATE_WORK = 4e9;

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
  /** Reads the tensor again, for the rare slice that needs the accurate route after its data went to a worker. */
  readonly reload?: () => Promise<Float64Array>;
}

export async function computeEsd(values: Float64Array, plan: MatrixPlan, options: EsdOptions = {}): Promise<Esd> {
  const { rows, cols, slices, eigenScale } = plan;
  const solve = options.solve ?? gramEigenvalues;
  const accurate = options.accurate ?? accurateSquaredSingularValues;
  const M = Math.min(rows, cols);
  const N = Math.max(rows, cols);
  const pooled = new Float64Array(M * slices);
  let rank = 0;
  let nearSingular = false;
  for (let s = 0; s < slices; s++) {
    let W = plan.extract(values, s);
    // Entries whose squares under- or overflow: the spectrum of 2^k·W, scaled back below.
    const k = scaleExponent(W);
    if (k !== 0) W = scaled(W, k);
    else if (W === values && options.keepValues) W = values.slice();
    let ev = await solve(W, rows, cols);
    const lambdaMax = ev[ev.length - 1] ?? 0;
    if (lambdaMax > 0 && ev[0]! < GRAM_RESOLUTION * lambdaMax) {
      nearSingular = true;
      if (N * M * M <= MAX_ACCURATE_WORK) {
        // The solver may have taken W (and with it `values`): extract the slice again.
        if (W.length === 0) {
          W = plan.extract(values.length > 0 ? values : await reload(options), s);
          if (k !== 0) W = scaled(W, k);
        }
        const zeros = structuralZeros(W, rows, cols);
        const decided = gramDecidedRank(ev, N, zeros);
        if (decided !== undefined) {
          // Every eigenvalue clears the Gram's error bound but the structural zeros, which are exact.
          for (let i = 0; i < zeros; i++) ev[i] = 0;
          rank += decided;
        } else {
          // The accurate solver may take W too: keep `values` when it is needed afterwards.
          ev = await accurate(W === values && options.keepValues ? values.slice() : W, rows, cols);
          rank += numericalRank(ev, N);
        }
      } else {
        // Clamp the Gram's negative noise; count what it can resolve.
        for (let i = 0; i < ev.length; i++) if (ev[i]! < 0) ev[i] = 0;
        let r = 0;
        for (let i = 0; i < ev.length; i++) if (ev[i]! > lambdaMax * M * Number.EPSILON) r++;
        rank += r;
      }
    } else {
      rank += numericalRank(ev, N);
    }
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
