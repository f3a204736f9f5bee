/**
 * One layer's result in the v1 document: its identity, metrics, fits, phase, and why a
 * layer was skipped. Plain readonly data, so results cross worker threads and print as
 * JSON without conversion.
 */
import type { DType, LayerKind } from '../types.js';
import type { CorrelationTraps, EigenvectorLocalization } from './diagnostics.js';

/** The six phase names of DESIGN.md §4, exactly. */
export const PHASE_NAMES = [
  'random-like',
  'bleeding-out',
  'bulk+spikes',
  'bulk-decay',
  'heavy-tailed',
  'rank-collapse',
] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];

/** Metrics of DESIGN.md §3.3, computed from all eigenvalues (zeros included). */
export interface LayerMetrics {
  readonly lambdaMax: number;
  /** Σλ, the squared Frobenius norm. */
  readonly norm: number;
  readonly logNorm: number;
  readonly logSpectralNorm: number;
  readonly stableRank: number;
  readonly entropy: number;
  /** Numerical rank: #(σ > σ_max·N·ε₆₄), summed over slices. */
  readonly rank: number;
  readonly rankLoss: number;
  /** α·log₁₀ λ_max; null when the power-law fit failed. */
  readonly alphaWeighted: number | null;
  /** log₁₀ Σλᵢ^α; null when the power-law fit failed. */
  readonly logAlphaNorm: number | null;
}

/**
 * The tail model that describes the power-law fit's tail best (issue 8): a power law
 * (`PL`), a truncated power law x^{−α}e^{−Λx} (`TPL`), or an exponential e^{−Λx} (`EXP`).
 */
export type BestFit = 'PL' | 'TPL' | 'EXP';

/**
 * A log-likelihood ratio test between two models fitted to the same tail
 * (Clauset–Shalizi–Newman 2009 §5, Vuong 1989). `R` = ℓ(first) − ℓ(second), summed over the
 * tail: positive favours the first model named by the field, negative the second.
 */
export interface FitComparison {
  readonly R: number;
  /** R as a z-score: R/(σ̂√n) (Vuong) or sign(R)·√(2|R|) (nested). */
  readonly normalizedR: number;
  /** Significance of R ≠ 0: small p means the difference is real. */
  readonly p: number;
  /**
   * `vuong`: non-nested, p = erfc(|R|/(σ̂√(2n))); `nested`: 2|R| ~ χ²₁ (Wilks);
   * `nested-boundary`: the smaller model sits on the boundary (Λ = 0), ½χ²₀ + ½χ²₁.
   */
  readonly test: 'vuong' | 'nested' | 'nested-boundary';
}

/**
 * The alternatives fitted by maximum likelihood on exactly the power law's tail
 * (x ≥ xmin, numTail points) and the tests that chose `bestFit`. Log-likelihoods are totals
 * over the tail with densities in eigenvalue units, so they compare directly.
 */
export interface TailModels {
  readonly status: 'ok';
  readonly powerLaw: { readonly logLikelihood: number };
  /** p(x) ∝ x^{−α} e^{−Λx}; Λ in 1/eigenvalue units. `boundary`: Λ = 0, the TPL's best is the PL itself. */
  readonly truncatedPowerLaw: {
    readonly alpha: number;
    readonly lambda: number;
    readonly logLikelihood: number;
    readonly boundary: boolean;
  };
  /** p(x) = Λe^{−Λ(x − xmin)}; Λ in 1/eigenvalue units. */
  readonly exponential: { readonly lambda: number; readonly logLikelihood: number };
  /** PL vs TPL, nested at the boundary Λ = 0: R ≤ 0; small p rejects the PL in favour of the TPL. */
  readonly plVsTpl: FitComparison;
  /** EXP vs TPL, nested at α = 0: R ≤ 0; small p rejects the EXP in favour of the TPL. */
  readonly expVsTpl: FitComparison;
  /** PL vs EXP, non-nested (Vuong): R > 0 favours the PL. */
  readonly plVsExp: FitComparison;
  /** Significance level of the decision (a model is rejected when p < this). */
  readonly significance: number;
  /** One line naming the tests that decided `bestFit`. */
  readonly reason: string;
}

export interface PowerLawOk {
  readonly status: 'ok';
  readonly alpha: number;
  readonly xmin: number;
  readonly xmax: number;
  /** Kolmogorov–Smirnov distance of the fitted tail. */
  readonly D: number;
  /** Standard error of α: (α − 1)/√n. */
  readonly sigma: number;
  /** Tail size n (WeightWatcher's num_pl_spikes). */
  readonly numTail: number;
  /** Best of PL, TPL, EXP on the tail; `PL` when the alternatives could not be fitted. */
  readonly bestFit: BestFit;
  /**
   * The alternatives fitted on the same tail and the tests behind `bestFit` (issue 8).
   * Always set by the pipeline; optional so that hand-made results need not invent it.
   */
  readonly alternatives?: TailModels | { readonly status: 'failed'; readonly reason: string };
}
/**
 * Why a fit failed, as a stable code beside its `reason`: too-few-eigenvalues, non-finite,
 * no-finite-alpha (power law: no xmin candidate gives a finite α), invalid-shape, all-zero and
 * underflow (MP: eigenvalues so small that the mean-1 rescaling overflows).
 */
