/**
 * Per-layer decisions from α, as two papers of the heavy-tailed self-regularization line turn
 * a layer's spectrum into a training or compression setting:
 *
 *  - AlphaPruning (Lu, Zhou, Yang, Mahoney, Yang, *AlphaPruning: Using Heavy-Tailed Self
 *    Regularization Theory for Improved Layer-wise Pruning of Large Language Models*, NeurIPS
 *    2024): a heavier tail (smaller α) marks a better-trained layer, which is pruned less. With
 *    nᵢ = N·M·slices parameters, rᵢ = (1 − ε) + 2ε·(αᵢ − α_min)/(α_max − α_min) and
 *    sᵢ = rᵢ·S·Σnᵢ/Σnᵢrᵢ, so Σnᵢsᵢ = S·Σnᵢ. Layers without an α get S (and are left out of
 *    both sums, so the budget still holds). It assumes the layers are pruned by one method
 *    (Wanda, SparseGPT, magnitude) at these per-layer ratios.
 *  - TempBalance (Zhou, Pang, Liu, Martin, Mahoney, Yang, *Temperature Balancing, Layer-wise
 *    Weight Analysis, and Neural Network Training*, NeurIPS 2023): fᵢ = 0.5 + (αᵢ − α_min)/
 *    (α_max − α_min) ∈ [0.5, 1.5] scales the base learning rate per layer (under-trained layers,
 *    larger α, learn faster). It assumes the factors are re-estimated during training, with Hill
 *    α (the paper's estimator); a layer without an α keeps factor 1.
 * Pure functions of the report: no exit code depends on them.
 */
import type {
  AlphaSource,
  AnalysisReport,
  AnalyzedLayer,
  LearningRateRecommendation,
  PruningRecommendation,
} from './schema/index.js';

/** AlphaPruning's default ε (the paper's setting for LLaMA). */
export const DEFAULT_PRUNE_EPSILON = 0.3;

function alphaOf(l: AnalyzedLayer, source: AlphaSource): number | null {
  if (source === 'hill') return l.hill?.alpha ?? null;
  return l.powerLaw.status === 'ok' ? l.powerLaw.alpha : null;
}

function analysed(report: AnalysisReport, source: AlphaSource) {
  const layers = report.layers.filter((l): l is AnalyzedLayer => l.status === 'analyzed');
  const rows = layers.map((l) => ({ l, alpha: alphaOf(l, source), n: l.N * l.M * l.slices }));
  const alphas = rows.flatMap((r) => (r.alpha === null ? [] : [r.alpha]));
  let min = Infinity;
  let max = -Infinity;
  for (const a of alphas) {
    min = Math.min(min, a);
    max = Math.max(max, a);
  }
  // (α − α_min)/(α_max − α_min), 0.5 when every α is the same (no spread to rank by).
  const position = (a: number) => (max > min ? (a - min) / (max - min) : 0.5);
  return { rows, position };
}

export function pruningRecommendation(
  report: AnalysisReport,
  target: number,
  epsilon: number = DEFAULT_PRUNE_EPSILON,
  source: AlphaSource = 'power-law',
): PruningRecommendation {
  const { rows, position } = analysed(report, source);
  const ratio = (a: number) => 1 - epsilon + 2 * epsilon * position(a);
  let sumN = 0;
  let sumNR = 0;
  for (const r of rows) {
    if (r.alpha === null) continue;
    sumN += r.n;
    sumNR += r.n * ratio(r.alpha);
  }
  const layers = rows.map(({ l, alpha }) => ({
    model: l.model,
    id: l.id,
    name: l.name,
    sparsity: alpha === null ? target : (ratio(alpha) * target * sumN) / sumNR,
    alpha,
  }));
  return { target, epsilon, alphaSource: source, layers };
}

export function learningRateRecommendation(
  report: AnalysisReport,
  source: AlphaSource = 'hill',
): LearningRateRecommendation {
  const { rows, position } = analysed(report, source);
  const layers = rows.map(({ l, alpha }) => ({
    model: l.model,
    id: l.id,
    name: l.name,
    factor: alpha === null ? 1 : 0.5 + position(alpha),
    alpha,
  }));
  return { alphaSource: source, layers };
}
