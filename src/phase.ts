/**
 * The 5+1 phases of training (Martin & Mahoney, *Implicit Self-Regularization in Deep
 * Neural Networks*, JMLR 22, 2021, §5; DESIGN.md §3.6), decided from the spectrum:
 *
 *  - rank-collapse: a large share of the eigenvalues is zero at the precision the matrix is
 *    stored in (float32 rounding leaves "zero" singular values near 1e-8·σ_max, not 0);
 *  - random-like:   nothing beyond the MP edge λ₊ + OUTLIER_TW·TW;
 *  - bleeding-out:  MP describes the bulk, a few outliers just above the edge, none yet
 *                   separated (implied signal strength θ/θ_c < SEPARATED_STRENGTH);
 *  - bulk+spikes:   MP describes the bulk, a few outliers, at least one well separated;
 *  - bulk-decay:    MP describes the bulk but many outliers leave its edge in a continuum;
 *                   or MP fails and the tail is not a heavy one (α ≥ HEAVY_ALPHA, or only a
 *                   few outliers);
 *  - heavy-tailed:  MP does not describe the ESD (bulk KS poor, no MP scale fits, or a
 *                   scale-free tail spanning decades), the tail is a continuum of many
 *                   eigenvalues (many outliers, a power-law tail over ≥ 25 % of the
 *                   spectrum, or no MP scale at all) and a power law with α < 4.
 *
 * First match wins, in that order. Outlier positions are turned into signal strengths by
 * inverting the BBP map λ = (1 + t)(y + t)/t, t = θ² (in units of the fitted σ², y = 1/Q):
 * this is what makes "just above" and "well above" the same statement at every Q.
 * Every threshold is a named constant in phase-thresholds.ts.
 */
import type { DType } from './types.js';
import type { LayerMetrics, MpOk, MpResult, Phase, PhaseName, PhaseRule } from './schema/index.js';
import type { PowerLawFitResult } from './fit/powerlaw.js';
import { mpCdf, mpCdfTable } from './fit/mp.js';
import {
  FEW_OUTLIERS_FRACTION,
  FEW_OUTLIERS_MIN,
  HEAVY_ALPHA,
  HEAVY_SPAN,
  HEAVY_TAIL_MIN_FRACTION,
  KS_POOR,
  KS_POOR_SMALL_SAMPLE,
  OUTLIER_TW,
  RANK_COLLAPSE_MIN_ZERO_FRACTION,
  ROUNDING_FLOOR_FACTOR,
  SEPARATED_STRENGTH,
  UNIT_ROUNDOFF,
  VERY_HEAVY_ALPHA,
} from './phase-thresholds.js';

export interface PhaseInput {
  /** Pooled ESD, ascending (conv slices already scaled). */
  readonly evals: Float64Array;
  readonly N: number;
  readonly M: number;
  readonly Q: number;
  readonly slices: number;
  /** Storage dtype: sets the rounding floor below which eigenvalues are zero. */
  readonly dtype: DType;
  readonly metrics: LayerMetrics;
  readonly powerLaw: PowerLawFitResult;
  readonly mp: MpResult;
  /**
   * Typical entry magnitude of one slice (robustEntryRms, times √eigenScale): sets the
   * rounding floor. Without it the floor is estimated from Σλ, which a few huge entries
   * (very heavy tails) inflate.
   */
  readonly entryRms?: number;
}

/** The numbers the decision is made from (exported for calibration and tests). */
export interface PhaseFeatures {
  readonly numEvals: number;
  /** Singular values at or below this are zero at storage precision (σ units, not λ). */
  readonly zeroFloor: number;
  /** Eigenvalues below the floor, or below float64 resolution (rank loss), whichever is more. */
  readonly zeroCount: number;
  readonly zeroFraction: number;
  /** The share MP (Q, mean eigenvalue of this layer) predicts below the floor. */
  readonly expectedZeroFraction: number;
  /** Rank loss at float64 resolution (metrics.rankLoss) and λ_max, for the reason. */
  readonly rankLoss: number;
  readonly lambdaMax: number;
  /** Present when the MP fit succeeded. */
  readonly edge?: EdgeFeatures;
  /** Power-law α, D and tail size, when that fit succeeded. */
  readonly alpha?: number;
  readonly D?: number;
  readonly numTail?: number;
}