export type FitFailureCode =
  | 'too-few-eigenvalues'
  | 'non-finite'
  | 'no-finite-alpha'
  | 'invalid-shape'
  | 'all-zero'
  | 'underflow'
  | 'low-rank';
export interface FitFailure {
  readonly status: 'failed';
  readonly code: FitFailureCode;
  readonly reason: string;
}

export type PowerLawResult = PowerLawOk | FitFailure;

export interface MpOk {
  readonly status: 'ok';
  /** σ of the eigenvalues rescaled to mean 1 (WeightWatcher's sigma_mp). */
  readonly sigma: number;
  /** Bulk edges in original units. */
  readonly lambdaPlus: number;
  readonly lambdaMinus: number;
  /** Tracy–Widom width at λ₊, in original units (Q^{−1/2} λ₊^{2/3} M^{−2/3} in rescaled units). */
  readonly twWidth: number;
  /** #(λ̃ > λ̃₊ + √TW̃) in rescaled units: the reference tool's spike count. */
  readonly numSpikes: number;
  /** λ₊ / λ_max. */
  readonly softRank: number;
  /** Kolmogorov–Smirnov distance between the bulk and the fitted MP law. */
  readonly bulkKS: number;
  /** W_scale²: multiplies λ to give the mean-1 eigenvalues σ refers to (n / Σλ). */
  readonly scale: number;
  /** Eigenvalues treated as the bulk (all but the numSpikes largest). */
  readonly bulkSize: number;
  /**
   * Set when σ sits at an end of the search range [0.05, 2]·σ_max: no MP bulk at any
   * admissible scale (rank collapse, very heavy tails). The reference tool returns the
   * same bound without saying so.
   */
  readonly atBound?: 'lower' | 'upper';
}
export type MpResult = MpOk | FitFailure;

/**
 * Which branch of the classifier (src/phase.ts, first match wins) decided the phase:
 * excess-zero-mass → rank-collapse; mp-failed-power-law → heavy-tailed and mp-failed →
 * random-like when no MP fit exists; no-outliers → random-like; outliers-not-separated →
 * bleeding-out; separated-spikes → bulk+spikes; outlier-continuum → bulk-decay (MP bulk,
 * many outliers); power-law-tail → heavy-tailed; not-heavy-tail → bulk-decay (poor MP fit,
 * tail too short or too steep for a heavy tail).
 */
export const PHASE_RULES = [
  'excess-zero-mass',
  'mp-failed-power-law',
  'mp-failed',
  'no-outliers',
  'outliers-not-separated',
  'separated-spikes',
  'outlier-continuum',
  'power-law-tail',
  'not-heavy-tail',
  'low-rank-random',
  'low-rank-power-law',
  'low-rank-no-heavy-tail',
] as const;
export type PhaseRule = (typeof PHASE_RULES)[number];

export interface Phase {
  readonly name: PhaseName;
  /** The classifier's branch that fired (stable code; `reason` is its English). */
  readonly rule: PhaseRule;
  /** The numbers the classifier compared (src/phase.ts); `reason` states them. */
  readonly evidence: PhaseEvidence;
  /** One line naming the numbers that decided the phase (made by schema/words.ts). */
  readonly reason: string;
}

/** What the phase decision is made from (src/phase.ts, DESIGN.md §3.6). */
export interface PhaseEvidence {
  readonly numEvals: number;
  /** Singular values at or below this are zero at storage precision (σ units, not λ). */
  readonly zeroFloor: number;
  /** Eigenvalues at or below the floor, and in the band (floor, CONTINUUM_SPAN·floor] just above it. */
  readonly belowFloor?: number;
  readonly aboveFloor?: number;
  /**
   * Present when the floor comes from a quantization grid: the RMS of its rounding noise per
   * entry (√(step²/12), conv kernels scaled as their eigenvalues); absent for float rounding.
   */
  readonly stepNoise?: number;
  /**
   * Eigenvalues at zero: those below the floor beyond CONTINUUM_WEIGHT × those just above it
   * (a spectrum continuous through the floor is not a collapse), or below float64 resolution
   * (rank loss), whichever is more.
   */
  readonly zeroCount: number;
  readonly zeroFraction: number;
  /** The share MP (Q, mean eigenvalue of this layer) predicts below the floor. */
  readonly expectedZeroFraction: number;
  /** Rank loss at float64 resolution (metrics.rankLoss) and λ_max. */
  readonly rankLoss: number;
  readonly lambdaMax: number;
  /** Present when the MP fit succeeded. */
  readonly edge?: PhaseEdgeEvidence;
  /** Power-law α, D and tail size, when that fit succeeded. */
  readonly alpha?: number;
  readonly D?: number;
  readonly numTail?: number;
  /** A LoRA update (decided by lowRankDecision in phase.ts). */
  readonly lowRank?: LowRankEvidence;
}

