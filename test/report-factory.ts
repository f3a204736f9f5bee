/** Synthetic v1 reports whose phases and α the test controls (the phase classifier is not ours to depend on). */
import { makeReport } from '../src/schema/index.js';
import type { AnalysisReport, ModelInfo } from '../src/schema/index.js';
import type {
  AnalyzedLayer,
  LayerResult,
  PhaseName,
  SkippedLayer,
  FailedLayer,
  PhaseRule,
} from '../src/schema/index.js';

export interface LayerSpec {
  readonly id: string;
  readonly phase?: PhaseName;
  /** null: the power-law fit failed. */
  readonly alpha?: number | null;
  readonly logNorm?: number;
  readonly stableRank?: number;
  readonly model?: number;
  readonly name?: string;
}

/** A rule that decides each phase (src/phase.ts). */
const RULE_OF: Record<PhaseName, PhaseRule> = {
  'rank-collapse': 'excess-zero-mass',
  'random-like': 'no-outliers',
  'bleeding-out': 'outliers-not-separated',
  'bulk+spikes': 'separated-spikes',
  'bulk-decay': 'outlier-continuum',
  'heavy-tailed': 'power-law-tail',
};

export function analyzedLayer(s: LayerSpec): AnalyzedLayer {
  const alpha = s.alpha === undefined ? 3 : s.alpha;
  const logNorm = s.logNorm ?? 2;
  const norm = 10 ** logNorm;
  const stableRank = s.stableRank ?? 5;
  const lambdaMax = norm / stableRank;
  return {
    id: s.id,
    model: s.model ?? 0,
    name: s.name ?? s.id.replace(/\[\d+\]$/, ''),
    kind: 'dense',
    shape: [64, 32],
    dtype: 'F32',
    status: 'analyzed',
    N: 64,
    M: 32,
    Q: 2,
    slices: 1,
    numEvals: 32,
    metrics: {
      lambdaMax,
      norm,
      logNorm,
      logSpectralNorm: Math.log10(lambdaMax),
      stableRank,
      entropy: 0.9,
      rank: 32,
      rankLoss: 0,
      alphaWeighted: alpha === null ? null : alpha * Math.log10(lambdaMax),
      logAlphaNorm: alpha === null ? null : 3.5,
    },
    powerLaw:
      alpha === null
        ? { status: 'failed', code: 'too-few-eigenvalues', reason: 'only 1 eigenvalue(s) above 0.00001' }
        : {
            status: 'ok',
            alpha,
            xmin: 1.5,
            xmax: lambdaMax,
            D: 0.08,
            sigma: (alpha - 1) / 4,
            numTail: 16,
            bestFit: 'PL',
          },
    mp: { status: 'failed', code: 'invalid-shape', reason: 'not implemented' },
    phase: {
      name: s.phase ?? 'heavy-tailed',
      rule: RULE_OF[s.phase ?? 'heavy-tailed'],
      evidence: {
        numEvals: 32,
        zeroFloor: 0.004,
        belowFloor: 0,
        aboveFloor: 0,
        stepNoise: 1e-4,
        zeroCount: 0,
        zeroFraction: 0,
        expectedZeroFraction: 0,
        rankLoss: 0,
        lambdaMax,
        ...(alpha === null ? {} : { alpha, D: 0.08, numTail: 16 }),
      },
      reason: 'set by the test',
    },
  };
}

export function skippedLayer(id: string, reason = 'bias vector', model = 0): SkippedLayer {
  return {
    id,
    model,
    name: id,
    kind: 'bias',
    shape: [64],
    dtype: 'F32',
    status: 'skipped',
    skipCode: 'bias',
    skipReason: reason,
  };
}

export function failedLayer(id: string, code: FailedLayer['failure']['code'] = 'solver', model = 0): FailedLayer {
  return {
    id,
    model,
    name: id,
    kind: 'dense',
    shape: [12, 10],
    dtype: 'F32',
    status: 'failed',
    failure: { code, reason: 'QL did not converge' },
  };
}

export function reportOf(
  layers: readonly LayerResult[],
  models: readonly ModelInfo[] = [
    { path: 'model.safetensors', format: 'safetensors', tensors: layers.length, bytes: 1000 },
  ],
): AnalysisReport {
  return makeReport(models, layers);
}