export interface EdgeFeatures {
  /** λ₊ + OUTLIER_TW·TW, original units. */
  readonly threshold: number;
  /** Eigenvalues above the threshold, and how many of them imply θ < / ≥ SEPARATED_STRENGTH·θ_c. */
  readonly outliers: number;
  readonly near: number;
  readonly far: number;
  /** The "few" outliers limit for this layer. */
  readonly few: number;
  /** λ_max/λ₊ and λ_max's distance above λ₊ in TW. */
  readonly topRatio: number;
  readonly topTW: number;
  /** θ/θ_c implied by λ_max (1 when inside the bulk). */
  readonly topStrength: number;
  /** Share of Σλ carried by the outliers. */
  readonly outlierMass: number;
  readonly bulkKS: number;
  readonly ksLimit: number;
  readonly bulkFitsMp: boolean;
  /** More than `few` outliers spanning λ_max/λ₊ ≥ HEAVY_SPAN. */
  readonly scaleFree: boolean;
  readonly atBound?: 'lower' | 'upper';
}

export function phaseFeatures(input: PhaseInput): PhaseFeatures {
  const { evals, N, M, slices, dtype, powerLaw: pl, mp } = input;
  const n = evals.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.max(0, evals[i]!);

  // Rounding floor of one slice: u·RMS(W)·(√N + √M), RMS(W)² ≈ Σλ / (slices·N·M) when no
  // robust entry RMS is given.
  const u = UNIT_ROUNDOFF[dtype] ?? 2 ** -53;
  const rms = input.entryRms ?? Math.sqrt(sum / Math.max(1, slices * N * M));
  const zeroFloor = ROUNDING_FLOOR_FACTOR * u * rms * (Math.sqrt(N) + Math.sqrt(M));
  const floorLambda = zeroFloor * zeroFloor;
  let belowFloor = 0;
  for (let i = 0; i < n && evals[i]! <= floorLambda; i++) belowFloor++;
  // Below the solver's own resolution (float64 rank, DESIGN.md §3.3) counts as zero too.
  const zeroCount = Math.max(belowFloor, input.metrics.rankLoss);
  // What MP with the layer's own scale (mean eigenvalue = σ²) puts below the floor.
  const expectedZeroFraction = sum > 0 && n > 0 ? mpCdf(mpCdfTable(input.Q, 512), (floorLambda * n) / sum) : 0;

  const plFields = pl.status === 'ok' ? { alpha: pl.alpha, D: pl.D, numTail: pl.numTail } : {};
  const base = {
    numEvals: n,
    zeroFloor,
    zeroCount,
    zeroFraction: n > 0 ? zeroCount / n : 1,
    expectedZeroFraction,
    rankLoss: input.metrics.rankLoss,
    lambdaMax: input.metrics.lambdaMax,
    ...plFields,
  };
  if (mp.status !== 'ok' || n === 0) return base;
  return { ...base, edge: edgeFeatures(evals, sum, input.Q, mp) };
}

function edgeFeatures(evals: Float64Array, sum: number, Q: number, mp: MpOk): EdgeFeatures {
  const n = evals.length;
  const lambdaMax = evals[n - 1]!;
  const threshold = mp.lambdaPlus + OUTLIER_TW * mp.twWidth;
  const y = 1 / Q;
  // σ² in original units: eigenvalue positions divided by it are in MP(1, y) units.
  const sigma2 = (mp.sigma * mp.sigma) / mp.scale;
  let outliers = 0;
  let far = 0;
  let mass = 0;
  for (let i = n - 1; i >= 0 && evals[i]! > threshold; i--) {
    outliers++;
    mass += evals[i]!;
    if (spikeStrength(evals[i]! / sigma2, y) >= SEPARATED_STRENGTH) far++;
  }
  const few = Math.max(FEW_OUTLIERS_MIN, Math.round(FEW_OUTLIERS_FRACTION * n));
  const ksLimit = Math.max(KS_POOR, KS_POOR_SMALL_SAMPLE / Math.sqrt(Math.max(1, mp.bulkSize)));
  const topRatio = lambdaMax / mp.lambdaPlus;
  const bulkFitsMp = mp.atBound === undefined && mp.bulkKS < ksLimit;
  return {
    threshold,
    outliers,
    near: outliers - far,
    far,
    few,
    topRatio,
    topTW: (lambdaMax - mp.lambdaPlus) / mp.twWidth,
    topStrength: spikeStrength(lambdaMax / sigma2, y),
    outlierMass: sum > 0 ? mass / sum : 0,
    bulkKS: mp.bulkKS,
    ksLimit,
    bulkFitsMp,
    scaleFree: outliers > few && topRatio >= HEAVY_SPAN,
    ...(mp.atBound ? { atBound: mp.atBound } : {}),
  };
}

