/**
 * The pipeline: model paths → layer results → report document. Never prints; the CLI
 * and library users get the same objects (DESIGN.md §2, §4).
 */
import type { LayerKind, LowRankFactors, TensorRef } from './types.js';
import type { LayerResult, SkippedLayer } from './schema/index.js';
import { skipReason, type SkipDetail } from './schema/words.js';
import { openModelWithBase, tensorReadError } from './load/index.js';
import { InputError, UsageError, WorkerCrash } from './errors.js';
import { selectionFlags, shardOptions, tensorFilter, type TensorFilter } from './selection.js';
import { DEFAULT_MIN_EVALS, dealtPositions, onDealt, planLayers, type LayerPlan } from './matrices.js';
import { analyzeLayer, type LayerIdentity } from './layer.js';
import { makeReport } from './schema/index.js';
import type { AnalysisReport, FailedLayer, LayerFailureCode, ModelInfo } from './schema/index.js';
import type { EigenSolver } from './esd.js';
import { Compute } from './compute.js';
import { ShardRun, type ShardSpec } from './shard.js';
import { DealtScan, digestBlocks, digestDealt, digestWhole, scanBlocks, scanWhole } from './tensor-scan.js';
import { digestAgain, TiedContent } from './tied-content.js';
import { blockPlan, matrixReader } from './stacked-read.js';
import { appendAll } from './arrays.js';
import { tensorWork, WorkProgress, type ProgressEvent } from './progress-work.js';

export type { ProgressEvent } from './progress-work.js';

export interface AnalyzeOptions {
  /** Analyse only tensors whose name matches one of these globs (`*` crosses `.` and `/`). */
  readonly layers?: readonly string[];
  /** Leave out tensors whose name matches one of these globs. */
  readonly exclude?: readonly string[];
  /** Analyse only layers of these kinds (`dense`, `conv2d`, …; `--kind`). */
  readonly kind?: readonly LayerKind[];
  /** Analyse only the tensors with exactly these names (after `layers`/`exclude`); `plot` uses it. */
  readonly tensors?: readonly string[];
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
  /** Cores to use (default: all): layers side by side, or every core inside one large layer. */
  readonly jobs?: number;
  /**
   * Stacks of matrices larger than this many bytes as float64 are read one matrix at a time
   * (src/stacked-read.ts; default READ_BY_MATRIX_ABOVE). Tests set 0 or Infinity.
   */
  readonly readByMatrixAbove?: number;
  /** Kernels read dealt by position (src/load/dealt.ts; default true). Tests set false to compare. */
  readonly readDealt?: boolean;
  /** Tensors above this many bytes as float64 wait for their cores before they are read (compute.ts; tests: 0). */
  readonly readAheadMaxBytes?: number;
  /** Information that is no problem (a selection that fits only some of several models). */
  readonly onNote?: (message: string) => void;
  /** A LoRA adapter's base model (`--base`): W and W + ΔW are analysed beside each ΔW. */
  readonly base?: string;
}

/** Analyses every weight tensor of every model; throws InputError on unreadable input. */
export async function analyze(paths: readonly string[], options: AnalyzeOptions = {}): Promise<AnalysisReport> {
  const select = tensorFilter(options);
  const shard = options.shard ? await planShard(paths, select, options.shard, options) : undefined;
  const models: ModelInfo[] = [];
  const layers: LayerResult[] = [];
  const compute = new Compute(options);
  let unselected = 0;
  try {
    for (const [index, path] of paths.entries()) {
      try {
        const model = await openModelWithBase(path, options.base);
        try {
          const tensors = model.tensors.filter(select);
          if (tensors.length === 0) {
            const none = `${selectionFlags(options)} none of the ${model.tensors.length} weight tensors of ${path}`;
            // Among several models a selection may fit only some: a note, unless it fits none.
            if (paths.length === 1) throw new UsageError(none);
            (options.onNote ?? options.onWarning)?.(none);
            unselected++;
          }
          for (const note of model.notes ?? []) options.onWarning?.(`${path}: ${note}`);
          const found = await analyzeModel(tensors, index, options, compute, paths.length, shard, model.tensors);
          models.push({
            path: model.path,
            format: model.format,
            tensors: model.tensors.length,
            bytes: model.bytes,
            ...(model.metadata !== undefined ? { metadata: model.metadata } : {}),
          });
          appendAll(layers, found);
        } finally {
          await model.close();
        }
      } catch (e) {
        // Among several models an unreadable one is reported as such and the others still
        // are (DESIGN.md §4); alone, it is the run's error.
        if (paths.length === 1 || !(e instanceof InputError)) throw e;
        models.push({ path, error: e.message });
      }
    }
  } finally {
    await compute.close();
  }
  if (paths.length > 1 && unselected === paths.length)
    throw new UsageError(`${selectionFlags(options)} no weight tensor in any of the ${paths.length} models`);
  const report = makeReport(models, layers);
  return shard ? { ...report, shard: shard.info(shardOptions(options)) } : report;
}

