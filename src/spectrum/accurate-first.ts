/**
 * A slice resolved (slice-rank.ts resolveSlice) with the accurate route instead of the Gram
 * route's eigenvalues where it almost surely needs that route: when W has a nearly dead row
 * or column (issue 14, item 3). Trained conv layers keep filters whose weights decayed to
 * subnormal floats instead of zero (PP-OCRv4 rec: rows of norm² ~1e-78 of the largest): such a
 * slice's smallest Gram eigenvalue is rounding noise, the Gram route cannot decide its rank,
 * and resolveSlice runs the accurate route after it. Here the Gram product's diagonal (the
 * short side's squared norms, free) and, for a square W, its rows' squared norms (read by the
 * one-stage path from the chunks it copies, gram.as.ts rowSquares; the onnxruntime route has
 * the diagonal only) show such a vector before the reduction: the accurate route runs
 * instead, and its σᵢ² prove what
 * resolveSlice would have done. A 480² slice then skips the Gram route's tridiagonal
 * reduction and QL (~18 ms, beside the accurate route's ~30). Where the proof fails, the Gram
 * route runs again in full and resolveSlice decides, reusing these σᵢ² (the route is
 * deterministic): the answer is resolveSlice's in every case.
 *
 * The proof (`accurateSettles`) uses the bound resolveSlice itself relies on (gram-rank.ts):
 * the Gram route's eigenvalues are λ̂ᵢ = σᵢ² + δᵢ with |δᵢ| ≤ B₀ = (N·Σσ² + M·σ²_max)·u
 * (u = ε/2), and gramBound takes twice that. Then, with z the structural zeros of W:
 *  - resolveSlice goes on past its first test (λ̂₀ < GRAM_RESOLUTION·λ̂_max) when
 *    σ₀² + B₀ < GRAM_RESOLUTION·(σ²_max − B₀), which 3·B₀ ≤ GRAM_RESOLUTION·σ²_max and
 *    σ₀² ≤ B₀/4 ensure;
 *  - gramDecidedRank is undefined when λ̂_z ≤ gramBound(λ̂) + 2·tol², and gramBound(λ̂) ≥
 *    2·B₀·(1 − O(N·M·u)) (Σ|λ̂| and λ̂_max are within M·B₀ and B₀ of Σσ² and σ²_max), while
 *    λ̂_z ≤ σ²_z + B₀: so σ²_z ≤ B₀/4 settles it, with a margin of more than B₀/2 for the
 *    accurate route's own error (O(ε·σ_max) in σ, far below B₀ in σ²).
 * resolveSlice then returns the accurate route's σᵢ² and their numericalRank: this module's answer.
 */
import { numericalRank } from '../fit/metrics.js';
import type { GramStop } from './eigen.js';
import { structuralZeros } from './gram-rank.js';
import {
  type AccurateSolver,
  GRAM_RESOLUTION,
  MAX_ACCURATE_WORK,
  resolveSlice,
  type SliceSpectrum,
} from './slice-rank.js';

/** Unit roundoff of float64. */
const U = Number.EPSILON / 2;

/**
 * The Gram route of a slice, stopped after the Gram product (undefined) when `stop` says so;
 * without `stop`, in full.
 */
export type StoppableGramRoute = (
  stop: GramStop | undefined,
) => Promise<Float64Array | undefined> | Float64Array | undefined;

/**
 * resolveSlice on the rows×cols slice W, whose Gram route is `gram`, with the accurate route
 * first where W has a nearly dead vector (see the header). `accurate` is the solver resolveSlice
 * is given; `first` the one run instead of the Gram route (default `accurate`): the same
 * function, without what only makes sense after it (hand-back.ts). Neither may change W.
 */
export async function resolveSliceOf(
  W: Float64Array,
  rows: number,
  cols: number,
  gram: StoppableGramRoute,
  accurate: AccurateSolver,
  first: AccurateSolver = accurate,
): Promise<SliceSpectrum> {
  const N = Math.max(rows, cols);
  const M = Math.min(rows, cols);
  let ev = await gram(N * M * M <= MAX_ACCURATE_WORK ? stopFor(N) : undefined);
  let sv: Float64Array | undefined;
  if (ev === undefined) {
    sv = await first(W, rows, cols);
    if (accurateSettles(sv, N, structuralZeros(W, rows, cols))) {
      return { ev: sv, rank: numericalRank(sv, N), nearSingular: true };
    }
    ev = (await gram(undefined))!;
  }
  const known = sv;
  return resolveSlice(ev, rows, cols, () => W, known ? () => known : accurate);
}

/**
 * Whether the Gram product's diagonal (W's short side's squared norms) or, when W is square
 * and the route read them, its rows' squared norms show a vector that is not zero but of norm²
 * at most B₀/4, with the largest far enough above the Gram's noise (the first test of the
 * header). σ_M is at most the norm of any vector on the short side (either side when square),
 * so the smallest σ² is then below B₀/4 and, unless W has structural zeros, accurateSettles holds.
 */
function stopFor(N: number): GramStop {
  return (diagonal, rowNorms) => {
    const M = diagonal.length;
    let sum = 0;
    let largest = 0;
    for (let i = 0; i < M; i++) {
      sum += diagonal[i]!;
      largest = Math.max(largest, diagonal[i]!);
    }
    if (rowNorms) for (let i = 0; i < rowNorms.length; i++) largest = Math.max(largest, rowNorms[i]!);
    if (!(Number.isFinite(sum) && largest > 0)) return false;
    // B₀ from Σσ² = trace and the largest norm² ≤ σ²_max: a lower bound on B₀. The first
    // test with it implies the test with σ²_max (3·M·u < GRAM_RESOLUTION: raising the
    // largest to σ²_max adds less to the left than to the right).
    const b0 = (N * sum + M * largest) * U;
    if (!(3 * b0 <= GRAM_RESOLUTION * largest)) return false;
    return nearlyDead(diagonal, b0 / 4) || (rowNorms !== undefined && nearlyDead(rowNorms, b0 / 4));
  };
}

/** Whether some squared norm is positive and at most `limit`. */
function nearlyDead(norms: Float64Array, limit: number): boolean {
  for (let i = 0; i < norms.length; i++) if (norms[i]! > 0 && norms[i]! <= limit) return true;
  return false;
}

/**
 * Whether the accurate route's ascending σᵢ² (`sv`) of a slice with `zeros` structural zeros
 * prove that resolveSlice, given the Gram route's eigenvalues, would have run the accurate
 * route (see the header).
 */
export function accurateSettles(sv: Float64Array, N: number, zeros: number): boolean {
  const M = sv.length;
  if (zeros >= M) return false;
  const largest = sv[M - 1]!;
  if (!(largest > 0)) return false;
  let sum = 0;
  for (let i = 0; i < M; i++) sum += Math.abs(sv[i]!);
  const b0 = (N * sum + M * largest) * U;
  return 3 * b0 <= GRAM_RESOLUTION * largest && sv[zeros]! <= b0 / 4;
}
