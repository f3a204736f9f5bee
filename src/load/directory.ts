/**
 * A model directory (a Hugging Face checkout): picks the one model file in it and opens it
 * with its format's reader. Kept out of the format modules so that formats never import
 * each other (safetensors → onnx was an import cycle).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadedModel } from '../types.js';
import { FormatError } from '../errors.js';
import { openOnnx } from './onnx/index.js';
import { resolveInside } from './paths.js';
import { openShards } from './safetensors.js';
import { openShardedIndex } from './safetensors-index.js';

/**
 * A Hugging Face model directory: its sharded index if there is one, else its
 * safetensors file(s), else a single ONNX file (HF repos keep them in onnx/).
 */
export async function openModelDirectory(path: string): Promise<LoadedModel> {
  const names = (await readdir(path)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const indexes = names.filter((n) => n.endsWith('.safetensors.index.json'));
  const preferred =
    indexes.find((n) => n === 'model.safetensors.index.json') ?? (indexes.length === 1 ? indexes[0] : undefined);
  if (preferred !== undefined) {
    const model = await openShardedIndex(join(path, preferred));
    return { ...model, path };
  }
  if (indexes.length > 1) {
    throw new FormatError(`several sharded indexes (${indexes.join(', ')}): name the one to analyse`);
  }
  const shards = names.filter((n) => n.endsWith('.safetensors'));
  if (shards.length > 0) {
    return openShards(path, await Promise.all(shards.map((s) => resolveInside(path, s, 'weights file'))));
  }
  const onnx = names.filter((n) => n.endsWith('.onnx'));
  if (onnx.length === 0 && names.includes('onnx')) {
    const sub = (await readdir(join(path, 'onnx'))).filter((n) => n.endsWith('.onnx'));
    if (sub.length === 1) return { ...(await openOnnx(join(path, 'onnx', sub[0]!))), path };
    if (sub.length > 1)
      throw new FormatError(`several ONNX files in ${join(path, 'onnx')} (${sub.join(', ')}): name the one to analyse`);
  }
  if (onnx.length === 1) return { ...(await openOnnx(join(path, onnx[0]!))), path };
  if (onnx.length > 1) throw new FormatError(`several ONNX files (${onnx.join(', ')}): name the one to analyse`);
  throw new FormatError('directory holds no model weights (*.safetensors, *.safetensors.index.json or *.onnx)');
}
