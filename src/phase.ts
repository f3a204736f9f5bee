/**
 * The 5+1 phases of training (DESIGN.md §3.6). Placeholder until issue 4 lands.
 */
import type { DType, LayerMetrics, MpResult, Phase } from './types.js';
import type { PowerLawFitResult } from './fit/powerlaw.js';

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
}

export function classifyPhase(_input: PhaseInput): Phase | undefined {
  return undefined;
}
