/**
 * Which tensors a run analyses: --layers and --exclude patterns (src/layer-pattern.ts),
 * --kind, and the exact names `plot` asks for; and the options a shard part records.
 */
import { patternsMatcher } from './layer-pattern.js';
import { DEFAULT_MIN_EVALS, layerKind } from './matrices.js';
import type { ShardOptions } from './schema/index.js';
import { DEFAULT_TRAP_SEED } from './traps.js';
import type { LayerKind, TensorRef } from './types.js';
import { UsageError } from './errors.js';

/** Every layer kind, for `--kind`. */
export const LAYER_KINDS = [
  'dense',
  'embedding',
  'conv1d',
  'conv2d',
  'conv3d',
  'recurrent',
  'lora',
  'bias',
  'norm',
  'other',
] as const satisfies readonly LayerKind[];
/** A compile error here means a kind is missing from LAYER_KINDS. */
const _everyKind: Exclude<LayerKind, (typeof LAYER_KINDS)[number]> extends never ? true : never = true;
void _everyKind;

/** `dense,conv2d` → kinds; a usage error naming the valid ones otherwise. */
export function parseKinds(text: string): LayerKind[] {
  const names = text.split(',').map((s) => s.trim());
  for (const n of names)
    if (!(LAYER_KINDS as readonly string[]).includes(n))
      throw new UsageError(`--kind: unknown kind '${n}' (kinds: ${LAYER_KINDS.join(', ')})`);
  return [...new Set(names)] as LayerKind[];
}

/** The analysis options that select tensors or shape results (a part of AnalyzeOptions). */
export interface SelectionOptions {
  readonly layers?: readonly string[];
  readonly exclude?: readonly string[];
  readonly tensors?: readonly string[];
  readonly kind?: readonly LayerKind[];
  readonly minEvals?: number;
  readonly eigenvalues?: boolean;
  readonly randomize?: boolean;
  readonly seed?: number;
  readonly vectors?: boolean;
}

export type TensorFilter = (tensor: Pick<TensorRef, 'name' | 'shape' | 'kindHint'>) => boolean;

/** The tensors `options` select (a tensor's layers all have its kind). */
export function tensorFilter(options: SelectionOptions): TensorFilter {
  const include = patternsMatcher(options.layers);
  const exclude = patternsMatcher(options.exclude);
  const exact = options.tensors ? new Set(options.tensors) : undefined;
  const kinds = options.kind && options.kind.length > 0 ? new Set(options.kind) : undefined;
  return (t) =>
    (include === undefined || include(t.name)) &&
    (exclude === undefined || !exclude(t.name)) &&
    (exact === undefined || exact.has(t.name)) &&
    (kinds === undefined || kinds.has(layerKind(t)));
}

/** The flags that narrowed the selection and a verb, for messages: `--layers/--exclude leave`, `--kind leaves`. */
export function selectionFlags(options: SelectionOptions): string {
  const flags = [
    ...(options.layers?.length ? ['--layers'] : []),
    ...(options.exclude?.length ? ['--exclude'] : []),
    ...(options.kind?.length ? ['--kind'] : []),
  ];
  return `${flags.length > 0 ? flags.join('/') : '--layers/--exclude'} ${flags.length === 1 ? 'leaves' : 'leave'}`;
}

/** The options that change results: parts of one merge must agree on them. */
export function shardOptions(options: SelectionOptions): ShardOptions {
  return {
    layers: [...(options.layers ?? [])],
    exclude: [...(options.exclude ?? [])],
    // Only when given, so that parts written before --kind existed still merge.
    ...(options.kind?.length ? { kinds: [...options.kind] } : {}),
    minEvals: options.minEvals ?? DEFAULT_MIN_EVALS,
    eigenvalues: options.eigenvalues ?? false,
    randomize: options.randomize ?? false,
    seed: options.randomize ? (options.seed ?? DEFAULT_TRAP_SEED) : null,
    vectors: options.vectors ?? false,
  };
}
