/**
 * Opens a model path of any supported kind, detected from the content, not the name:
 * an ONNX file, a safetensors file, a sharded `*.safetensors.index.json`, a PyTorch
 * checkpoint (zip, legacy or TorchScript), or a Hugging Face model directory. Detection
 * walks the FORMATS registry (each format module says whether the first bytes are its own);
 * directories go to directory.ts. Errors come out as InputError naming the path.
 */
import { stat } from 'node:fs/promises';
import type { LoadedModel } from '../types.js';
import { FormatError, InputError, printable, RmtError, UsageError } from '../errors.js';
import { withBase } from './lora/base.js';
import { openModelDirectory } from './directory.js';
import { FileSource } from './file.js';
import { SNIFF_BYTES, type ModelFormatModule } from './format.js';
import { ggufFormat } from './gguf/index.js';
import { onnxFormat } from './onnx/index.js';
import { loraFormat, type LoraAdapter } from './lora/index.js';
import { pytorchFormat } from './pytorch/index.js';
import { pytorchIndexFormat } from './pytorch-bin.js';
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
export const FORMATS: readonly ModelFormatModule[] = [
  // By name before content: an adapter's files are ordinary safetensors/PyTorch/JSON files.
  loraFormat,
  safetensorsFormat,
  pytorchIndexFormat,
  safetensorsIndexFormat,
  onnxFormat,
  ggufFormat,
  pytorchFormat,
];

export type DetectedFormat =
  | 'onnx'
  | 'safetensors'
  | 'safetensors-index'
  | 'pytorch'
  | 'pytorch-index'
  | 'gguf'
  | 'lora'
  | 'directory';

/**
 * Which registered format `head` (a file's first bytes) is, or undefined. Content only:
 * the extension fallback is detectFormat's. Also used by `compare` to tell reports from models.
 */
export function sniffFormat(head: Uint8Array, path: string, size: number): ModelFormatModule | undefined {
  return FORMATS.find((f) => f.sniff(head, path, size));
}

type Detected =
  | { readonly kind: 'directory' }
  | { readonly kind: 'file'; format: ModelFormatModule; source: FileSource };

/**
 * The format that opens `path`: a directory, or a registered format with the file opened
 * (once, without blocking, refused unless regular: open-file.ts) for its reader to keep;
 * else FormatError.
 */
async function detect(path: string): Promise<Detected> {
  if ((await stat(path)).isDirectory()) return { kind: 'directory' };
  const source = await FileSource.open(path);
  try {
    if (source.size === 0) throw new FormatError('the file is empty');
    const head = await source.read(0, Math.min(SNIFF_BYTES, source.size), 'the first bytes');
    // Unrecognised content: the extension picks the reader, whose error will be specific.
    const format = sniffFormat(head, path, source.size) ?? FORMATS.find((f) => f.extension?.test(path));
    if (format === undefined)
      throw new FormatError('neither ONNX, safetensors nor a PyTorch checkpoint (unrecognised content)');
    return { kind: 'file', format, source };
  } catch (e) {
    await source.close();
    throw e;
  }
}

/** Reads the first bytes of a file and says which format it is, or throws FormatError. */
export async function detectFormat(path: string): Promise<DetectedFormat> {
  const d = await detect(path);
  if (d.kind === 'directory') return 'directory';
  await d.source.close();
  return d.format.name as DetectedFormat;
}

/** Opens any supported model path; every failure is an InputError naming `path`. */
export async function openModel(path: string): Promise<LoadedModel> {
  let model: LoadedModel;
  try {
    const d = await detect(path);
    model = await (d.kind === 'directory' ? openModelDirectory(path) : d.format.open(path, d.source));
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

/**
 * Opens `path`, and with `base` (`--base`: the model a LoRA adapter was trained on) adds the
 * base weight and the fine-tuned weight W + ΔW beside each adapted module (lora/base.ts).
 */
export async function openModelWithBase(path: string, base: string | undefined): Promise<LoadedModel> {
  const model = await openModel(path);
  if (base === undefined) return model;
  if (model.format !== 'lora') {
    await model.close();
    throw new UsageError(`--base applies to LoRA adapters; ${printable(path)} is a ${model.format} model`);
  }
  let baseModel: LoadedModel;
  try {
    baseModel = await openModel(base);
  } catch (e) {
    await model.close();
    throw e;
  }
  try {
    return withBase(model as LoraAdapter, baseModel);
  } catch (e) {
    await Promise.all([model.close(), baseModel.close()]);
    throw asInputError(path, e);
  }
}

/** Turns low-level failures into one-line InputErrors; leaves programming errors alone. */
export function asInputError(path: string, e: unknown): Error {
  if (e instanceof InputError) return e;
  if (e instanceof RmtError) return e;
  if (e instanceof FormatError) return new InputError(path, e.message);
  const err = e as NodeJS.ErrnoException;
  const cause = systemCause(e);
  if (cause !== undefined) return new InputError(err.path ?? path, cause);
  if (e instanceof RangeError && /Array buffer allocation failed|Invalid typed array length/.test(e.message)) {
    return new InputError(path, 'a tensor is too large to hold in memory');
  }
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * A failure while reading one tensor's values (during the analysis, after the file was
 * opened): the model file's error, one line naming the file and the tensor, e.g.
 * `model.onnx: tensor 'w': external data /m/w.bin: permission denied`. Programming errors
 * are left alone.
 */
export function tensorReadError(tensor: { readonly name: string; readonly file: string }, e: unknown): Error {
  if (e instanceof RmtError) return e;
  const who = tensor.name === '' ? 'an unnamed tensor' : `tensor '${tensor.name}'`;
  const err = e as NodeJS.ErrnoException;
  // Loader messages usually name the tensor already ("tensor 'w' has value 70000 in …").
  const named = (cause: string) => new InputError(tensor.file, cause.includes(who) ? cause : `${who}: ${cause}`);
  if (e instanceof FormatError) return named(e.message);
  const cause = systemCause(e);
  if (cause !== undefined) {
    const where = err.path !== undefined && err.path !== tensor.file ? `data file ${err.path}: ` : '';
    return named(`${where}${cause}`);
  }
  if (e instanceof RangeError && /Array buffer allocation failed|Invalid typed array length/.test(e.message)) {
    return named('too large to hold in memory');
  }
  return e instanceof Error ? e : new Error(String(e));
}

/** The cause of a failed system call (an errno code), in words; undefined for other errors. */
function systemCause(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string' || !(e instanceof Error)) return undefined;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'not a directory';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    case 'EIO':
      return 'input/output error';
  }
  // Any other failed system call (ESTALE, ENXIO, …): its code says what the OS refused.
  return /^E[A-Z0-9]+$/.test(code) ? `cannot be read (${code})` : undefined;
}
