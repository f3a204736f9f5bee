/**
 * Hill's estimator of the tail exponent with xmin at the median, as TempBalance (Zhou et al.,
 * *Temperature Balancing, Layer-wise Weight Analysis, and Neural Network Training*, NeurIPS
 * 2023), AlphaPruning (Lu et al., NeurIPS 2024) and FARMS use it: with the eigenvalues
 * λ₀ ≤ … ≤ λₙ₋₁ and i = ⌊n/2⌋, α = 1 + (n − i) / Σ_{j ≥ i} ln(λⱼ/λᵢ) (Hill 1975, the
 * maximum-likelihood exponent of a power law above a fixed xmin = λᵢ). No xmin search and no
 * goodness of fit: cheap and stable, which is why layer-wise schedules use it, but it is not
 * the Clauset–Shalizi–Newman fit of `powerLaw`.
 */

import type { HillEstimate } from '../schema/layer-result.js';

/** Hill α of ascending eigenvalues (at least one). */
export function hillAlpha(evals: Float64Array): HillEstimate {
  const n = evals.length;
  const i = Math.floor(n / 2);
  const xmin = evals[i] ?? 0;
  if (!(xmin > 0)) return { alpha: null, xmin: Math.max(0, xmin) };
  let sum = 0;
  for (let j = i; j < n; j++) sum += Math.log(evals[j]! / xmin);
  const alpha = 1 + (n - i) / sum;
  return { alpha: sum > 0 && Number.isFinite(alpha) ? alpha : null, xmin };
}
