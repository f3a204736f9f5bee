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
import type {
  LayerMetrics,
  MpOk,
  MpResult,
  Phase,
  PhaseEdgeEvidence,
  PhaseEvidence,
  PhaseName,
  PhaseRule,
} from './schema/index.js';
import { phaseReason } from './schema/words.js';
import type { PowerLawFitResult } from './fit/powerlaw.js';
import { mpCdf, mpCdfTable } from './fit/mp.js';
import {
  FEW_OUTLIERS_FRACTION,
  FEW_OUTLIERS_MIN,
  HEAVY_ALPHA,
  HEAVY_SPAN,
  HEAVY_TAIL_MIN_FRACTION,
  LORA_RANDOM_SPREAD_MARGIN,
  KS_POOR,
  KS_POOR_SMALL_SAMPLE,
  OUTLIER_TW,
  RANK_COLLAPSE_MIN_ZERO_FRACTION,
  ROUNDING_FLOOR_FACTOR,
  SEPARATED_STRENGTH,
  STEP_FLOOR_FACTOR,
  CONTINUUM_SPAN,
  CONTINUUM_WEIGHT,
  UNIT_ROUNDOFF,
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
  /**
   * Rounding-noise variance per entry of a quantization grid (TensorRef.stepNoise, times
   * eigenScale): the zero floor is then the noise's own MP edge, STEP_FLOOR_FACTOR·√v·(√N+√M).
   */
  readonly stepNoise?: number;
  /**
   * Set for a LoRA update ΔW = s·B·A: `evals` are its r non-zero eigenvalues. Its rank is r
   * by construction, so neither the zero-mass test nor MP applies; the tail decides.
   */
  readonly lowRank?: number;
}

/** The numbers the decision is made from (the document's `phase.evidence`). */
export type PhaseFeatures = PhaseEvidence;
export type EdgeFeatures = PhaseEdgeEvidence;

