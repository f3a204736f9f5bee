/**
 * One layer, from its matrices to its result row: ESD, metrics, power-law and MP fits,
 * and phase. Pure: no I/O, no printing, so it can run in a worker thread.
 */
import type { AnalyzedLayer, LayerIdentity, MpResult, PowerLawResult } from './schema/index.js';
import type { MatrixPlan } from './matrices.js';
import { computeEsd, type EigenSolver, type Esd, type SliceSolver } from './esd.js';
import { lowRankEigenvalues } from './spectrum/low-rank.js';
import type { LowRankFactors } from './types.js';
import { fitFailed } from './schema/words.js';
import { fitPowerLaw, type PowerLawFitResult } from './fit/powerlaw.js';
import { hillAlpha } from './fit/hill.js';
import { compareTailModels, type TailComparison } from './fit/best-fit.js';
import { findCorrelationTraps } from './traps.js';
import {
  eigenvectorLocalization,
  estimateVectorSeconds,
  VECTORS_SLOW_SECONDS,
  type VectorSplit,
} from './vectors/index.js';
import { computeMetrics, numericalRank } from './fit/metrics.js';
import { fitMarchenkoPastur } from './fit/mp.js';
import { robustEntryRms } from './entry-rms.js';
import { classifyPhase } from './phase.js';

export type { LayerIdentity } from './schema/index.js';

export interface LayerOptions {
  /** Include the eigenvalues in the result. */
  readonly eigenvalues?: boolean;
  readonly solve?: EigenSolver;
  /** Used instead of `solve` when given: the engine's, which may resolve the slice on its worker (computeEsd). */
  readonly solveSlice?: SliceSolver;
  /** The accurate route for slices the Gram cannot decide (computeEsd's `accurate`). */
  readonly accurate?: EigenSolver;
  /** Fits the power law (fit/powerlaw.ts) elsewhere, e.g. on the engine's workers; default: here. */
  readonly powerLaw?: (evals: Float64Array) => Promise<PowerLawFitResult>;
  /** Look for correlation traps in a seeded shuffle of W (`--randomize`). */
  readonly randomize?: boolean;
  /** Seed of the shuffle (default DEFAULT_TRAP_SEED). */
  readonly seed?: number;
  /** Eigenvector localization (`--vectors`). */
  readonly vectors?: boolean;
  /** Called with a one-line message when something will be slow; never printed here. */
  readonly onWarning?: (message: string) => void;
  /** Warn when --vectors is predicted to take longer than this (default VECTORS_SLOW_SECONDS). */
  readonly slowVectorsSeconds?: number;
  /** TensorRef.stepNoise's value: the rounding-noise variance per entry of a quantization grid. */
  readonly stepNoise?: number;
  /** The tensor's robustEntryRms when `values` is one matrix of it (src/stacked-read.ts). */
  readonly entryRms?: number;
  /**
   * A LoRA update's factors (kind 'lora'): the layer is analysed from ΔW's r non-zero
   * eigenvalues (src/spectrum/low-rank.ts) instead of the Gram of `values`.
   */
  readonly lowRank?: () => Promise<LowRankFactors>;
  /** No entry needs scaling before squaring (computeEsd's `unscaled`). */
  readonly unscaled?: boolean;
  /** Reads the tensor again (the solver may have taken `values`; see computeEsd). */
  readonly reload?: () => Promise<Float64Array>;
}

