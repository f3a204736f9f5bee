/**
 * Spectral metrics of one layer's ESD (DESIGN.md §3.3), computed from all eigenvalues,
 * zeros included, with WeightWatcher's conventions so that numbers compare directly.
 */
import type { LayerMetrics } from '../schema/index.js';

/** Relative-rank tolerance: σ > σ_max·N·ε₆₄ counts as non-zero (numpy's matrix_rank). */
export function rankTolerance(sigmaMax: number, N: number): number {
  return sigmaMax * N * Number.EPSILON;
}

/** Numerical rank of one matrix from its ascending eigenvalues λ = σ² and its larger dimension N. */
export function numericalRank(evals: Float64Array, N: number): number {
  const n = evals.length;
  if (n === 0) return 0;
  const sigmaMax = Math.sqrt(Math.max(0, evals[n - 1]!));
  const tol = rankTolerance(sigmaMax, N);
  let r = 0;
  for (let i = 0; i < n; i++) if (Math.sqrt(Math.max(0, evals[i]!)) > tol) r++;
  return r;
}

/**
 * Matrix entropy: −Σ pᵢ ln pᵢ / ln R with pᵢ = λᵢ/Σλ + 1e-10, where R is the numerical
 * rank. The 1e-10 is the reference tool's (it keeps ln finite at λ = 0); it shifts the value
 * by ~5e-8 relative, so it is kept for parity.
 */
export function matrixEntropy(evals: Float64Array, rank: number): number {
  let sum = 0;
  for (let i = 0; i < evals.length; i++) sum += evals[i]!;
  if (!(sum > 0) || rank <= 1) return 0;
  let h = 0;
  for (let i = 0; i < evals.length; i++) {
    const p = evals[i]! / sum + 1e-10;
    h -= p * Math.log(p);
  }
  return h / Math.log(rank);
}

/**
 * All metrics. `rank` is the numerical rank summed over slices (computed per slice by the
 * caller, since the tolerance is relative to each slice's σ_max); `M` is M·slices.
 */
export function computeMetrics(
  evals: Float64Array,
  opts: { rank: number; totalEvals: number; alpha: number | null },
): LayerMetrics {
  const n = evals.length;
  const lambdaMax = n > 0 ? evals[n - 1]! : 0;
  let norm = 0;
  for (let i = 0; i < n; i++) norm += evals[i]!;
  const alpha = opts.alpha;
  let alphaNorm = 0;
  if (alpha !== null) for (let i = 0; i < n; i++) alphaNorm += Math.pow(Math.max(0, evals[i]!), alpha);
  // λ^α overflows (or underflows) for huge (tiny) spectra: then log₁₀ Σλ^α is taken as
  // α·log₁₀ λ_max + log₁₀ Σ(λ/λ_max)^α, equal in exact arithmetic (other layers unchanged).
  let logAlphaNorm = alpha === null ? null : Math.log10(alphaNorm);
  if (alpha !== null && !Number.isFinite(logAlphaNorm) && lambdaMax > 0) {
    let rel = 0;
    for (let i = 0; i < n; i++) rel += Math.pow(Math.max(0, evals[i]!) / lambdaMax, alpha);
    logAlphaNorm = alpha * Math.log10(lambdaMax) + Math.log10(rel);
  }
  return {
    lambdaMax,
    norm,
    logNorm: Math.log10(norm),
    logSpectralNorm: Math.log10(lambdaMax),
    stableRank: norm / lambdaMax,
    entropy: matrixEntropy(evals, opts.rank),
    rank: opts.rank,
    rankLoss: opts.totalEvals - opts.rank,
    alphaWeighted: alpha === null ? null : alpha * Math.log10(lambdaMax),
    logAlphaNorm,
  };
}
