/**
 * Maximum-likelihood fit of a truncated power law (power law with exponential cutoff) to a
 * tail x ≥ xmin (Clauset, Shalizi & Newman, SIAM Review 51, 2009, §3 and Table 1):
 *
 *     p(x) = Λ^{1−α} x^{−α} e^{−Λx} / Γ(1−α, Λ·xmin),   x ≥ xmin, Λ > 0, α ∈ ℝ.
 *
 * How, and why it is fast (WeightWatcher's fit through the `powerlaw` package evaluates
 * mpmath's incomplete gamma inside a Nelder–Mead search: 30–115 s a layer):
 *  - In y = x/xmin, u = ln y, z = y − 1 and λ = Λ·xmin the density is y^{−α}e^{−λz}/K(α, λ)
 *    with K = ∫₀^∞ exp((1−α)u − λ(eᵘ − 1)) du = e^{λ} λ^{α−1} Γ(1−α, λ). That is a
 *    two-parameter exponential family with sufficient statistics (u, z): the log-likelihood
 *    ℓ = −αΣu − λΣz − n ln K − n ln xmin is strictly concave in (α, λ), its gradient is
 *    n(E[u] − ū, E[z] − z̄) and its Hessian −n·Cov[(u, z)]. So Newton's method with a
 *    backtracking line search finds the unique maximum in a handful of steps, and every
 *    step costs one quadrature, independent of the tail size n.
 *  - K and the moments come from one adaptive Gauss–Kronrod quadrature of a log-concave
 *    integrand on the interval where it is within e^{−46} of its mode: no incomplete gamma of
 *    negative order (1 − α < 0 is common) and no cancellation near integer α.
 *  - The power law is the boundary Λ = 0 (α > 1). When E_PL[z] = 1/(α_PL − 2) ≤ z̄ the
 *    gradient points out of the domain there and, by concavity, the power law *is* the
 *    truncated power law's MLE; it is reported as such (`boundary: true`). The exponential is
 *    the interior point α = 0, so ℓ_TPL ≥ max(ℓ_PL, ℓ_EXP) always — checked, not assumed.
 */
import { integrate } from './quadrature.js';
import type { TailFitFailure } from '../schema/words.js';

export interface TruncatedPowerLawFit {
  readonly alpha: number;
  /** Cutoff rate Λ, in 1/(eigenvalue units). 0 when the fit is the power law itself. */
  readonly lambda: number;
  /** Total log-likelihood of the tail (densities in eigenvalue units). */
  readonly logLikelihood: number;
  /** Λ = 0: the truncated power law's maximum is the pure power law. */
  readonly boundary: boolean;
  /** Newton iterations used (0 on the boundary). */
  readonly iterations: number;
  readonly converged: boolean;
}

/** Log-density drop below the mode beyond which the integrand is ignored (e^{−46} ≈ 1e-20). */
const LOG_CUT = 46;
/** Newton stops when the predicted gain of the per-point log-likelihood is below this. */
const NEWTON_TOL = 1e-13;
const MAX_NEWTON = 100;

/** Tail summary in the scaled variables the fit works with. */
interface Scaled {
  readonly n: number;
  readonly xmin: number;
  /** Mean of u = ln(x/xmin) and of z = x/xmin − 1. */
  readonly uBar: number;
  readonly zBar: number;
  readonly zMax: number;
}

function scale(tail: Float64Array, xmin: number): Scaled {
  const n = tail.length;
  let su = 0;
  let sz = 0;
  let zMax = 0;
  for (let i = 0; i < n; i++) {
    const y = tail[i]! / xmin;
    su += Math.log(y);
    const z = (tail[i]! - xmin) / xmin;
    sz += z;
    if (z > zMax) zMax = z;
  }
  return { n, xmin, uBar: su / n, zBar: sz / n, zMax };
}

/** ln K and the first two moments of (u, z) under the scaled TPL(α, λ), λ > 0. */
export interface TplMoments {
  readonly logK: number;
  readonly meanU: number;
  readonly meanZ: number;
  readonly varU: number;
  readonly covUZ: number;
  readonly varZ: number;
}

