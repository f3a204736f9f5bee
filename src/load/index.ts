/**
 * Opens a model path of any supported kind, detected from the content, not the name:
 * an ONNX file, a safetensors file, a sharded `*.safetensors.index.json`, or a Hugging
 * Face model directory. Detection walks the FORMATS registry (each format module says
 * whether the first bytes are its own); directories go to directory.ts. Errors come out
 * as InputError naming the path.
 */
import { stat, open } from 'node:fs/promises';
import type { LoadedModel } from '../types.js';
import { FormatError, InputError, RmtError } from '../errors.js';
import { openModelDirectory } from './directory.js';
import { SNIFF_BYTES, type ModelFormatModule } from './format.js';
import { onnxFormat } from './onnx/index.js';
import { assertRegularFile } from './paths.js';
import { safetensorsFormat } from './safetensors.js';
import { safetensorsIndexFormat } from './safetensors-index.js';

export type { ModelFormatModule } from './format.js';

/**
 * Every file format, in detection order: the first whose sniff matches opens the file.
 * Each sniff checks structure (a plausible length and a JSON object for safetensors, the
 * first ModelProto fields for ONNX), so that no file is taken for another format because
 * one byte matches; the order only breaks ties between formats that could both match.
 * To add a format: one module exporting a ModelFormatModule, and one line here.
 */
export const FORMATS: readonly ModelFormatModule[] = [safetensorsFormat, safetensorsIndexFormat, onnxFormat];

export type DetectedFormat = 'onnx' | 'safetensors' | 'safetensors-index' | 'directory';

/**
 * Which registered format `head` (a file's first bytes) is, or undefined. Content only:
 * the extension fallback is detectFormat's. Also used by `compare` to tell reports from models.
 */
export function sniffFormat(head: Uint8Array, path: string, size: number): ModelFormatModule | undefined {
  return FORMATS.find((f) => f.sniff(head, path, size));
}

async function readHead(path: string): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  const head = new Uint8Array(SNIFF_BYTES);
  try {
    const { bytesRead } = await fh.read(head, 0, SNIFF_BYTES, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The format that opens `path`: a directory, or a registered format; else FormatError. */
async function detect(path: string): Promise<ModelFormatModule | 'directory'> {
  const st = await stat(path);
  if (st.isDirectory()) return 'directory';
  assertRegularFile(st);
  const head = await readHead(path);
  if (head.length === 0) throw new FormatError('the file is empty');
  const byContent = sniffFormat(head, path, st.size);
  if (byContent !== undefined) return byContent;
  // Unrecognised content: the extension picks the reader, whose error will be specific.
  const byName = FORMATS.find((f) => f.extension?.test(path));
  if (byName !== undefined) return byName;
  throw new FormatError('neither ONNX nor safetensors (unrecognised content)');
}

/** Reads the first bytes of a file and says which format it is, or throws FormatError. */
export async function detectFormat(path: string): Promise<DetectedFormat> {
  const f = await detect(path);
  return (f === 'directory' ? f : f.name) as DetectedFormat;
}

/** Opens any supported model path; every failure is an InputError naming `path`. */
export async function openModel(path: string): Promise<LoadedModel> {
  let model: LoadedModel;
  try {
    const format = await detect(path);
    model = await (format === 'directory' ? openModelDirectory(path) : format.open(path));
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
