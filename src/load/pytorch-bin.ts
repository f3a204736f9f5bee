/**
 * Hugging Face PyTorch weights in a model directory: `pytorch_model.bin`, or shards
 * `pytorch_model-0000k-of-0000n.bin` listed by `pytorch_model.bin.index.json` (transformers'
 * `save_pretrained(safe_serialization=False)`; the index's `weight_map` names each tensor's
 * shard and is checked against the shards, as safetensors-index.ts does). Every file is
 * opened through the directory's ModelFolder (paths.ts). The index may also be named on the
 * command line (pytorchIndexFormat).
 */
import { basename, dirname, resolve } from 'node:path';
import type { LoadedModel, TensorRef } from '../types.js';
import { FormatError, InputError } from '../errors.js';
import { appendAll } from '../arrays.js';
import { FILE_CONCURRENCY, mapBounded } from './bounded.js';
import { FileSource } from './file.js';
import type { ModelFormatModule } from './format.js';
import { ModelFolder } from './paths.js';
import { openCheckpoint } from './pytorch/index.js';
import { startsWithJsonObject } from './safetensors-index.js';
import { readShardIndex } from './shard-index.js';

export const BIN_INDEX = 'pytorch_model.bin.index.json';
const BIN_WEIGHTS = /^pytorch_model(-\d+-of-\d+)?\.bin$/;

/** True when a directory listing holds PyTorch weights transformers would load. */
export function hasBinWeights(names: readonly string[]): boolean {
  return names.some((n) => n === BIN_INDEX || BIN_WEIGHTS.test(n));
}

/** Opens the directory's .bin weights: through the index when there is one, else every weights file. */
export async function openBinWeights(
  path: string,
  folder: ModelFolder,
  names: readonly string[],
): Promise<LoadedModel> {
  if (names.includes(BIN_INDEX)) {
    const { shards, weightMap } = await readShardIndex(await folder.open(BIN_INDEX, 'sharded index'), BIN_INDEX);
    return openBinShards(path, folder, shards, weightMap);
  }
  const files = names.filter((n) => BIN_WEIGHTS.test(n));
  if (files.length === 0) throw new FormatError('directory holds no pytorch_model*.bin weights');
  return openBinShards(path, folder, files);
}

/** A `*.bin.index.json` named on the command line: its shards, in its folder. */
async function openBinIndex(path: string, source?: FileSource): Promise<LoadedModel> {
  const { shards, weightMap } = await readShardIndex(
    source ?? (await FileSource.open(path)),
    'pytorch_model.bin.index.json',
  );
  return openBinShards(path, await ModelFolder.of(dirname(path)), shards, weightMap);
}

/** Several checkpoint files as one model; with `weightMap`, checked against what they hold. */
async function openBinShards(
  path: string,
  folder: ModelFolder,
  names: readonly string[],
  weightMap?: Record<string, string>,
): Promise<LoadedModel> {
  const opened = await mapBounded(
    names,
    FILE_CONCURRENCY,
    async (name) => {
      const shownAs = resolve(folder.folder, name);
      const source = await folder.open(name, 'weights file');
      try {
        return { shownAs, ...(await openCheckpoint(shownAs, source)) };
      } catch (e) {
        throw e instanceof FormatError ? new InputError(shownAs, e.message) : e;
      }
    },
    (o) => o.model.close(),
  );
  const closeAll = async () => {
    await Promise.all(opened.map((o) => o.model.close()));
  };
  try {
    const tensors: TensorRef[] = [];
    const seen = new Map<string, string>();
    let bytes = 0;
    let nonWeights = 0;
    for (const o of opened) {
      for (const name of o.names) {
        const other = seen.get(name);
        if (other !== undefined) throw new InputError(o.shownAs, `tensor '${name}' is also in ${other}`);
        seen.set(name, o.shownAs);
      }
      appendAll(tensors, o.model.tensors);
      bytes += o.model.bytes;
      nonWeights += o.model.nonWeightTensors;
    }
    for (const [tensor, shard] of Object.entries(weightMap ?? {})) {
      const where = seen.get(tensor);
      if (where === undefined) throw new FormatError(`weight_map lists '${tensor}' but ${shard} does not contain it`);
      if (basename(where) !== basename(shard))
        throw new FormatError(`weight_map puts '${tensor}' in ${shard} but it is in ${basename(where)}`);
    }
    const variant = opened[0]?.model.metadata?.variant;
    return {
      path,
      format: 'pytorch',
      tensors,
      bytes,
      nonWeightTensors: nonWeights,
      ...(variant ? { metadata: { variant } } : {}),
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/**
 * `pytorch_model.bin.index.json` (any `*.bin.index.json`) named on the command line: JSON like
 * a safetensors index, told apart by its name (registered before safetensors-index).
 */
export const pytorchIndexFormat: ModelFormatModule = {
  name: 'pytorch-index',
  sniff: (head, path) => /\.bin\.index\.json$/i.test(path) && startsWithJsonObject(head),
  open: openBinIndex,
};
