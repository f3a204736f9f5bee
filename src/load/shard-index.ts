/**
 * The JSON index of a sharded checkpoint (`*.safetensors.index.json`, `pytorch_model.bin.index.json`:
 * transformers' `save_pretrained` with `max_shard_size`): its `weight_map` names the shard
 * file of every tensor. Read once, size-capped, every entry checked; shared by the
 * safetensors and the PyTorch readers, which then open the shards and check the map against them.
 */
import { FormatError } from '../errors.js';
import type { FileSource } from './file.js';

/** Index files are kilobytes to a few megabytes (one entry per tensor). */
export const MAX_INDEX_BYTES = 100_000_000;

let collator: Intl.Collator | undefined;

/**
 * Shard names sort as people number them: model-2-of-10 before model-10-of-10. The ICU
 * collator is made on first use: made when the module loaded, it cost every start ~3 ms
 * (`--cpu-prof` of `rmt-analyze --version`), though only sharded checkpoints need it.
 */
export const SHARD_ORDER = (a: string, b: string): number => {
  collator ??= new Intl.Collator('en', { numeric: true });
  return collator.compare(a, b);
};

export interface ShardIndex {
  /** The shard files the map names, each once, in SHARD_ORDER. */
  readonly shards: string[];
  readonly weightMap: Record<string, string>;
}

/** Reads (and closes) an index file; `expected` names the kind in the JSON error. */
export async function readShardIndex(file: FileSource, expected: string): Promise<ShardIndex> {
  let text: string;
  try {
    if (file.size > MAX_INDEX_BYTES) throw new FormatError(`index file is ${file.size} bytes, above the cap`);
    text = Buffer.from(await file.read(0, file.size, 'index')).toString('utf8');
  } finally {
    await file.close();
  }
  let index: unknown;
  try {
    index = JSON.parse(text);
  } catch {
    throw new FormatError(`not valid JSON (expected a ${expected})`);
  }
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new FormatError('index has no "weight_map" object');
  }
  const shards = new Set<string>();
  for (const [tensor, shard] of Object.entries(map as Record<string, unknown>)) {
    if (typeof shard !== 'string') throw new FormatError(`weight_map entry for '${tensor}' is not a file name`);
    shards.add(shard);
  }
  if (shards.size === 0) throw new FormatError('weight_map is empty: no weights');
  return { shards: [...shards].sort(SHARD_ORDER), weightMap: map as Record<string, string> };
}
