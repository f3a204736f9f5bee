/**
 * Opens a model path of any supported kind, detected from the content, not the name:
 * an ONNX file, a safetensors file, a sharded `*.safetensors.index.json`, or a Hugging
 * Face model directory. Errors come out as InputError naming the path.
 */
import { stat, open } from 'node:fs/promises';
import type { LoadedModel } from '../types.js';
import { FormatError, InputError, RmtError } from '../errors.js';
import { openOnnx } from './onnx/index.js';
import { openSafetensors, openShardedIndex, openModelDirectory } from './safetensors.js';

export type DetectedFormat = 'onnx' | 'safetensors' | 'safetensors-index' | 'directory';

/** Reads the first bytes of a file and says which format it is, or throws FormatError. */
export async function detectFormat(path: string): Promise<DetectedFormat> {
  const st = await stat(path);
  if (st.isDirectory()) return 'directory';
  if (!st.isFile()) throw new FormatError('not a regular file');
  const fh = await open(path, 'r');
  const head = new Uint8Array(16);
  let n: number;
  try {
    ({ bytesRead: n } = await fh.read(head, 0, 16, 0));
  } finally {
    await fh.close();
  }
  if (n === 0) throw new FormatError('the file is empty');
  // safetensors: u64 little-endian header length, then JSON (an object when well formed).
  if (n >= 9) {
    const headerLength = new DataView(head.buffer).getBigUint64(0, true);
    const jsonStart = head[8] === 0x7b || head[8] === 0x5b || head[8] === 0x20 || head[8] === 0x22;
    if (head[8] === 0x7b || (jsonStart && headerLength <= BigInt(st.size - 8))) return 'safetensors';
  }
  // A sharded index is JSON text starting with '{' (after optional whitespace / BOM).
  let i = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3;
  while (i < n && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  if (i < n && head[i] === 0x7b) return 'safetensors-index';
  // ONNX ModelProto: a protobuf message whose first field is one of ModelProto's
  // (ir_version = 1 varint is what every exporter writes first).
  if (looksLikeProtobufModel(head.subarray(0, n))) return 'onnx';
  // Unrecognised content: the extension picks the reader, whose error will be specific.
  if (/\.safetensors$/i.test(path)) return 'safetensors';
  if (/\.onnx$/i.test(path)) return 'onnx';
  throw new FormatError('neither ONNX nor safetensors (unrecognised content)');
}

/** ModelProto field numbers and their wire types (onnx.proto): the first tag must be one. */
const MODEL_PROTO_FIRST_TAGS = new Set([
  (1 << 3) | 0, // ir_version
  (8 << 3) | 2, // opset_import
  (2 << 3) | 2, // producer_name
  (3 << 3) | 2, // producer_version
  (4 << 3) | 2, // domain
  (5 << 3) | 0, // model_version
  (6 << 3) | 2, // doc_string
  (7 << 3) | 2, // graph
  (14 << 3) | 2, // metadata_props
  (20 << 3) | 2, // training_info
  (25 << 3) | 2, // functions
]);

function looksLikeProtobufModel(head: Uint8Array): boolean {
  const tag = head[0];
  return tag !== undefined && MODEL_PROTO_FIRST_TAGS.has(tag);
}

/** Opens any supported model path; every failure is an InputError naming `path`. */
export async function openModel(path: string): Promise<LoadedModel> {
  let model: LoadedModel;
  try {
    model = await openByFormat(path, await detectFormat(path));
  } catch (e) {
    throw asInputError(path, e);
  }
  if (model.tensors.length === 0) {
    await model.close();
    const others = model.nonWeightTensors > 0 ? ` (only ${model.nonWeightTensors} integer or non-numeric tensors)` : '';
    throw new InputError(path, `no weight tensors${others}`);
  }
  return model;
}

function openByFormat(path: string, format: DetectedFormat): Promise<LoadedModel> {
  switch (format) {
    case 'onnx':
      return openOnnx(path);
    case 'safetensors':
      return openSafetensors(path);
    case 'safetensors-index':
      return openShardedIndex(path);
    case 'directory':
      return openModelDirectory(path);
  }
}

/** Turns low-level failures into one-line InputErrors; leaves programming errors alone. */
export function asInputError(path: string, e: unknown): Error {
  if (e instanceof InputError) return e;
  if (e instanceof RmtError) return e;
  if (e instanceof FormatError) return new InputError(path, e.message);
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT':
      return new InputError(err.path ?? path, 'no such file or directory');
    case 'EACCES':
    case 'EPERM':
      return new InputError(err.path ?? path, 'permission denied');
    case 'EISDIR':
      return new InputError(err.path ?? path, 'is a directory');
    case 'ENOTDIR':
      return new InputError(err.path ?? path, 'not a directory');
    case 'ELOOP':
      return new InputError(err.path ?? path, 'too many levels of symbolic links');
    case 'EMFILE':
    case 'ENFILE':
      return new InputError(err.path ?? path, 'too many open files');
    case 'EIO':
      return new InputError(err.path ?? path, 'input/output error');
  }
  if (e instanceof RangeError && /Array buffer allocation failed|Invalid typed array length/.test(e.message)) {
    return new InputError(path, 'a tensor is too large to hold in memory');
  }
  return e instanceof Error ? e : new Error(String(e));
}