export function phaseFeatures(input: PhaseInput): PhaseFeatures {
  const { evals, N, M, slices, dtype, powerLaw: pl, mp } = input;
  const n = evals.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.max(0, evals[i]!);

  // Rounding floor of one slice: u·RMS(W)·(√N + √M), RMS(W)² ≈ Σλ / (slices·N·M) when no
  // robust entry RMS is given.
  const u = UNIT_ROUNDOFF[dtype] ?? 2 ** -53;
  const rms = input.entryRms ?? Math.sqrt(sum / Math.max(1, slices * N * M));
  const edge = Math.sqrt(N) + Math.sqrt(M);
  const zeroFloor =
    input.stepNoise !== undefined
      ? STEP_FLOOR_FACTOR * Math.sqrt(input.stepNoise) * edge
      : ROUNDING_FLOOR_FACTOR * u * rms * edge;
  const floorLambda = zeroFloor * zeroFloor;
  const bandLambda = floorLambda * CONTINUUM_SPAN * CONTINUUM_SPAN;
  let belowFloor = 0;
  for (let i = 0; i < n && evals[i]! <= floorLambda; i++) belowFloor++;
  let aboveFloor = 0;
  for (let i = belowFloor; i < n && evals[i]! <= bandLambda; i++) aboveFloor++;
  // The mass at zero beyond the spectrum's continuation through the floor. Below the
  // solver's own resolution (float64 rank, DESIGN.md §3.3) is zero whatever lies above, except
  // on a quantization grid: there a row or filter whose entries all round to the zero level
  // is exactly zero without any rank lost in training, as much below the noise as the rest.
  const beyondContinuum = Math.max(0, belowFloor - CONTINUUM_WEIGHT * aboveFloor);
  const zeroCount = input.stepNoise !== undefined ? beyondContinuum : Math.max(beyondContinuum, input.metrics.rankLoss);
  // What MP with the layer's own scale (mean eigenvalue = σ²) puts below the floor.
  const expectedZeroFraction = sum > 0 && n > 0 ? mpCdf(mpCdfTable(input.Q, 512), (floorLambda * n) / sum) : 0;

  const plFields = pl.status === 'ok' ? { alpha: pl.alpha, D: pl.D, numTail: pl.numTail } : {};
  if (input.lowRank !== undefined) {
    const lowRank = { rank: input.lowRank, lambdaMin: Math.max(0, evals[0] ?? 0), randomSpread: randomSpread(input) };
    return { ...lowRankBase(n, input.metrics), ...plFields, lowRank };
  }
  const base = {
    numEvals: n,
    zeroFloor,
    belowFloor,
    aboveFloor,
    ...(input.stepNoise !== undefined ? { stepNoise: Math.sqrt(input.stepNoise) } : {}),
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

/**
 * The phase each rule names: the one place a rule becomes a phase (README's table is tested
 * against it, test/readme-phases.test.ts).
 */
export const RULE_PHASE: Readonly<Record<PhaseRule, PhaseName>> = {
  'excess-zero-mass': 'rank-collapse',
  'mp-failed-power-law': 'heavy-tailed',
  'mp-failed': 'random-like',
  'no-outliers': 'random-like',
  'outliers-not-separated': 'bleeding-out',
  'separated-spikes': 'bulk+spikes',
  'outlier-continuum': 'bulk-decay',
  'power-law-tail': 'heavy-tailed',
  'not-heavy-tail': 'bulk-decay',
  'low-rank-random': 'random-like',
  'low-rank-power-law': 'heavy-tailed',
  'low-rank-no-heavy-tail': 'bulk-decay',
};

/** The decision table, first match wins (see the module comment); schema/words.ts says why. */
export function decide(f: PhaseFeatures, input: Pick<PhaseInput, 'dtype' | 'mp' | 'lowRank'>): Phase {
  const rule = input.lowRank !== undefined ? lowRankRule(f) : decisionRule(f);
  const name = RULE_PHASE[rule];
  return { name, rule, evidence: f, reason: phaseReason(rule, f, input.dtype, input.mp) };
}

function decisionRule(f: PhaseFeatures): PhaseRule {
  if (f.zeroFraction - f.expectedZeroFraction >= RANK_COLLAPSE_MIN_ZERO_FRACTION) {
    return 'excess-zero-mass';
  }
  const e = f.edge;
  if (e === undefined) {
    if (f.alpha !== undefined && f.alpha < HEAVY_ALPHA) return 'mp-failed-power-law';
    return 'mp-failed';
  }
  if (e.outliers === 0) return 'no-outliers';
  const mpDescribes = e.bulkFitsMp && !e.scaleFree;
  if (mpDescribes && e.outliers <= e.few && e.far === 0) return 'outliers-not-separated';
  if (mpDescribes && e.outliers <= e.few) return 'separated-spikes';
  if (mpDescribes) return 'outlier-continuum';
  // A heavy tail is a continuum of many eigenvalues: many outliers, or a power-law tail
  // holding a large share of the spectrum, or one so heavy that no MP scale fits at all. A
  // poor bulk fit with a few outliers and a short power-law tail is a smeared edge.
  const longTail = f.numTail !== undefined && f.numTail >= HEAVY_TAIL_MIN_FRACTION * f.numEvals;
  if (f.alpha !== undefined && f.alpha < HEAVY_ALPHA && (e.atBound === 'lower' || e.outliers > e.few || longTail)) {
    return 'power-law-tail';
  }
  return 'not-heavy-tail';
}

/**
 * A LoRA update: random-like when its non-zero eigenvalues spread no more than random factors
 * of its shape make them (LORA_RANDOM_SPREAD_MARGIN), else heavy-tailed when they follow a
 * power law with α < HEAVY_ALPHA, else bulk-decay.
 */
function lowRankRule(f: PhaseFeatures): PhaseRule {
  const lr = f.lowRank;
  if (lr && lr.randomSpread !== null && lr.lambdaMin > 0 && f.lambdaMax / lr.lambdaMin <= lr.randomSpread) {
    return 'low-rank-random';
  }
  if (f.alpha !== undefined && f.alpha < HEAVY_ALPHA) return 'low-rank-power-law';
  return 'low-rank-no-heavy-tail';
}

/** The zero-mass fields of a LoRA update: its r eigenvalues are all non-zero by construction. */
function lowRankBase(n: number, metrics: LayerMetrics) {
  return {
    numEvals: n,
    zeroFloor: 0,
    zeroCount: 0,
    zeroFraction: 0,
    expectedZeroFraction: 0,
    rankLoss: metrics.rankLoss,
    lambdaMax: metrics.lambdaMax,
  };
}

/** LORA_RANDOM_SPREAD_MARGIN × the largest λ_max/λ_min random factors of this shape give, or null. */
function randomSpread(input: PhaseInput): number | null {
  const r = input.lowRank!;
  const a = Math.sqrt(r / input.M);
  const b = Math.sqrt(r / input.N);
  if (a >= 1 || b >= 1) return null;
  const cond = (x: number) => ((1 + x) / (1 - x)) ** 2;
  return LORA_RANDOM_SPREAD_MARGIN * cond(a) * cond(b);
}
