/** Runs a generated matrix through the same pipeline the CLI uses (plan → ESD → fits → phase). */
import type { DType, TensorRef } from '../../src/types.js';
import type { AnalyzedLayer } from '../../src/schema/index.js';
import { planLayers } from '../../src/matrices.js';
import { analyzeLayer } from '../../src/layer.js';
import { skipReason } from '../../src/schema/words.js';
import type { GeneratedMatrix } from './families.js';
import { robustEntryRms } from '../../src/entry-rms.js';
import { phaseFeatures, type PhaseFeatures } from '../../src/phase.js';
import { fitPowerLaw } from '../../src/fit/powerlaw.js';

export async function analyseMatrix(
  values: Float64Array,
  rows: number,
  cols: number,
  dtype: DType,
  name = 'generated',
  options: { eigenvalues?: boolean } = {},
): Promise<AnalyzedLayer> {
  const ref: TensorRef = {
    name,
    shape: [rows, cols],
    dtype,
    file: '<generated>',
    byteLength: values.length * 4,
    kindHint: 'dense',
    storageKey: name,
    read: async () => values,
  };
  const [plan] = planLayers(ref);
  if (plan === undefined || plan.status !== 'analyze')
    throw new Error(`${name}: not analysable (${plan?.status === 'skipped' ? skipReason(plan.detail) : 'no plan'})`);
  return analyzeLayer(values, plan, { id: name, model: 0, name, kind: plan.kind, shape: ref.shape, dtype }, options);
}

export function analyseGenerated(g: GeneratedMatrix, options: { eigenvalues?: boolean } = {}): Promise<AnalyzedLayer> {
  return analyseMatrix(g.values, g.rows, g.cols, g.dtype, `${g.phase}#${g.seed}`, options);
}

/** The features the phase decision was made from, recomputed from a dense layer analysed with eigenvalues. */
export function featuresOfLayer(layer: AnalyzedLayer, values: Float64Array): PhaseFeatures {
  if (layer.eigenvalues === undefined) throw new Error('analyse with { eigenvalues: true } first');
  const evals = Float64Array.from(layer.eigenvalues);
  return phaseFeatures({
    evals,
    N: layer.N,
    M: layer.M,
    Q: layer.Q,
    slices: layer.slices,
    dtype: layer.dtype,
    metrics: layer.metrics,
    powerLaw: fitPowerLaw(evals),
    mp: layer.mp,
    entryRms: robustEntryRms(values),
  });
}