/** Entries sampled to find the clipping level of robustEntryRms. */
const RMS_SAMPLE = 65536;
/** robustEntryRms clips entries at this quantile of |w|. */
const RMS_CLIP_QUANTILE = 0.999;

/**
 * RMS of the entries with |w| clipped at its 99.9th percentile (from a strided sample).
 * Rounding to storage precision perturbs each entry by ≲ u·|w|; the perturbation's bulk of
 * singular values, which is what can lift many "zero" singular values, scales with the RMS
 * of the typical entries. A handful of huge entries (heavy tails) only add a few
 * perturbation directions, so they must not set the floor: clipping keeps them out, and
 * leaves the RMS of Gaussian-like or sparse matrices unchanged.
 */
export function robustEntryRms(values: Float64Array): number {
  const n = values.length;
  if (n === 0) return 0;
  const step = Math.max(1, Math.floor(n / RMS_SAMPLE));
  const sample: number[] = [];
  for (let i = 0; i < n; i += step) sample.push(Math.abs(values[i]!));
  sample.sort((a, b) => a - b);
  const clip = sample[Math.min(sample.length - 1, Math.floor(RMS_CLIP_QUANTILE * sample.length))]!;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.min(Math.abs(values[i]!), clip);
    s += a * a;
  }
  return Math.sqrt(s / n);
}

/**
 * θ/θ_c of a rank-one signal whose outlier sits at ℓ (in units of σ², ratio y): solves
 * ℓ = (1 + t)(y + t)/t for t = θ² on the supercritical branch, θ_c = y^{1/4}. Returns 1 at
 * or inside the edge (1 + √y)².
 */
export function spikeStrength(ell: number, y: number): number {
  const b = ell - 1 - y;
  const disc = b * b - 4 * y;
  if (!(b > 0) || !(disc > 0)) return 1;
  const t = (b + Math.sqrt(disc)) / 2;
  return Math.max(1, Math.sqrt(t) / Math.pow(y, 0.25));
}

export function classifyPhase(input: PhaseInput): Phase {
  return decide(phaseFeatures(input), input);
}

