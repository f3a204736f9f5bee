/**
 * One layer, from its matrices to its result row: ESD, metrics, power-law and MP fits,
 * and phase. Pure: no I/O, no printing, so it can run in a worker thread.
 */
import type { AnalyzedLayer, DType, LayerKind, PowerLawResult } from './types.js';
import type { MatrixPlan } from './matrices.js';
import { computeEsd, type EigenSolver } from './esd.js';
import { fitPowerLaw, type PowerLawFitResult } from './fit/powerlaw.js';
import { computeMetrics } from './fit/metrics.js';
import { fitMarchenkoPastur } from './fit/mp.js';
import { classifyPhase, robustEntryRms } from './phase.js';

export interface LayerIdentity {
  readonly id: string;
  readonly model: number;
  readonly name: string;
  readonly kind: LayerKind;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export interface LayerOptions {
  /** Include the eigenvalues in the result. */
  readonly eigenvalues?: boolean;
  readonly solve?: EigenSolver;
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
  const esd = await computeEsd(values, plan, options.solve);
  const evals = esd.evals;
  const pl = fitPowerLaw(evals);
  const alpha = pl.status === 'ok' ? pl.alpha : null;
  const metrics = computeMetrics(evals, { rank: esd.rank, totalEvals: evals.length, alpha });
  const mp = fitMarchenkoPastur(evals, { N, M, Q, slices });
  const entryRms = robustEntryRms(values) * Math.sqrt(plan.eigenScale);
  const phase = classifyPhase({ evals, N, M, Q, slices, dtype: identity.dtype, metrics, powerLaw: pl, mp, entryRms });
  return {
    ...identity,
    status: 'analyzed',
    N,
    M,
    Q,
    slices,
    numEvals: evals.length,
    metrics,
    powerLaw: powerLawResult(pl),
    mp,
    phase,
    ...(options.eigenvalues ? { eigenvalues: Array.from(evals) } : {}),
  };
}

function powerLawResult(pl: PowerLawFitResult): PowerLawResult {
  if (pl.status === 'failed') return pl;
  const { tail: _tail, ...fit } = pl;
  return { ...fit, bestFit: 'PL' };
}