/**
 * Moments of the scaled truncated power law (α, λ = Λ·xmin). With `logOnly` only ln K is
 * accurate (the line search needs nothing else). Exported for the tests' Fisher information.
 */
export function tplMoments(alpha: number, lambda: number, logOnly = false): TplMoments {
  const a1 = 1 - alpha;
  const g = (u: number) => a1 * u - lambda * Math.expm1(u);
  // Mode of the log-concave integrand: g'(u) = (1−α) − λeᵘ = 0.
  const uMode = a1 > lambda ? Math.log(a1 / lambda) : 0;
  const gMode = g(uMode);
  const target = gMode - LOG_CUT;
  const edge = (dir: 1 | -1): number => {
    // g is concave: walk out (doubling) until below target, then bisect to ~1e-3 of the width.
    let inside = uMode;
    let step = 1 / Math.max(1, Math.sqrt(Math.abs(a1)) + Math.sqrt(lambda));
    let out = uMode + dir * step;
    for (let k = 0; k < 200; k++) {
      if (dir < 0 && out <= 0) return 0;
      if (g(out) < target) break;
      inside = out;
      step *= 2;
      out = uMode + dir * step;
    }
    if (dir < 0 && out < 0) out = 0;
    for (let k = 0; k < 12; k++) {
      const mid = 0.5 * (inside + out);
      if (g(mid) < target) out = mid;
      else inside = mid;
    }
    return out;
  };
  const lo = uMode > 0 ? edge(-1) : 0;
  const hi = edge(1);
  const dim = logOnly ? 1 : 6;
  const { value } = integrate(
    (u, out) => {
      const z = Math.expm1(u);
      const h = Math.exp(g(u) - gMode);
      out[0] = h;
      if (dim > 1) {
        out[1] = u * h;
        out[2] = z * h;
        out[3] = u * u * h;
        out[4] = u * z * h;
        out[5] = z * z * h;
      }
    },
    lo,
    hi,
    dim,
    { relTol: 1e-14, initialPieces: 8 },
  );
  const k0 = value[0]!;
  const logK = gMode + Math.log(k0);
  if (logOnly) return { logK, meanU: NaN, meanZ: NaN, varU: NaN, covUZ: NaN, varZ: NaN };
  const meanU = value[1]! / k0;
  const meanZ = value[2]! / k0;
  return {
    logK,
    meanU,
    meanZ,
    varU: Math.max(0, value[3]! / k0 - meanU * meanU),
    covUZ: value[4]! / k0 - meanU * meanZ,
    varZ: Math.max(0, value[5]! / k0 - meanZ * meanZ),
  };
}

/** Per-point log-likelihood in the scaled variables (add −ln xmin for eigenvalue units). */
function scaledLogLik(s: Scaled, alpha: number, lambda: number, logK: number): number {
  return -alpha * s.uBar - lambda * s.zBar - logK;
}

/**
 * Fits (α, Λ) to the tail (ascending or not; every value ≥ xmin). `powerLawAlpha` is the
 * power law's MLE on the same tail, the boundary candidate.
 */