/** The decision table, first match wins (see the module comment). */
export function decide(f: PhaseFeatures, input: Pick<PhaseInput, 'dtype' | 'mp'>): Phase {
  const phase = (name: PhaseName, rule: PhaseRule, ...parts: string[]): Phase => ({
    name,
    rule,
    reason: parts.filter((p) => p !== '').join('; '),
  });
  const alphaText =
    f.alpha === undefined ? 'no power-law fit' : `α ${fmt(f.alpha)} (D ${fmt(f.D!, 2)}, ${f.numTail} in tail)`;

  if (f.zeroFraction - f.expectedZeroFraction >= RANK_COLLAPSE_MIN_ZERO_FRACTION) {
    return phase(
      'rank-collapse',
      'excess-zero-mass',
      `${f.zeroCount} of ${f.numEvals} eigenvalues (${pct(f.zeroFraction)}) are zero at ${precisionName(input.dtype)} precision ` +
        `(σ ≤ ${fmt(f.zeroFloor, 2)}, σ_max ${fmt(Math.sqrt(f.lambdaMax), 3)})`,
      f.rankLoss < f.zeroCount ? `rank loss at float64 precision only ${f.rankLoss}` : '',
      f.expectedZeroFraction < 0.001 ? 'MP predicts none' : `MP predicts ${pct(f.expectedZeroFraction)}`,
    );
  }
  const e = f.edge;
  if (e === undefined) {
    const why = input.mp.status === 'failed' ? input.mp.reason : 'no MP fit';
    if (f.alpha !== undefined && f.alpha < HEAVY_ALPHA)
      return phase('heavy-tailed', 'mp-failed-power-law', `MP fit failed (${why})`, `power law ${alphaText}`);
    return phase('random-like', 'mp-failed', `MP fit failed (${why}), no evidence of structure`, alphaText);
  }

  const fitText =
    e.atBound === 'lower'
      ? 'no MP bulk at any admissible scale (σ at the fit’s lower bound)'
      : e.bulkFitsMp
        ? `bulk fits MP (KS ${fmt(e.bulkKS, 2)})`
        : `bulk does not fit MP (KS ${fmt(e.bulkKS, 2)} ≥ ${fmt(e.ksLimit, 2)})`;
  const top = `largest ${fmt(e.topRatio)}× λ₊`;

  if (e.outliers === 0) {
    return phase(
      'random-like',
      'no-outliers',
      `no eigenvalue above λ₊+${OUTLIER_TW}·TW (λ_max ${signed(e.topTW)} TW from λ₊)`,
      fitText,
    );
  }
  const mpDescribes = e.bulkFitsMp && !e.scaleFree;
  const count = `${e.outliers} eigenvalue${e.outliers === 1 ? '' : 's'} above λ₊+${OUTLIER_TW}·TW`;
  if (mpDescribes && e.outliers <= e.few && e.far === 0) {
    return phase(
      'bleeding-out',
      'outliers-not-separated',
      `${count}, none separated (${top}, ${fmt(e.topStrength)}× the BBP threshold < ${SEPARATED_STRENGTH}×)`,
      fitText,
    );
  }
  if (mpDescribes && e.outliers <= e.few) {
    return phase(
      'bulk+spikes',
      'separated-spikes',
      `${count} (${e.far} separated, ${top}, ${fmt(e.topStrength)}× the BBP threshold)`,
      fitText,
    );
  }
  if (mpDescribes) {
    return phase(
      'bulk-decay',
      'outlier-continuum',
      `${count} (more than ${e.few}: the edge decays into a continuum, ${top}, ${pct(e.outlierMass)} of Σλ)`,
      fitText,
      alphaText,
    );
  }
  const notMp =
    e.scaleFree && e.bulkFitsMp ? `${count} spanning ${fmt(e.topRatio)}× λ₊: scale-free, not an MP edge` : fitText;
  // A heavy tail is a continuum of many eigenvalues: many outliers, or a power-law tail
  // holding a large share of the spectrum, or one so heavy that no MP scale fits at all. A
  // poor bulk fit with a few outliers and a short power-law tail is a smeared edge.
  const longTail = f.numTail !== undefined && f.numTail >= HEAVY_TAIL_MIN_FRACTION * f.numEvals;
  if (f.alpha !== undefined && f.alpha < HEAVY_ALPHA && (e.atBound === 'lower' || e.outliers > e.few || longTail)) {
    const heavy = f.alpha < VERY_HEAVY_ALPHA ? 'very heavy power-law tail' : 'power-law tail';
    return phase(
      'heavy-tailed',
      'power-law-tail',
      `${heavy} ${alphaText}`,
      notMp,
      e.scaleFree && e.bulkFitsMp ? '' : `${count}, ${top}`,
    );
  }
  const notHeavy =
    f.alpha !== undefined && f.alpha < HEAVY_ALPHA
      ? `only ${e.outliers} outlier${e.outliers === 1 ? '' : 's'}, not a heavy tail (${alphaText})`
      : `too steep for a heavy tail (${alphaText})`;
  return phase('bulk-decay', 'not-heavy-tail', notMp, `${count}, ${top}`, notHeavy);
}

function precisionName(dtype: DType): string {
  const names: Partial<Record<DType, string>> = {
    F64: 'float64',
    F32: 'float32',
    F16: 'float16',
    BF16: 'bfloat16',
    I8: 'int8',
    U8: 'uint8',
  };
  return names[dtype] ?? dtype;
}

/** Compact number: 3 significant digits (or `digits`), exponent form when very large/small. */
function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return x.toExponential(Math.max(0, digits - 1)).replace('e+', 'e');
  return Number(x.toPrecision(digits)).toString();
}

function signed(x: number): string {
  return (x >= 0 ? '+' : '') + fmt(x, 2);
}

function pct(x: number): string {
  return `${x >= 0.1 ? Math.round(x * 100) : Number((x * 100).toPrecision(2))}%`;
}
