/**
 * Model-level summary of the layer results (JSON `summary`, the table's footer) and the one
 * place that assembles the document.
 */
import { PHASE_NAMES, type LayerResult, type PhaseName } from './layer-result.js';
import { SCHEMA_VERSION, type AnalysisReport, type ModelInfo, type Summary } from './report.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';

/** The v1 document for these models and layers: the one place that assembles it. */
export function makeReport(
  models: readonly ModelInfo[],
  layers: readonly LayerResult[],
  tool: AnalysisReport['tool'] = { name: TOOL_NAME, version: TOOL_VERSION },
): AnalysisReport {
  return { schemaVersion: SCHEMA_VERSION, tool, models, layers, summary: summarize(layers) };
}

export function summarize(layers: readonly LayerResult[]): Summary {
  const phases = Object.fromEntries(PHASE_NAMES.map((p) => [p, 0])) as Record<PhaseName, number>;
  const alpha: number[] = [];
  const alphaWeighted: number[] = [];
  const logNorm: number[] = [];
  const stableRank: number[] = [];
  let analyzed = 0;
  let failed = 0;
  for (const l of layers) {
    if (l.status === 'failed') failed++;
    if (l.status !== 'analyzed') continue;
    analyzed++;
    phases[l.phase.name]++;
    if (l.powerLaw.status === 'ok') alpha.push(l.powerLaw.alpha);
    if (l.metrics.alphaWeighted !== null) alphaWeighted.push(l.metrics.alphaWeighted);
    logNorm.push(l.metrics.logNorm);
    stableRank.push(l.metrics.stableRank);
  }
  return {
    layers: layers.length,
    analyzed,
    skipped: layers.length - analyzed - failed,
    // Only when a layer failed, so that documents without failures stay as they were.
    ...(failed > 0 ? { failed } : {}),
    phases,
    meanAlpha: mean(alpha),
    meanAlphaWeighted: mean(alphaWeighted),
    meanLogNorm: mean(logNorm),
    meanStableRank: mean(stableRank),
  };
}

function mean(xs: readonly number[]): number | null {
  const finite = xs.filter(Number.isFinite);
  if (finite.length === 0) return null;
  return finite.reduce((a, b) => a + b, 0) / finite.length;
}