export function fitTruncatedPowerLaw(
  tail: Float64Array,
  xmin: number,
  powerLawAlpha: number,
): ({ status: 'ok' } & TruncatedPowerLawFit) | ({ status: 'failed' } & TailFitFailure) {
  if (tail.length < 2) return { status: 'failed', code: 'short-tail', size: tail.length };
  if (!(xmin > 0)) return { status: 'failed', code: 'xmin-not-positive' };
  const s = scale(tail, xmin);
  if (!(s.zMax > 0)) return { status: 'failed', code: 'all-equal' };
  const shift = -Math.log(xmin);
  // The power law at Λ = 0, in scaled units: K = 1/(α−1).
  const plScaled = alphaIsPl(powerLawAlpha) ? Math.log(powerLawAlpha - 1) - powerLawAlpha * s.uBar : -Infinity;
  const boundaryFit = (iterations: number, converged: boolean) => ({
    status: 'ok' as const,
    alpha: powerLawAlpha,
    lambda: 0,
    logLikelihood: s.n * (plScaled + shift),
    boundary: true,
    iterations,
    converged,
  });
  // KKT at the boundary: ∂ℓ/∂λ = n(E_PL[z] − z̄) ≤ 0 means the power law is the maximum.
  if (alphaIsPl(powerLawAlpha) && powerLawAlpha > 2 && 1 / (powerLawAlpha - 2) <= s.zBar) return boundaryFit(0, true);

  const f = (alpha: number, lambda: number) => scaledLogLik(s, alpha, lambda, tplMoments(alpha, lambda, true).logK);
  // Start from the best of: near the power law, the exponential (α = 0, λ = 1/z̄), between.
  const lamExp = 1 / s.zBar;
  const starts: [number, number][] = [[0, lamExp]];
  if (alphaIsPl(powerLawAlpha)) starts.push([powerLawAlpha, 1e-3 * lamExp], [powerLawAlpha / 2, 0.5 * lamExp]);
  let alpha = 0;
  let lambda = lamExp;
  let value = -Infinity;
  for (const [a, l] of starts) {
    const v = f(a, l);
    if (v > value) [alpha, lambda, value] = [a, l, v];
  }
  // Below this λ every e^{−λz} on the data is within 1e-12 of 1: the power law, numerically.
  const lambdaFloor = 1e-12 / Math.max(1, s.zMax);
  let converged = false;
  let it = 0;
  for (; it < MAX_NEWTON; it++) {
    const m = tplMoments(alpha, lambda);
    value = scaledLogLik(s, alpha, lambda, m.logK);
    const gA = m.meanU - s.uBar;
    const gL = m.meanZ - s.zBar;
    // Newton step Δ = Cov⁻¹ ∇ (the Hessian is −Cov); fall back to the gradient if Cov is singular.
    const det = m.varU * m.varZ - m.covUZ * m.covUZ;
    let dA: number;
    let dL: number;
    if (det > 1e-300 && Number.isFinite(det)) {
      dA = (m.varZ * gA - m.covUZ * gL) / det;
      dL = (m.varU * gL - m.covUZ * gA) / det;
    } else {
      dA = gA;
      dL = gL;
    }
    const slope = gA * dA + gL * dL;
    if (!Number.isFinite(slope)) break;
    if (slope / 2 < NEWTON_TOL) {
      converged = true;
      break;
    }
    let t = 1;
    if (lambda + dL <= 0) t = (0.9 * lambda) / -dL;
    let accepted = false;
    for (let k = 0; k < 60; k++, t /= 2) {
      const a2 = alpha + t * dA;
      const l2 = lambda + t * dL;
      if (!(l2 > 0)) continue;
      const v2 = f(a2, l2);
      if (v2 >= value + 1e-4 * t * slope) {
        alpha = a2;
        lambda = l2;
        value = v2;
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      // No ascent along Newton's direction within rounding: we are at the maximum.
      converged = slope / 2 < 1e-9;
      break;
    }
    if (lambda < lambdaFloor) break;
  }
  if (!Number.isFinite(value)) return { status: 'failed', code: 'likelihood-not-finite' };
  // The boundary (pure power law) is part of the family: never report less than it.
  if (lambda < lambdaFloor || plScaled >= value) return boundaryFit(it, converged || lambda < lambdaFloor);
  return {
    status: 'ok',
    alpha,
    lambda: lambda / xmin,
    logLikelihood: s.n * (value + shift),
    boundary: false,
    iterations: it,
    converged,
  };
}

function alphaIsPl(alpha: number): boolean {
  return Number.isFinite(alpha) && alpha > 1;
}

/** Pointwise log-likelihoods of the fitted TPL, in eigenvalue units. */
export function truncatedPowerLawLogLikelihoods(
  tail: Float64Array,
  xmin: number,
  fit: TruncatedPowerLawFit,
): Float64Array {
  const out = new Float64Array(tail.length);
  const lambdaScaled = fit.lambda * xmin;
  const logK = fit.boundary ? -Math.log(fit.alpha - 1) : tplMoments(fit.alpha, lambdaScaled, true).logK;
  const shift = -Math.log(xmin);
  for (let i = 0; i < tail.length; i++) {
    const y = tail[i]! / xmin;
    out[i] = -fit.alpha * Math.log(y) - lambdaScaled * (y - 1) - logK + shift;
  }
  return out;
}