export async function analyzeLayer(
  values: Float64Array,
  plan: MatrixPlan,
  identity: LayerIdentity,
  options: LayerOptions = {},
): Promise<AnalyzedLayer> {
  const { rows, cols, slices } = plan;
  const N = Math.max(rows, cols);
  const M = Math.min(rows, cols);
  const Q = N / M;
  // Before the ESD: the solver may take ownership of `values` (see computeEsd).
  // A LoRA layer's `values` are its factors unless a shuffle or eigenvectors need ΔW itself;
  // its rounding floor is then estimated from Σλ (phase.ts).
  const entryRms = options.lowRank
    ? undefined
    : (options.entryRms ?? robustEntryRms(values)) * Math.sqrt(plan.eigenScale);
  const esd = options.lowRank
    ? lowRankEsd(await options.lowRank(), N)
    : await computeEsd(values, plan, {
        solve: options.solve,
        solveSlice: options.solveSlice,
        accurate: options.accurate,
        keepValues: options.randomize === true || options.vectors === true,
        reload: options.reload,
        unscaled: options.unscaled,
      });
  const evals = esd.evals;
  const pl = options.powerLaw ? await options.powerLaw(evals) : fitPowerLaw(evals);
  const tailModels = pl.status === 'ok' ? compareTailModels(pl.tail, pl.xmin, pl.alpha) : undefined;
  const alpha = pl.status === 'ok' ? pl.alpha : null;
  const metrics = computeMetrics(evals, { rank: esd.rank, totalEvals: evals.length, alpha });
  const mp = options.lowRank ? fitFailed({ code: 'low-rank' }) : fitMarchenkoPastur(evals, { N, M, Q, slices });
  const lowRank = options.lowRank ? evals.length : undefined;
  const phase = classifyPhase({
    evals,
    N,
    M,
    Q,
    slices,
    dtype: identity.dtype,
    metrics,
    powerLaw: pl,
    mp,
    entryRms,
    ...(options.stepNoise !== undefined && !options.lowRank ? { stepNoise: options.stepNoise * plan.eigenScale } : {}),
    lowRank,
  });
  const traps = options.randomize
    ? await findCorrelationTraps(values, plan, evals, {
        seed: options.seed,
        solve: options.solve,
        eigenvalues: options.eigenvalues,
      })
    : undefined;
  let vectors;
  if (options.vectors) {
    const seconds = estimateVectorSeconds(plan);
    if (seconds > (options.slowVectorsSeconds ?? VECTORS_SLOW_SECONDS)) {
      const what = `${slices > 1 ? `${slices} × ` : ''}${M}×${M}`;
      options.onWarning?.(
        `${identity.id}: eigenvectors of ${what} Gram matri${slices > 1 ? 'ces' : 'x'} (--vectors) ` +
          `will take about ${Math.round(seconds)} s`,
      );
    }
    vectors = eigenvectorLocalization(values, plan, {
      split: vectorSplit(evals, pl, mp),
      perVector: options.eigenvalues,
    });
  }
  return {
    ...identity,
    status: 'analyzed',
    N,
    M,
    Q,
    slices,
    numEvals: evals.length,
    metrics,
    powerLaw: powerLawResult(pl, tailModels),
    hill: hillAlpha(evals),
    mp,
    phase,
    ...(options.eigenvalues ? { eigenvalues: Array.from(evals) } : {}),
    ...(traps ? { traps } : {}),
    ...(vectors ? { vectors } : {}),
  };
}

function powerLawResult(pl: PowerLawFitResult, tailModels: TailComparison | undefined): PowerLawResult {
  if (pl.status === 'failed') return pl;
  const { tail: _tail, ...fit } = pl;
  if (tailModels === undefined) return { ...fit, bestFit: 'PL' };
  return { ...fit, bestFit: tailModels.bestFit, alternatives: tailModels.models };
}

/**
 * Tail vs bulk for --vectors: the MP fit's spikes when there are any, else the power-law
 * tail — the top k eigenvalues, split halfway between the k-th largest and the next, so the
 * eigenvector solver's last-digit differences from the ESD cannot move one across.
 */
function vectorSplit(evals: Float64Array, pl: PowerLawFitResult, mp: MpResult): VectorSplit {
  const top = (k: number) => {
    const i = evals.length - k;
    return i > 0 ? 0.5 * (evals[i - 1]! + evals[i]!) : evals[0]! * (1 - 1e-9);
  };
  if (mp.status === 'ok' && mp.numSpikes > 0 && mp.numSpikes <= evals.length) {
    return { by: 'mp-spikes', threshold: top(mp.numSpikes) };
  }
  if (pl.status === 'ok') return { by: 'power-law-tail', threshold: top(pl.numTail) };
  return { by: 'none', threshold: null };
}

/** The ESD of a LoRA update: ΔW's r non-zero eigenvalues, and their numerical rank. */
function lowRankEsd(factors: LowRankFactors, N: number): Esd {
  const evals = lowRankEigenvalues(factors);
  return { evals, rank: numericalRank(evals, N), nearSingular: false };
}
