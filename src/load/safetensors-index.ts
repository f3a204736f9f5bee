/**
 * A sharded safetensors model: `*.safetensors.index.json` (transformers' `save_pretrained`
 * with `max_shard_size`), whose `weight_map` names the shard file of every tensor. The
 * shards are resolved inside the index's folder and checked against the map.
 */
import { dirname } from 'node:path';
import type { LoadedModel } from '../types.js';
import { FileSource } from './file.js';
import type { ModelFormatModule } from './format.js';
import { ModelFolder } from './paths.js';
import { openShards } from './safetensors.js';
import { readShardIndex } from './shard-index.js';

export { SHARD_ORDER } from './shard-index.js';

/**
 * Opens the index at `path` (`source`: the index already opened by the caller, then owned
 * here) and its shards. Linear in the size of the map: names are collected in a Set and
 * resolved and opened a bounded number at a time (bounded.ts).
 */
export async function openShardedIndex(path: string, source?: FileSource): Promise<LoadedModel> {
  const { shards, weightMap } = await readShardIndex(
    source ?? (await FileSource.open(path)),
    '*.safetensors.index.json',
  );
  const folder = await ModelFolder.of(dirname(path));
  return openShards(path, folder, shards, 'shard', weightMap);
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
