/**
 * The whole v1 document (`--json`, `analyze()`'s result): models, layers, summary, gate and
 * the shard part's bookkeeping.
 */
import type { LayerKind, ModelFormat, ModelMetadata } from '../types.js';
import type { LayerResult, PhaseName } from './layer-result.js';
import type { Recommendations } from './recommendations.js';

export const SCHEMA_VERSION = 1 as const;

/** One model of the run: read (and its layers reported), or, among several, unreadable. */
export type ModelInfo = ReadModel | UnreadableModel;

export interface ReadModel {
  readonly path: string;
  readonly format: ModelFormat;
  /** Weight tensors found (analysed or skipped). */
  readonly tensors: number;
  /** Bytes on disk, external data and shards included. */
  readonly bytes: number;
  /** What the file says about the model (GGUF architecture and name, PyTorch container …), if anything. */
  readonly metadata?: ModelMetadata;
  /** This model's layers summarised as the whole run is (only when several models were analysed). */
  readonly summary?: Summary;
}

/**
 * A model that could not be read when several were given: the others are still reported
 * (DESIGN.md §4), this one has no layers, and the run exits 2. (With one model the run
 * fails instead, with nothing on stdout.)
 */
export interface UnreadableModel {
  readonly path: string;
  /** One line naming the file and the cause, as printed on stderr. */
  readonly error: string;
}

export interface Summary {
  readonly layers: number;
  readonly analyzed: number;
  readonly skipped: number;
  /** Layers whose computation failed (`status: 'failed'`); present only when there are some. */
  readonly failed?: number;
  /** Count of analysed layers per phase (every phase present, zeros included). */
  readonly phases: Readonly<Record<PhaseName, number>>;
  /** Means over analysed layers with a power-law fit (null when there are none). */
  readonly meanAlpha: number | null;
  readonly meanAlphaWeighted: number | null;
  /** Means over analysed layers (null when there are none). */
  readonly meanLogNorm: number | null;
  readonly meanStableRank: number | null;
}

/** One broken rule on one layer. */
export interface GateFailure {
  /** The layer's `id`. */
  readonly layer: string;
  /** Index into `models` (ids repeat across models). */
  readonly model: number;
  /** The rule, as one line: `alpha-range 2:6 for *attn*`. */
  readonly rule: string;
  /** What broke it: the layer's phase name, or its α. */
  readonly value: string | number;
}

export interface GateResult {
  readonly passed: boolean;
  readonly failures: readonly GateFailure[];
}

/** Content digest of a tensor a shard read, so that the merge can redo the tied-weight check across shards. */
export interface ShardDigest {
  /** Position of the tensor's first layer in the single-run document. */
  readonly position: number;
  /** How many layers the tensor has. */
  readonly layers: number;
  readonly sha1: string;
}

/** The analysis options that shape results; the parts of one merge must agree on them. */
export interface ShardOptions {
  readonly layers: readonly string[];
  readonly exclude: readonly string[];
  /** --kind, when given. */
  readonly kinds?: readonly LayerKind[];
  readonly minEvals: number;
  readonly eigenvalues: boolean;
  /** --randomize, and its --seed (null without --randomize). */
  readonly randomize: boolean;
  readonly seed: number | null;
  /** --vectors. */
  readonly vectors: boolean;
}

/**
 * Present only in the output of `--shard i/n`: what `rmt-analyze merge` needs to rebuild the
 * single-run document (which never has this field).
 */
export interface ShardInfo {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
  /** Layers in the whole (single-run) document. */
  readonly totalLayers: number;
  /** For each of this part's layers, in order, its index in the single-run document's `layers`. */
  readonly positions: readonly number[];
  readonly digests: readonly ShardDigest[];
  readonly options: ShardOptions;
  /** Estimated cost (Σ slices·M²·(N + M)) of this part and of the whole run. */
  readonly cost: { readonly part: number; readonly total: number };
}

/** The whole `--json` document (schema v1). */
export interface AnalysisReport {
  readonly schemaVersion: typeof SCHEMA_VERSION;
  readonly tool: { readonly name: string; readonly version: string };
  readonly models: readonly ModelInfo[];
  readonly layers: readonly LayerResult[];
  readonly summary: Summary;
  readonly gate?: GateResult;
  /** With --prune / --lr-balance: per-layer decisions from α (src/recommend.ts). */
  readonly recommendations?: Recommendations;
  /** Only in a part written with `--shard i/n`. */
  readonly shard?: ShardInfo;
}