/**
 * A LoRA update ΔW = s·B·A: its rank, smallest non-zero eigenvalue, and the spread
 * λ_max/λ_min that random Gaussian factors of its shape reach (null when r is not below
 * both dimensions, where no such bound exists).
 */
export interface LowRankEvidence {
  readonly rank: number;
  readonly lambdaMin: number;
  readonly randomSpread: number | null;
}

/** The MP edge and what lies beyond it, when the MP fit succeeded. */
export interface PhaseEdgeEvidence {
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

/** Hill's α with xmin at the median eigenvalue (src/fit/hill.ts). */
export interface HillEstimate {
  /** null when undefined: the median eigenvalue is 0, or the upper half of the spectrum is flat. */
  readonly alpha: number | null;
  readonly xmin: number;
}

/** Fields every layer row carries: which tensor, of which model, as what. */
export interface LayerIdentity {
  /** Unique within its model: the tensor name, with "[d]" per recurrent direction or stacked matrix. */
  readonly id: string;
  /** Index into `models`. */
  readonly model: number;
  /** The tensor's own name. */
  readonly name: string;
  readonly kind: LayerKind;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/**
 * Why a layer was not analysed, as a stable code beside `skipReason` (its English):
 * unsupported-dtype (stored in a format not decoded), empty, scalar, bias, norm, vector (other
 * 1-D), depthwise (kernel slices with M = 1), no-spectrum (an n×1 matrix), too-few-eigenvalues
 * (M·slices < --min-evals), unsupported-rank, shared-storage (the same stored tensor reached
 * twice), tied (the same values as an earlier tensor), non-finite, all-zero, overflow (entries
 * whose squares overflow float64), underflow (entries so small that Σw², and with it every
 * eigenvalue, is below float64's resolution), optimizer-state (a training checkpoint's optimizer
 * buffers, not weights), unsupported-quantization (a GGUF block type that is not decoded).
 */
export const SKIP_CODES = [
  'unsupported-dtype',
  'empty',
  'scalar',
  'bias',
  'norm',
  'vector',
  'depthwise',
  'no-spectrum',
  'too-few-eigenvalues',
  'unsupported-rank',
  'shared-storage',
  'tied',
  'non-finite',
  'all-zero',
  'overflow',
  'underflow',
  'optimizer-state',
  'unsupported-quantization',
] as const;
export type SkipCode = (typeof SKIP_CODES)[number];

export interface SkippedLayer extends LayerIdentity {
  readonly status: 'skipped';
  readonly skipCode: SkipCode;
  readonly skipReason: string;
}

export interface AnalyzedLayer extends LayerIdentity {
  readonly status: 'analyzed';
  /** One slice's dimensions: N = max, M = min, Q = N/M. */
  readonly N: number;
  readonly M: number;
  readonly Q: number;
  /** Number of matrices pooled into the ESD (kh·kw for conv2d, 1 for dense). */
  readonly slices: number;
  readonly numEvals: number;
  readonly metrics: LayerMetrics;
  readonly powerLaw: PowerLawResult;
  /**
   * Hill α with xmin at the median eigenvalue (TempBalance, AlphaPruning): always written by
   * the analysis; optional so that reports saved before it existed still read.
   */
  readonly hill?: HillEstimate;
  readonly mp: MpResult;
  readonly phase: Phase;
  /** Ascending, with --eigenvalues. */
  readonly eigenvalues?: readonly number[];
  /** Correlation traps, with --randomize. */
  readonly traps?: CorrelationTraps;
  /** Eigenvector localization, with --vectors. */
  readonly vectors?: EigenvectorLocalization;
}

/**
 * Why the computation of one layer failed (the rest of the model is still reported):
 * `solver` — the eigenvalue solver or a fit threw (e.g. no convergence);
 * `worker` — the worker thread computing it crashed or exited;
 * `read` — re-reading the tensor (for --randomize or --vectors) failed.
 */
export type LayerFailureCode = 'solver' | 'worker' | 'read';

export interface FailedLayer extends LayerIdentity {
  readonly status: 'failed';
  readonly failure: { readonly code: LayerFailureCode; readonly reason: string };
}

export type LayerResult = AnalyzedLayer | SkippedLayer | FailedLayer;
