/**
 * One slice's numerical rank from its Gram eigenvalues, and the accurate route where they
 * cannot decide it (DESIGN.md §3.3; the bound is gram-rank.ts's). Shared by the pipeline
 * (esd.ts) and the engine's workers, which resolve a slice where its matrix already is: the
 * accurate route then runs at once on the same thread, instead of a second round trip that
 * re-read the tensor on the main thread and queued the matrix again (issue 14, item 3).
 */
import { numericalRank } from '../fit/metrics.js';
import { gramDecidedRank, structuralZeros } from './gram-rank.js';

/**
 * Below this fraction of λ_max the Gram route's eigenvalues may be rounding noise (its absolute
 * error is ~M·ε·λ_max ≈ 1e-13·λ_max), too coarse to decide the rank at σ_max·N·ε₆₄: such a
 * slice's rank is taken from the Gram only when its error bound allows (gram-rank.ts),
 * else from the accurate route.
 */
export const GRAM_RESOLUTION = 1e-10;

/**
 * Largest N·M² for which the accurate (SVD) route is run when the Gram route cannot resolve
 * the small eigenvalues (≈ 10 s in plain JS, a few in the WebAssembly kernel); above it, the
 * rank is taken from the Gram eigenvalues at their own resolution.
 */
export const MAX_ACCURATE_WORK = 4e9;

/** A slice's ascending σᵢ² (the Gram's, or the accurate route's) and its numerical rank. */
export interface SliceSpectrum {
  readonly ev: Float64Array;
  readonly rank: number;
  /** Whether the slice needed the accurate route (or would have, beyond MAX_ACCURATE_WORK). */
  readonly nearSingular: boolean;
}

/** The accurate route: ascending σᵢ² of the rows×cols W (singular-values.ts, or the engine's). */
export type AccurateSolver = (W: Float64Array, rows: number, cols: number) => Promise<Float64Array> | Float64Array;

/**
 * The rank of the rows×cols slice W whose Gram eigenvalues are `ev` (ascending; its entries
 * may be zeroed, or it may be replaced by the accurate route's σᵢ²). `matrix` gives W when it
 * is needed (a slice the Gram cannot decide); `accurate` may take ownership of what it is given.
 */
export async function resolveSlice(
  ev: Float64Array,
  rows: number,
  cols: number,
  matrix: () => Float64Array | Promise<Float64Array>,
  accurate: AccurateSolver,
): Promise<SliceSpectrum> {
  const M = Math.min(rows, cols);
  const N = Math.max(rows, cols);
  const lambdaMax = ev[ev.length - 1] ?? 0;
  if (!(lambdaMax > 0 && ev[0]! < GRAM_RESOLUTION * lambdaMax)) {
    return { ev, rank: numericalRank(ev, N), nearSingular: false };
  }
  if (N * M * M > MAX_ACCURATE_WORK) {
    // Clamp the Gram's negative noise; count what it can resolve.
    for (let i = 0; i < ev.length; i++) if (ev[i]! < 0) ev[i] = 0;
    let rank = 0;
    for (let i = 0; i < ev.length; i++) if (ev[i]! > lambdaMax * M * Number.EPSILON) rank++;
    return { ev, rank, nearSingular: true };
  }
  const W = await matrix();
  const zeros = structuralZeros(W, rows, cols);
  const decided = gramDecidedRank(ev, N, zeros);
  if (decided !== undefined) {
    // Every eigenvalue clears the Gram's error bound but the structural zeros, which are exact.
    for (let i = 0; i < zeros; i++) ev[i] = 0;
    return { ev, rank: decided, nearSingular: true };
  }
  const accurateEv = await accurate(W, rows, cols);
  return { ev: accurateEv, rank: numericalRank(accurateEv, N), nearSingular: true };
}
