/**
 * Localization metrics of a unit vector v of length M (Martin & Mahoney, JMLR 22, 2021,
 * §5 and WeightWatcher's RMT_Util, after Bouchaud & Potters' treatment of eigenvector
 * localization): a delocalized ("random") eigenvector spreads its mass over all coordinates,
 * a localized one puts it on a few — for a weight matrix, a few input (or output) units.
 *  - participation ratio PR = (Σvᵢ²)² / (M Σvᵢ⁴) ∈ [1/M, 1]: the fraction of coordinates
 *    the vector effectively occupies (1/M: one coordinate; k/M: spread evenly on k).
 *    Random unit vectors: E[Σvᵢ⁴] = 3/(M+2), so PR ≈ 1/3. (WeightWatcher's
 *    participation_ratio is ‖v‖₂/‖v‖₄ = (M·PR)^{1/4}.)
 *  - localization ratio LR = ‖v‖₁ / (M‖v‖∞) ∈ [1/M, 1]: 1 for a flat vector, 1/M for one
 *    coordinate; ≈ √(2/π)/√(2 ln M) for random vectors. (WeightWatcher's
 *    localization_ratio is ‖v‖₁/‖v‖∞ = M·LR.)
 *  - vector entropy H = −Σ pᵢ ln pᵢ / ln M with pᵢ = vᵢ²/Σvⱼ² ∈ [0, 1]: 1 flat, 0 one
 *    coordinate; random vectors: (ψ(M/2+1) − ψ(3/2))/ln M ≈ 1 − 0.73/ln M (Porter–Thomas).
 * All three are invariant to the sign and scale of v.
 */
import { createRng } from '../random.js';

export interface VectorMetrics {
  readonly participationRatio: number;
  readonly localizationRatio: number;
  readonly entropy: number;
}

export function vectorMetrics(v: Float64Array): VectorMetrics {
  const M = v.length;
  let s2 = 0;
  let s4 = 0;
  let l1 = 0;
  let linf = 0;
  for (let i = 0; i < M; i++) {
    const x = v[i]!;
    const a = Math.abs(x);
    const x2 = x * x;
    s2 += x2;
    s4 += x2 * x2;
    l1 += a;
    if (a > linf) linf = a;
  }
  if (!(s2 > 0)) return { participationRatio: NaN, localizationRatio: NaN, entropy: NaN };
  let h = 0;
  for (let i = 0; i < M; i++) {
    const p = (v[i]! * v[i]!) / s2;
    if (p > 0) h -= p * Math.log(p);
  }
  return {
    participationRatio: (s2 * s2) / (M * s4),
    localizationRatio: l1 / (M * linf),
    entropy: M > 1 ? h / Math.log(M) : 1,
  };
}

/** Vectors averaged for the random (delocalized) reference values. */
export const RANDOM_REFERENCE_VECTORS = 256;

/**
 * The three metrics averaged over RANDOM_REFERENCE_VECTORS seeded Gaussian (Haar-distributed
 * once normalised) vectors of length M: what a delocalized eigenvector of this size scores.
 */
export function randomReference(M: number): VectorMetrics {
  const rng = createRng(0x5eed);
  const v = new Float64Array(M);
  let pr = 0;
  let lr = 0;
  let h = 0;
  for (let k = 0; k < RANDOM_REFERENCE_VECTORS; k++) {
    for (let i = 0; i < M; i++) v[i] = rng.nextGaussian();
    const m = vectorMetrics(v);
    pr += m.participationRatio;
    lr += m.localizationRatio;
    h += m.entropy;
  }
  const n = RANDOM_REFERENCE_VECTORS;
  return { participationRatio: pr / n, localizationRatio: lr / n, entropy: h / n };
}