/** The layers of tensors already at hand (src/analyze-matrix.ts): the pipeline a file's tensors go through. */
export async function analyzeTensors(
  tensors: readonly TensorRef[],
  options: AnalyzeOptions = {},
): Promise<LayerResult[]> {
  const compute = new Compute(options);
  try {
    return await analyzeModel(tensors, 0, options, compute, 1);
  } finally {
    await compute.close();
  }
}

/**
 * The split of a sharded run, decided from every model's layer plans (headers only, no
 * weights read), so that each shard computes the same split on its own.
 */
async function planShard(
  paths: readonly string[],
  select: TensorFilter,
  spec: ShardSpec,
  options: AnalyzeOptions,
): Promise<ShardRun> {
  const minEvals = options.minEvals ?? DEFAULT_MIN_EVALS;
  const models = [];
  for (const path of paths) {
    const model = await openModelWithBase(path, options.base);
    try {
      models.push(
        model.tensors.filter(select).map((t) => ({ storageKey: t.storageKey, plans: planLayers(t, minEvals) })),
      );
    } finally {
      await model.close();
    }
  }
  return new ShardRun(models, spec);
}

async function analyzeModel(
  tensors: readonly TensorRef[],
  modelIndex: number,
  options: AnalyzeOptions,
  compute: Compute,
  modelCount: number,
  shard?: ShardRun,
  whole: readonly TensorRef[] = tensors,
): Promise<LayerResult[]> {
  const minEvals = options.minEvals ?? DEFAULT_MIN_EVALS;
  const planned = tensors.map((t) => ({ tensor: t, plans: planLayers(t, minEvals) }));
  // The eigen paths are chosen on the whole model (every tensor, selected or not), so that a
  // selection or a shard of it computes each layer exactly as a whole run does.
  const plansOf = new Map(planned.map((p) => [p.tensor, p.plans]));
  const wholePlans = whole.flatMap((t) => plansOf.get(t) ?? planLayers(t, minEvals));
  compute.warmUpFor(
    planned.flatMap((p) => p.plans),
    wholePlans,
  );
  compute.callerIdle(false);
  const owned = planned.map((p, t) =>
    shard && !shard.owns(modelIndex, t) ? undefined : tensorWork(p.tensor, p.plans),
  );
  const progress = new WorkProgress(owned, modelIndex, modelCount, options.onProgress);
  // One entry per tensor, in file order; analyses run concurrently but land in order.
  const perTensor: Promise<LayerResult[]>[] = [];
  // Same stored bytes (loader-level) or same values (tied weights saved twice): analysed once.
  // Tensors are read in order, so "first" is the first in the file whatever finishes first.
  const seenStorage = new Map<string, string>();
  const seenContent = new TiedContent();

  for (const [t, { tensor, plans }] of planned.entries()) {
    if (shard && !shard.owns(modelIndex, t)) {
      // Another shard's tensor: never read, but its storage is noted as below so that the
      // duplicate checks of this shard's tensors decide exactly as in a single run.
      if (!plans.every((p) => p.status === 'skipped') && !seenStorage.has(tensor.storageKey))
        seenStorage.set(tensor.storageKey, tensor.name);
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
    const settle = (layers: LayerResult[]) =>
      perTensor.push(Promise.resolve(progress.finished(t, layers, tensor.name)));
    const skipAll = (detail: SkipDetail) => settle(plans.map((plan) => skipped(identity(plan), detail)));

    if (plans.every((p) => p.status === 'skipped')) {
      settle(plans.flatMap((plan) => (plan.status === 'skipped' ? [skipped(identity(plan), plan.detail)] : [])));
      continue;
    }
    const sameStorage = seenStorage.get(tensor.storageKey);
    if (sameStorage !== undefined) {
      skipAll({ code: 'shared-storage', original: sameStorage });
      continue;
    }
    seenStorage.set(tensor.storageKey, tensor.name);

    // The tensor is read and checked before it asks for cores, so that it is read while the
    // tensors before it are computed (issue 14: overlap). This loop waits for the budget right
    // after, so at most one tensor is held ahead of those computing: peak memory stays a
    // bounded multiple of the largest tensor. One too large to hold beside them waits first.
    const elements = tensor.shape.reduce((a, b) => a * b, 1);
    const weight = compute.weight(plans, elements);
    // A large stack of matrices is checked in passes over one matrix at a time and each of
    // its layers reads its own matrix; anything else is read whole (src/stacked-read.ts).
    const byMatrix = matrixReader(tensor, plans, options.readByMatrixAbove);
    const waitFirst = byMatrix === undefined && !compute.readsAhead(elements);
    if (waitFirst) await compute.acquire(weight);
    const skip = (detail: SkipDetail) => {
      if (waitFirst) compute.budget.release(weight);
      skipAll(detail);
    };
    // A tensor that cannot be read makes the file unreadable: the run stops with one line
    // naming the file and the tensor, as when the same defect is found while opening it (the
    // next model, if any, still runs: cores taken above are given back; the task's, by it).
    let taskHolds = false;
    const readError = (e: unknown) => {
      if (waitFirst && !taskHolds) compute.budget.release(weight);
      throw tensorReadError(tensor, e);
    };
    // A LoRA update is checked on its factors; the dense ΔW is made only when a shuffle or
    // eigenvectors need it.
    const factors =
      tensor.lowRank && !options.randomize && !options.vectors
        ? await tensor.lowRank.factors().catch(readError)
        : undefined;
    // A kernel's slices are read dealt by kernel position, without its row-major array.
    const rowMajor = factors || byMatrix || options.randomize || options.vectors || options.readDealt === false;
    const positions = rowMajor ? undefined : dealtPositions(plans);
    const dealtScan =
      positions && tensor.readDealt ? new DealtScan(elements, tensor.shape, shard !== undefined) : undefined;
    const dealt = dealtScan ? await tensor.readDealt!(positions!, dealtScan).catch(readError) : undefined;
    const values = factors
      ? concatFactors(factors)
      : byMatrix || dealt
        ? new Float64Array(0)
        : await tensor.read().catch(readError);
    // The shape the checks see: a LoRA update is checked on its factors, end to end.
    const scanned = factors ? [values.length] : tensor.shape;
    // A shard records every digest; otherwise one is taken only for a possible tie (tied-content.ts).
    const scan = byMatrix
      ? await scanBlocks(byMatrix.read, byMatrix.piece, scanned, shard !== undefined).catch(readError)
      : dealt
        ? dealtScan!.finish(dealt)
        : scanWhole(values, scanned, shard !== undefined);
    const problem = scan.checks.problem();
    if (problem !== undefined) {
      skip(problem);
      continue;
    }
    let sameContent: string | undefined;
    if (shard) {
      const digest = scan.checks.digest();
      shard.addDigest(modelIndex, t, plans.length, digest);
      sameContent = seenContent.digested(tensor.name, digest);
    } else {
      const now = () =>
        byMatrix
          ? digestBlocks(byMatrix.read, byMatrix.piece, scanned)
          : dealt
            ? digestDealt(dealt, scanned)
            : digestWhole(values, scanned);
      const later = digestAgain(tensor, scanned, byMatrix, factors ? concatFactors : undefined);
      sameContent = await seenContent.originalOf(tensor.name, scan.checks.fingerprint(), now, later).catch(readError);
    }
    if (sameContent !== undefined) {
      skip({ code: 'tied', original: sameContent });
      continue;
    }

    const lowRank = tensor.lowRank;
    const stepNoise = tensor.stepNoise ? await tensor.stepNoise().catch(readError) : undefined;
    const layerOptions = {
      stepNoise,
      // The tensor's robust RMS from the scan above (a LoRA layer, analysed from factors, ignores it).
      entryRms: scan.entryRms,
      // The scan's magnitudes cover the values the layers see (not a LoRA update's factors).
      unscaled: factors === undefined && scan.checks.neverScaled(),
      lowRank: lowRank && (factors ? async () => factors : () => lowRank.factors().catch(readError)),
      eigenvalues: options.eigenvalues,
      solve: compute.solve,
      solveSlice: compute.solveSlice,
      accurate: compute.accurate,
      powerLaw: compute.powerLaw,
      randomize: options.randomize,
      seed: options.seed,
      vectors: options.vectors,
      onWarning: options.onWarning,
      reload: () =>
        tensor.read().catch((e: unknown) => {
          throw new LayerFailure('read', tensorReadError(tensor, e));
        }),
    };
    if (!waitFirst) await compute.acquire(weight);
    taskHolds = true;
    const task = (async () => {
      try {
        progress.started(tensor.name);
        const out: LayerResult[] = [];
        for (const plan of plans) {
          if (plan.status === 'skipped') out.push(skipped(identity(plan), plan.detail));
          else if (byMatrix === undefined) {
            const on = dealt ? onDealt(plan, dealt) : plan;
            out.push(await analyzeOrFail(values, on, identity(plan), layerOptions));
          } else {
            // This matrix alone, read again now and dropped once its layer is done.
            const { first, count } = plan.block!;
            const read = () =>
              byMatrix.read(first, count).catch((e: unknown) => {
                throw new LayerFailure('read', tensorReadError(tensor, e));
              });
            const matrix = { ...layerOptions, reload: read };
            out.push(await analyzeOrFail(read, blockPlan(plan), identity(plan), matrix));
          }
        }
        return progress.finished(t, out, tensor.name);
      } finally {
        compute.budget.release(weight);
      }
    })();
    // Failures surface through Promise.all below; this only keeps an early one from
    // being reported as unhandled while later tensors are still being read.
    task.catch(() => undefined);
    perTensor.push(task);
  }
  // Every tensor is read: this thread now only waits, and may take work back (compute.ts).
  compute.callerIdle(true);
  return (await Promise.all(perTensor)).flat();
}

/**
 * One layer's analysis; a solver error, a worker crash or a failed re-read becomes that
 * layer's `failed` result so that the rest of the model is still reported (DESIGN.md §2).
 */
async function analyzeOrFail(
  values: Float64Array | (() => Promise<Float64Array>),
  plan: Extract<LayerPlan, { status: 'analyze' }>,
  identity: LayerIdentity,
  options: Parameters<typeof analyzeLayer>[3],
): Promise<LayerResult> {
  try {
    return await analyzeLayer(typeof values === 'function' ? await values() : values, plan, identity, options);
  } catch (e) {
    const failure = e instanceof LayerFailure ? e : new LayerFailure(e instanceof WorkerCrash ? 'worker' : 'solver', e);
    return {
      ...identity,
      status: 'failed',
      failure: { code: failure.code, reason: failure.message || 'unknown error' },
    } satisfies FailedLayer;
  }
}

/** Tags an error with the stage of one layer's analysis that raised it. */
class LayerFailure extends Error {
  constructor(
    readonly code: LayerFailureCode,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

export function skipped(identity: LayerIdentity, detail: SkipDetail): SkippedLayer {
  return { ...identity, status: 'skipped', skipCode: detail.code, skipReason: skipReason(detail) };
}

/**
 * A LoRA pair's entries, s·A then B, for the value checks and the tied-weight digest. When
 * either factor is all zero (peft initialises B to zero) ΔW is zero, and so are these.
 */
function concatFactors(f: LowRankFactors): Float64Array {
  const out = new Float64Array(f.a.length + f.b.length);
  if (f.a.every((x) => x === 0) || f.b.every((x) => x === 0)) return out;
  for (let i = 0; i < f.a.length; i++) out[i] = f.scale * f.a[i]!;
  out.set(f.b, f.a.length);
  return out;
}
