/**
 * A sharded safetensors model: `*.safetensors.index.json` (transformers' `save_pretrained`
 * with `max_shard_size`), whose `weight_map` names the shard file of every tensor. The
 * shards are resolved inside the index's folder and checked against the map.
 */
import { dirname } from 'node:path';
import type { LoadedModel } from '../types.js';
import { FormatError } from '../errors.js';
import { FileSource } from './file.js';
import type { ModelFormatModule } from './format.js';
import { ModelFolder } from './paths.js';
import { MAX_HEADER_BYTES, openShards } from './safetensors.js';

/** Shard names sort as people number them: model-2-of-10 before model-10-of-10. */
export const SHARD_ORDER = new Intl.Collator('en', { numeric: true }).compare;

/**
 * Opens the index at `path` (`source`: the index already opened by the caller, then owned
 * here) and its shards. Linear in the size of the map: names are collected in a Set and
 * resolved and opened a bounded number at a time (bounded.ts).
 */
export async function openShardedIndex(path: string, source?: FileSource): Promise<LoadedModel> {
  const file = source ?? (await FileSource.open(path));
  let text: string;
  try {
    if (file.size > MAX_HEADER_BYTES) throw new FormatError(`index file is ${file.size} bytes, above the cap`);
    text = Buffer.from(await file.read(0, file.size, 'index')).toString('utf8');
  } finally {
    await file.close();
  }
  let index: unknown;
  try {
    index = JSON.parse(text);
  } catch {
    throw new FormatError('not valid JSON (expected a *.safetensors.index.json)');
  }
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new FormatError('index has no "weight_map" object');
  }
  const names = new Set<string>();
  for (const [tensor, shard] of Object.entries(map as Record<string, unknown>)) {
    if (typeof shard !== 'string') throw new FormatError(`weight_map entry for '${tensor}' is not a file name`);
    names.add(shard);
  }
  if (names.size === 0) throw new FormatError('weight_map is empty: no weights');
  const folder = await ModelFolder.of(dirname(path));
  return openShards(path, folder, [...names].sort(SHARD_ORDER), 'shard', map as Record<string, string>);
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
