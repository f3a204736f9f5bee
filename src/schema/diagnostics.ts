/**
 * The optional diagnostics of an analysed layer (issue 8): correlation traps (`--randomize`)
 * and eigenvector localization (`--vectors`). Plain readonly data, like layer-result.ts.
 */

/**
 * Correlation traps (issue 8, `--randomize`): every element of W shuffled (each slice on its
 * own, with a seeded generator) and centred, which destroys all correlations but keeps the
 * element distribution. The shuffled matrix is then an iid random matrix, so its ESD is a
 * Marchenko–Pastur bulk with edge λ₊ = v(√N + √M)², v the elements' variance — unless a few
 * elements are abnormally large: each such element makes an eigenvalue above the edge, a
 * "trap" (Martin & Mahoney; WeightWatcher's rand_num_spikes). All eigenvalues in ESD units
 * (conv slices scaled like the layer's ESD).
 */
export interface CorrelationTraps {
  /** Seed of the shuffle: same seed and weights, same result. */
  readonly seed: number;
  /** Eigenvalues of the shuffled matrix above `threshold` (summed over slices). */
  readonly numTraps: number;
  /** Largest eigenvalue of the shuffled matrix (WeightWatcher's max_rand_eval). */
  readonly lambdaMaxRandom: number;
  /**
   * MP edge of the shuffled matrix, v(√N + √M)², v estimated from the bulk (the mean of the
   * eigenvalues below the threshold, iterated, so the traps do not inflate it). Largest over
   * slices.
   */
  readonly lambdaPlusRandom: number;
  /** λ₊ + TRAP_TW_MARGIN Tracy–Widom widths; a shuffled eigenvalue above it is a trap. Largest over slices. */
  readonly threshold: number;
  /**
   * Jensen–Shannon distance (natural log, ∈ [0, √ln 2]) between the original and shuffled
   * ESDs, each sorted and normalised to unit sum: WeightWatcher's rand_distance. 0 when the
   * layer is as random as its shuffle; grows as training concentrates the spectrum.
   */
  readonly distance: number;
  /** Kolmogorov–Smirnov distance sup|F − F_rand| between the two ESDs' empirical CDFs. */
  readonly ksDistance: number;
  /** The trap eigenvalues, largest first (at most 100). */
  readonly trapEigenvalues: readonly number[];
  /**
   * The MP fit (fitMarchenkoPastur) of the shuffled ESD, when it succeeds: its edge and
   * spike count (WeightWatcher's rand_bulk_max and rand_num_spikes), for comparison.
   */
  readonly mpFit?: { readonly lambdaPlus: number; readonly numSpikes: number };
  /** The shuffled ESD, ascending, with --eigenvalues. */
  readonly eigenvalues?: readonly number[];
}

/** Localization statistics of one group of eigenvectors of X (see EigenvectorLocalization). */
export interface VectorGroupStats {
  /** Eigenvectors in the group. */
  readonly count: number;
  /** Eigenvectors computed: all, or an evenly spaced sample when M is large. */
  readonly computed: number;
  /**
   * Mean participation ratio (Σvᵢ²)²/(MΣvᵢ⁴) ∈ [1/M, 1]; ≈ 1/3 for random vectors, k/M when spread
   * on k coordinates.
   */
  readonly participationRatio: number | null;
  /** Smallest (most localized) participation ratio in the group. */
  readonly minParticipationRatio: number | null;
  /** Mean localization ratio ‖v‖₁/(M‖v‖∞) ∈ [1/M, 1] (WeightWatcher's localization_ratio / M): small = localized. */
  readonly localizationRatio: number | null;
  /** Mean vector entropy −Σpᵢ ln pᵢ / ln M, pᵢ = vᵢ² ∈ [0, 1]: small = localized. */
  readonly entropy: number | null;
}

/**
 * Eigenvector localization (issue 8, `--vectors`): the eigenvectors of X, the M×M Gram
 * (WᵀW or WWᵀ, whichever is smaller), split into the tail (spikes) and the bulk. RMT
 * predicts delocalized bulk vectors (participation ratio ≈ 1/3); a tail or spike vector much
 * more localized than `random` concentrates on a few input/output units.
 */
export interface EigenvectorLocalization {
  /** Length of each eigenvector (M). */
  readonly dimension: number;
  /**
   * How the tail was told from the bulk: `mp-spikes` the MP fit's spikes, `power-law-tail`
   * the power-law tail (λ ≥ xmin), `none` all bulk. `threshold`: tail eigenvalues are ≥ it.
   */
  readonly split: { readonly by: 'mp-spikes' | 'power-law-tail' | 'none'; readonly threshold: number | null };
  readonly tail: VectorGroupStats;
  readonly bulk: VectorGroupStats;
  /** Eigenvalues at numerical zero, left out of both groups (their basis is arbitrary). */
  readonly numNull: number;
  /** The same metrics for random (delocalized) unit vectors of length M: the reference. */
  readonly random: {
    readonly participationRatio: number;
    readonly localizationRatio: number;
    readonly entropy: number;
  };
  /** Each computed eigenvector, ascending by eigenvalue, with --eigenvalues. */
  readonly perVector?: {
    readonly eigenvalue: readonly number[];
    readonly participationRatio: readonly number[];
    readonly localizationRatio: readonly number[];
    readonly entropy: readonly number[];
  };
}
