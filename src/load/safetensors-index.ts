/**
 * A sharded safetensors model: `*.safetensors.index.json` (transformers' `save_pretrained`
 * with `max_shard_size`), whose `weight_map` names the shard file of every tensor. The
 * shards are resolved inside the index's folder and checked against the map.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LoadedModel } from '../types.js';
import { FormatError } from '../errors.js';
import type { ModelFormatModule } from './format.js';
import { resolveInside } from './paths.js';
import { MAX_HEADER_BYTES, openShards } from './safetensors.js';

export async function openShardedIndex(path: string): Promise<LoadedModel> {
  const st = await stat(path);
  if (st.size > MAX_HEADER_BYTES) throw new FormatError(`index file is ${st.size} bytes, above the cap`);
  let index: unknown;
  try {
    index = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    throw new FormatError('not valid JSON (expected a *.safetensors.index.json)');
  }
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new FormatError('index has no "weight_map" object');
  }
  const folder = dirname(path);
  // A Set: the map can list hundreds of thousands of tensors (a linear `includes` per entry is quadratic).
  const names = new Set<string>();
  for (const [tensor, shard] of Object.entries(map as Record<string, unknown>)) {
    if (typeof shard !== 'string') throw new FormatError(`weight_map entry for '${tensor}' is not a file name`);
    names.add(shard);
  }
  const shardNames = [...names];
  if (shardNames.length === 0) throw new FormatError('weight_map is empty: no weights');
  shardNames.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return openShards(
    path,
    await Promise.all(shardNames.map((s) => resolveInside(folder, s, 'shard'))),
    map as Record<string, string>,
  );
}

/**
 * True when `head` is JSON text opening an object: '{' after an optional UTF-8 BOM and
 * ASCII whitespace. Also how `compare` tells a JSON report from a model.
 */
export function startsWithJsonObject(head: Uint8Array): boolean {
  let i = 0;
  const n = head.length;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3;
  while (i < n && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  return i < n && head[i] === 0x7b;
}

export const safetensorsIndexFormat: ModelFormatModule = {
  name: 'safetensors-index',
  sniff: (head) => startsWithJsonObject(head),
  open: openShardedIndex,
};
