/**
 * Whether a slice's Gram eigenvalues already decide its numerical rank #(σ > σ_max·N·ε₆₄)
 * (DESIGN.md §3.3), so that the accurate (SVD) route is needed only when an eigenvalue may
 * lie near the threshold.
 *
 * The Gram route's eigenvalues are λ̂ᵢ = σᵢ² + δᵢ with
 *   |δᵢ| ≤ γ_N·Σλ + p(M)·u·λ_max,
 * the first term the error of forming WᵀW in floating point, |ΔG| ≤ γ_N·|W|ᵀ|W| with
 * ‖|W|ᵀ|W|‖₂ ≤ ‖W‖²_F = Σλ (Higham, Accuracy and Stability, Thm 3.5; any summation order,
 * so onnxruntime's blocked GEMMs too), the second the backward error of the symmetric
 * eigensolver (LAPACK Users' Guide §4.7: p(M)·ε·‖G‖ with "p modest", taken here as M).
 * GRAM_BOUND below takes ε = 2u for u and adds both. An eigenvalue λ̂ᵢ > GRAM_BOUND + tol²
 * therefore has σᵢ > tol, whatever the rounding.
 *
 * The reverse (σᵢ ≤ tol) cannot be read off the Gram, whose noise (~1e-16·λ_max at best)
 * is far above tol² ≈ (N·ε)²·λ_max, except for exact structure: every row or column of W
 * that is exactly zero (a dead filter) removes one dimension, and W's singular values are
 * those of W without them plus exact zeros (permute the zero rows and columns last: W is
 * W′ ⊕ 0). So when, after those structural zeros, every Gram eigenvalue clears the bound,
 * the rank is min(rows′, cols′) exactly, and is what the accurate route would count (its
 * absolute error O(ε·σ_max) is far below tol).
 */
import { rankTolerance } from '../fit/metrics.js';

/** How many of the ascending eigenvalues of W's Gram matrix are exactly zero by structure. */
export function structuralZeros(W: Float64Array, rows: number, cols: number): number {
  const liveCol = new Uint8Array(cols);
  const liveRows = markLive(W, rows, cols, liveCol);
  let liveCols = 0;
  for (let j = 0; j < cols; j++) liveCols += liveCol[j]!;
  return Math.min(rows, cols) - Math.min(liveRows, liveCols);
}

/**
 * W's rows with a non-zero entry, counted, and its columns with one, marked in liveCol. A
 * function of its own: V8 compiles this loop while it runs (OSR) on a first large W, and the
 * code after it, not yet run then, went back to the interpreter on each later call, the loop
 * with it until compiled again (ISNet fp16: up to 25 such deoptimisations in a run,
 * `node --trace-deopt`).
 */
function markLive(W: Float64Array, rows: number, cols: number, liveCol: Uint8Array): number {
  let liveRows = 0;
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    let live = false;
    for (let j = 0; j < cols; j++) {
      if (W[row + j] !== 0) {
        live = true;
        liveCol[j] = 1;
      }
    }
    if (live) liveRows++;
  }
  return liveRows;
}

/** The bound on |λ̂ᵢ − σᵢ²| of the Gram route (see the header), from its own eigenvalues. */
export function gramBound(ev: Float64Array, N: number): number {
  const M = ev.length;
  let sum = 0;
  for (let i = 0; i < M; i++) sum += Math.abs(ev[i]!);
  const lambdaMax = ev[M - 1] ?? 0;
  return (N * sum + M * lambdaMax) * Number.EPSILON;
}

/**
 * The numerical rank of W from its ascending Gram eigenvalues `ev` when they decide it,
 * given `zeros` = structuralZeros(W); undefined when some eigenvalue beyond the structural
 * zeros may be at or below the threshold (then only the accurate route can tell).
 */
export function gramDecidedRank(ev: Float64Array, N: number, zeros: number): number | undefined {
  const M = ev.length;
  if (zeros >= M) return 0;
  const lambdaMax = ev[M - 1]!;
  if (!(lambdaMax > 0)) return undefined;
  // σ_max itself is known to relative ε·M from the Gram; the margin below dwarfs that.
  const tol = rankTolerance(Math.sqrt(lambdaMax), N);
  const floor = gramBound(ev, N) + 2 * tol * tol;
  return ev[zeros]! > floor ? M - zeros : undefined;
}
