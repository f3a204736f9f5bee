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
  return {
    schemaVersion: SCHEMA_VERSION,
    tool,
    models: withModelSummaries(models, layers),
    layers,
    summary: summarize(layers),
  };
}

/**
 * With several models each readable one carries its own summary (`models[i].summary`, the
 * shape of the top-level one), recomputed from `layers` whatever `models` held; with one
 * model the top-level summary is its summary, and there is none per model.
 */
function withModelSummaries(models: readonly ModelInfo[], layers: readonly LayerResult[]): ModelInfo[] {
  const bare = models.map(withoutModelSummary);
  if (bare.length < 2) return bare;
  const byModel = bare.map((): LayerResult[] => []);
  for (const l of layers) byModel[l.model]?.push(l);
  return bare.map((m, i) => ('error' in m ? m : { ...m, summary: summarize(byModel[i]!) }));
}

/** A model's entry without its summary (how shard parts are compared). */
export function withoutModelSummary(m: ModelInfo): ModelInfo {
  if ('error' in m || m.summary === undefined) return m;
  const { summary: _s, ...rest } = m;
  return rest;
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
