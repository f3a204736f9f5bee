/**
 * A model directory (a Hugging Face checkout or a hub cache snapshot): picks the one model
 * file in it and opens it with its format's reader. Every file picked from the listing is
 * opened through the directory's ModelFolder (paths.ts), so the one symlink policy holds
 * for every file kind. Kept out of the format modules so that formats never import each
 * other (safetensors → onnx was an import cycle).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadedModel } from '../types.js';
import { FormatError } from '../errors.js';
import { ADAPTER_CONFIG, openLoraAdapter } from './lora/index.js';
import { openOnnx } from './onnx/index.js';
import { ModelFolder } from './paths.js';
import { hasBinWeights, openBinWeights } from './pytorch-bin.js';
import { openShards } from './safetensors.js';
import { openShardedIndex, SHARD_ORDER } from './safetensors-index.js';

/**
 * A Hugging Face model directory: its sharded safetensors index if there is one, else its
 * safetensors file(s), else its PyTorch weights (`pytorch_model*.bin`, pytorch-bin.ts), else a
 * single ONNX file (HF repos keep them in onnx/). Safetensors win over .bin, as in
 * transformers' `from_pretrained`; the model's notes say so when both are there.
 */
export async function openModelDirectory(path: string): Promise<LoadedModel> {
  const folder = await ModelFolder.of(path);
  const names = (await readdir(path)).sort(SHARD_ORDER);
  if (names.includes(ADAPTER_CONFIG)) return openLoraAdapter(path);
  const st = await openSafetensorsIn(path, folder, names);
  if (st !== undefined) {
    if (!hasBinWeights(names)) return st;
    const note = 'the directory holds safetensors and pytorch_model*.bin weights: reading the safetensors';
    return { ...st, notes: [...(st.notes ?? []), note] };
  }
  if (hasBinWeights(names)) return openBinWeights(path, folder, names);
  const onnx = names.filter((n) => n.endsWith('.onnx'));
  if (onnx.length === 0 && names.includes('onnx')) {
    const sub = join(path, 'onnx');
    await folder.resolve('onnx', 'ONNX folder');
    const subNames = (await readdir(sub)).filter((n) => n.endsWith('.onnx')).sort(SHARD_ORDER);
    if (subNames.length === 1) return openOnnxIn(folder, `onnx/${subNames[0]!}`, path);
    if (subNames.length > 1)
      throw new FormatError(`several ONNX files in ${sub} (${subNames.join(', ')}): name the one to analyse`);
  }
  if (onnx.length === 1) return openOnnxIn(folder, onnx[0]!, path);
  if (onnx.length > 1) throw new FormatError(`several ONNX files (${onnx.join(', ')}): name the one to analyse`);
  throw new FormatError(
    'directory holds no model weights (*.safetensors, *.safetensors.index.json, pytorch_model*.bin or *.onnx)',
  );
}

/** The directory's safetensors weights (sharded index or files), or undefined when it has none. */
async function openSafetensorsIn(
  path: string,
  folder: ModelFolder,
  names: readonly string[],
): Promise<LoadedModel | undefined> {
  const indexes = names.filter((n) => n.endsWith('.safetensors.index.json'));
  const preferred =
    indexes.find((n) => n === 'model.safetensors.index.json') ?? (indexes.length === 1 ? indexes[0] : undefined);
  if (preferred !== undefined) {
    const model = await openShardedIndex(join(path, preferred), await folder.open(preferred, 'sharded index'));
    return { ...model, path };
  }
  if (indexes.length > 1) {
    throw new FormatError(`several sharded indexes (${indexes.join(', ')}): name the one to analyse`);
  }
  const shards = names.filter((n) => n.endsWith('.safetensors'));
  return shards.length > 0 ? openShards(path, folder, shards, 'weights file') : undefined;
}

/** The ONNX model `name` of the directory `path`, opened under its symlink policy. */
async function openOnnxIn(folder: ModelFolder, name: string, path: string): Promise<LoadedModel> {
  const source = await folder.open(name, 'ONNX model');
  return { ...(await openOnnx(join(path, name), source)), path };
}
