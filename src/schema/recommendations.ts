/**
 * Per-layer decisions from α (issue 16, item 5), as the v1 document carries them: AlphaPruning's
 * layer-wise sparsities and TempBalance's learning-rate factors. Computed by src/recommend.ts.
 */

/** Which α a recommendation was computed from: `powerLaw.alpha` or `hill.alpha`. */
export type AlphaSource = 'power-law' | 'hill';

export interface PruningRecommendation {
  /** The global sparsity S asked for (--prune). */
  readonly target: number;
  /** AlphaPruning's ε (--prune-epsilon). */
  readonly epsilon: number;
  readonly alphaSource: AlphaSource;
  /** Per analysed layer; Σ nᵢ·sparsityᵢ = target·Σ nᵢ with nᵢ = N·M·slices. */
  readonly layers: readonly {
    readonly model: number;
    readonly id: string;
    readonly name: string;
    readonly sparsity: number;
    /** The α used, or null for a layer without one (it gets the target). */
    readonly alpha: number | null;
  }[];
}

export interface LearningRateRecommendation {
  readonly alphaSource: AlphaSource;
  /** Per analysed layer: the factor on the base learning rate, in [0.5, 1.5] (1 without an α). */
  readonly layers: readonly {
    readonly model: number;
    readonly id: string;
    readonly name: string;
    readonly factor: number;
    readonly alpha: number | null;
  }[];
}

export interface Recommendations {
  readonly pruning?: PruningRecommendation;
  readonly learningRate?: LearningRateRecommendation;
}
