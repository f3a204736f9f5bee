/**
 * The pipeline: model paths → layer results → report document. Never prints; the CLI
 * and library users get the same objects (DESIGN.md §2, §4).
 */
import { createHash } from 'node:crypto';
import picomatch from 'picomatch';
import type { LayerResult, LoadedModel, SkippedLayer, TensorRef } from './types.js';
import { openModel } from './load/index.js';
import { UsageError } from './errors.js';
import { DEFAULT_TRAP_SEED } from './traps.js';
import { DEFAULT_MIN_EVALS, planLayers, type LayerPlan } from './matrices.js';
import { analyzeLayer, type LayerIdentity } from './layer.js';
import { summarize } from './summary.js';
import { SCHEMA_VERSION, type AnalysisReport, type ModelInfo, type ShardOptions } from './report/json.js';
import { TOOL_NAME, TOOL_VERSION } from './version.js';
import type { EigenSolver } from './esd.js';
import { ShardRun, type ShardSpec } from './shard.js';

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
  /** Analyse only this part of the tensors (src/shard.ts); the report then carries `shard`. */
  readonly shard?: ShardSpec;
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
  const shard = options.shard ? await planShard(paths, select, options.shard, options) : undefined;
  const models: ModelInfo[] = [];
  const layers: LayerResult[] = [];
  for (const [index, path] of paths.entries()) {
    const model = await openModel(path);
    try {
      const tensors = model.tensors.filter((t) => select(t.name));
      if (tensors.length === 0) {
        throw new UsageError(`--layers/--exclude leave none of the ${model.tensors.length} weight tensors of ${path}`);
      }
      models.push({ path: model.path, format: model.format, tensors: model.tensors.length, bytes: model.bytes });
      layers.push(...(await analyzeModel(model, tensors, index, options, shard)));
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
    ...(shard ? { shard: shard.info(shardOptions(options)) } : {}),
  };
}

/**
 * The split of a sharded run, decided from every model's layer plans (headers only, no
 * weights read), so that each shard computes the same split on its own.
 */
async function planShard(paths: readonly string[], select: (name: string) => boolean, spec: ShardSpec, options: AnalyzeOptions): Promise<ShardRun> {
  const minEvals = options.minEvals ?? DEFAULT_MIN_EVALS;
  const models = [];
  for (const path of paths) {
    const model = await openModel(path);
    try {
      models.push(model.tensors.filter((t) => select(t.name)).map((t) => ({ storageKey: t.storageKey, plans: planLayers(t, minEvals) })));
    } finally {
      await model.close();
    }
  }
  return new ShardRun(models, spec);
}

/** The options that change results: parts of one merge must agree on them. */
function shardOptions(options: AnalyzeOptions): ShardOptions {
  return {
    layers: [...(options.layers ?? [])],
    exclude: [...(options.exclude ?? [])],
    minEvals: options.minEvals ?? DEFAULT_MIN_EVALS,
    eigenvalues: options.eigenvalues ?? false,
    randomize: options.randomize ?? false,
    seed: options.randomize ? (options.seed ?? DEFAULT_TRAP_SEED) : null,
    vectors: options.vectors ?? false,
  };
}

/** Why a tensor whose values repeat an earlier one's is not analysed (also used by the merge of shards). */
export function tiedWeightsReason(original: string): string {
  return `same values as '${original}' (tied weights, analysed once)`;
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
  shard?: ShardRun,
): Promise<LayerResult[]> {
  const minEvals = options.minEvals ?? DEFAULT_MIN_EVALS;
  const planned = tensors.map((t) => ({ tensor: t, plans: planLayers(t, minEvals) }));
  const total = planned.reduce((n, p, t) => n + (shard && !shard.owns(modelIndex, t) ? 0 : p.plans.length), 0);
  const results: LayerResult[] = [];
  // Same stored bytes (loader-level) or same values (tied weights saved twice): analysed once.
  const seenStorage = new Map<string, string>();
  const seenContent = new Map<string, string>();
  const report = (layer: string) => options.onProgress?.({ done: results.length, total, layer });

  for (const [t, { tensor, plans }] of planned.entries()) {
    if (shard && !shard.owns(modelIndex, t)) {
      // Another shard's tensor: never read, but its storage is noted as below so that the
      // duplicate checks of this shard's tensors decide exactly as in a single run.
      if (!plans.every((p) => p.status === 'skipped') && !seenStorage.has(tensor.storageKey)) seenStorage.set(tensor.storageKey, tensor.name);
      continue;
    }
    shard?.addTensor(modelIndex, t, plans.length);
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
    shard?.addDigest(modelIndex, t, plans.length, digest);
    const sameContent = seenContent.get(digest);
    if (sameContent !== undefined) {
      skipAll(tiedWeightsReason(sameContent));
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

export function skipped(identity: LayerIdentity, reason: string): SkippedLayer {
  return { ...identity, status: 'skipped', skipReason: reason };
}

/** Weights no spectrum can be computed from: non-finite values, or all zeros. */
function valueProblem(values: Float64Array): string | undefined {
  let nonFinite = 0;
  let nonZero = 0;
  let maxAbs = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) nonFinite++;
    else if (v !== 0) {
      nonZero++;
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
  }
  if (nonFinite > 0) return `contains ${nonFinite} non-finite value${nonFinite === 1 ? '' : 's'} (NaN or Inf)`;
  if (nonZero === 0) return 'all entries are zero';
  // The spectrum squares the entries (Gram product, Σλ = Σw²): past this they overflow float64.
  if (maxAbs * maxAbs * values.length > Number.MAX_VALUE) return `entries too large for float64 spectra (max |w| = ${maxAbs.toExponential(2)})`;
  return undefined;
}

function contentDigest(values: Float64Array, shape: readonly number[]): string {
  return createHash('sha1')
    .update(shape.join('x'))
    .update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength))
    .digest('hex');
}
