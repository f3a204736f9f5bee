/**
 * The pipeline: model paths → layer results → report document. Never prints; the CLI
 * and library users get the same objects (DESIGN.md §2, §4).
 */
import { createHash } from 'node:crypto';
import picomatch from 'picomatch';
import type { LayerResult, LoadedModel, SkippedLayer, TensorRef } from './types.js';
import { openModel } from './load/index.js';
import { DEFAULT_MIN_EVALS, planLayers, type LayerPlan } from './matrices.js';
import { analyzeLayer, type LayerIdentity } from './layer.js';
import { summarize } from './summary.js';
import { SCHEMA_VERSION, type AnalysisReport, type ModelInfo } from './report/json.js';
import { TOOL_NAME, TOOL_VERSION } from './version.js';
import type { EigenSolver } from './esd.js';

export interface ProgressEvent {
  /** Layers finished so far and in all (skipped ones included). */
  readonly done: number;
  readonly total: number;
  /** The layer just finished. */
  readonly layer: string;
}

export interface AnalyzeOptions {
  /** Analyse only tensors whose name matches one of these globs (`*` crosses `.` and `/`). */
  readonly layers?: readonly string[];
  /** Leave out tensors whose name matches one of these globs. */
  readonly exclude?: readonly string[];
  /** A layer is analysed when M·slices ≥ minEvals (default 10). */
  readonly minEvals?: number;
  /** Include each layer's eigenvalues. */
  readonly eigenvalues?: boolean;
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Eigenvalue solver (tests and the worker pool substitute their own). */
  readonly solve?: EigenSolver;
  /** Correlation traps: shuffle each W (seeded) and count eigenvalues above the MP edge (`traps`). */
  readonly randomize?: boolean;
  /** Seed of the shuffle for `randomize` (default 0). */
  readonly seed?: number;
  /** Eigenvector localization of every analysed layer (`vectors`); O(M³) per layer. */
  readonly vectors?: boolean;
  /** One-line warnings (e.g. a slow --vectors layer); the library never prints them itself. */
  readonly onWarning?: (message: string) => void;
}

/** Analyses every weight tensor of every model; throws InputError on unreadable input. */
export async function analyze(paths: readonly string[], options: AnalyzeOptions = {}): Promise<AnalysisReport> {
  const select = tensorFilter(options);
  const models: ModelInfo[] = [];
  const layers: LayerResult[] = [];
  for (const [index, path] of paths.entries()) {
    const model = await openModel(path);
    try {
      const tensors = model.tensors.filter((t) => select(t.name));
      models.push({ path: model.path, format: model.format, tensors: model.tensors.length, bytes: model.bytes });
      layers.push(...(await analyzeModel(model, tensors, index, options)));
    } finally {
      await model.close();
    }
  }
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    models,
    layers,
    summary: summarize(layers),
  };
}

function tensorFilter(options: AnalyzeOptions): (name: string) => boolean {
  const glob = (patterns: readonly string[] | undefined) =>
    patterns && patterns.length > 0 ? picomatch(patterns as string[], { bash: true, dot: true }) : undefined;
  const include = glob(options.layers);
  const exclude = glob(options.exclude);
  return (name) => (include === undefined || include(name)) && (exclude === undefined || !exclude(name));
}

async function analyzeModel(
  model: LoadedModel,
  tensors: readonly TensorRef[],
  modelIndex: number,
  options: AnalyzeOptions,
): Promise<LayerResult[]> {
  const minEvals = options.minEvals ?? DEFAULT_MIN_EVALS;
  const planned = tensors.map((t) => ({ tensor: t, plans: planLayers(t, minEvals) }));
  const total = planned.reduce((n, p) => n + p.plans.length, 0);
  const results: LayerResult[] = [];
  // Same stored bytes (loader-level) or same values (tied weights saved twice): analysed once.
  const seenStorage = new Map<string, string>();
  const seenContent = new Map<string, string>();
  const report = (layer: string) => options.onProgress?.({ done: results.length, total, layer });

  for (const { tensor, plans } of planned) {
    const identity = (plan: LayerPlan): LayerIdentity => ({
      id: tensor.name + plan.idSuffix,
      model: modelIndex,
      name: tensor.name,
      kind: plan.kind,
      shape: tensor.shape,
      dtype: tensor.dtype,
    });
    const skipAll = (reason: string) => {
      for (const plan of plans) {
        results.push(skipped(identity(plan), reason));
        report(tensor.name);
      }
    };
    if (plans.every((p) => p.status === 'skipped')) {
      for (const plan of plans) {
        results.push(skipped(identity(plan), plan.status === 'skipped' ? plan.reason : ''));
        report(tensor.name);
      }
      continue;
    }
    const sameStorage = seenStorage.get(tensor.storageKey);
    if (sameStorage !== undefined) {
      skipAll(`same stored tensor as '${sameStorage}' (analysed once)`);
      continue;
    }
    seenStorage.set(tensor.storageKey, tensor.name);

    const values = await tensor.read();
    const problem = valueProblem(values);
    if (problem !== undefined) {
      skipAll(problem);
      continue;
    }
    const digest = contentDigest(values, tensor.shape);
    const sameContent = seenContent.get(digest);
    if (sameContent !== undefined) {
      skipAll(`same values as '${sameContent}' (tied weights, analysed once)`);
      continue;
    }
    seenContent.set(digest, tensor.name);

    for (const plan of plans) {
      if (plan.status === 'skipped') {
        results.push(skipped(identity(plan), plan.reason));
      } else {
        results.push(
          await analyzeLayer(values, plan, identity(plan), {
            eigenvalues: options.eigenvalues,
            solve: options.solve,
            randomize: options.randomize,
            seed: options.seed,
            vectors: options.vectors,
            onWarning: options.onWarning,
          }),
        );
      }
      report(tensor.name);
    }
  }
  return results;
}

function skipped(identity: LayerIdentity, reason: string): SkippedLayer {
  return { ...identity, status: 'skipped', skipReason: reason };
}

/** Weights no spectrum can be computed from: non-finite values, or all zeros. */
function valueProblem(values: Float64Array): string | undefined {
  let nonFinite = 0;
  let nonZero = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) nonFinite++;
    else if (v !== 0) nonZero++;
  }
  if (nonFinite > 0) return `contains ${nonFinite} non-finite value${nonFinite === 1 ? '' : 's'} (NaN or Inf)`;
  if (nonZero === 0) return 'all entries are zero';
  return undefined;
}

function contentDigest(values: Float64Array, shape: readonly number[]): string {
  return createHash('sha1')
    .update(shape.join('x'))
    .update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength))
    .digest('hex');
}
