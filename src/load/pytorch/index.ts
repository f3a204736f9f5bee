/**
 * PyTorch checkpoints: `torch.save` zip archives (torch ≥ 1.6), the legacy stream (torch < 1.6
 * or `_use_new_zipfile_serialization=False`) and TorchScript archives (`torch.jit.save`),
 * including Hugging Face `pytorch_model*.bin` files (which are `torch.save` files).
 * Hand-written because reading a checkpoint with torch (or any Python) would execute its
 * pickle: here the pickle is interpreted as data under an allow-list (allow.ts), tensors are
 * found by walking the value (contents.ts) and read lazily from their storages (tensor.ts).
 */
import { FormatError } from '../../errors.js';
import type { LoadedModel } from '../../types.js';
import { FileSource } from '../file.js';
import type { ModelFormatModule } from '../format.js';
import { isZipHead } from '../zip.js';
import { openZipCheckpoint } from './archive.js';
import { openLegacyCheckpoint } from './legacy.js';
import type { OpenedCheckpoint } from './opened.js';

/**
 * The legacy stream's first pickle: protocol 2, LONG1 of 10 bytes, the magic number
 * 0x1950a86a20f9469cfc6c little-endian (torch/serialization.py MAGIC_NUMBER).
 */
const LEGACY_HEAD = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

export function isLegacyHead(head: Uint8Array): boolean {
  return head.length >= LEGACY_HEAD.length && LEGACY_HEAD.every((b, i) => head[i] === b);
}

/**
 * Opens the PyTorch file `path`; `source` is the file already opened (then owned here: kept
 * by the model, or closed on failure). Also used for `*.bin` shards and LoRA adapters.
 */
export async function openPytorchFile(path: string, source?: FileSource): Promise<LoadedModel> {
  return (await openCheckpoint(path, source)).model;
}

/** openPytorchFile, also giving the names of the tensors that are not listed (integer buffers). */
export async function openCheckpoint(path: string, source?: FileSource): Promise<OpenedCheckpoint> {
  const file = source ?? (await FileSource.open(path));
  try {
    if (file.size === 0) throw new FormatError('the file is empty');
    const head = await file.read(0, Math.min(4, file.size), 'the first bytes');
    return isZipHead(head) ? await openZipCheckpoint(path, file) : await openLegacyCheckpoint(path, file);
  } catch (e) {
    await file.close();
    throw e;
  }
}

export const pytorchFormat: ModelFormatModule = {
  name: 'pytorch',
  sniff: (head) => isZipHead(head) || isLegacyHead(head),
  extension: /\.(pt|pth|bin|ckpt)$/i,
  open: openPytorchFile,
};
