/**
 * safetensors reader: a single file, and several shard files read as one model (used by
 * safetensors-index.ts and directory.ts). Format (huggingface/safetensors README): u64 little-endian header
 * length N, N bytes of UTF-8 JSON {name: {dtype, shape, data_offsets: [begin, end]}, …,
 * "__metadata__": {string: string}}, then the byte buffer the offsets index, which must be
 * covered exactly, with no holes or overlaps.
 * Every number taken from the header is checked before it is used (DESIGN.md §5).
 */
import { basename, resolve } from 'node:path';
import type { DType, LoadedModel, TensorRef } from '../types.js';
import { FormatError, InputError } from '../errors.js';
import { FILE_CONCURRENCY, mapBounded } from './bounded.js';
import { FileSource } from './file.js';
import { bytesPerElement, isWidenable, readWidened, readWidenedRange } from './dtype.js';
import { readWidenedDealt } from './dealt.js';
import type { ModelFormatModule } from './format.js';
import type { ModelFolder } from './paths.js';
import { appendAll } from '../arrays.js';

/** Header size cap: real headers are kilobytes to a few megabytes. */
export const MAX_HEADER_BYTES = 100_000_000;

/** safetensors dtype names (safetensors ≥ 0.4) mapped to ours. */
const DTYPES: Record<string, DType> = {
  F64: 'F64',
  F32: 'F32',
  F16: 'F16',
  BF16: 'BF16',
  F8_E4M3: 'F8_E4M3',
  F8_E5M2: 'F8_E5M2',
  I64: 'I64',
  I32: 'I32',
  I16: 'I16',
  I8: 'I8',
  U64: 'U64',
  U32: 'U32',
  U16: 'U16',
  U8: 'U8',
  BOOL: 'BOOL',
  C64: 'C64',
};
/** Names the format defines but whose values we cannot widen (sub-byte and exotic floats). */
const KNOWN_UNREADABLE = new Set(['F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2', 'C128']);

interface HeaderEntry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

/** Parses and validates a safetensors header against the file size. */
export function parseHeader(json: unknown, dataBytes: number): HeaderEntry[] {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new FormatError('safetensors header is not a JSON object');
  }
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new FormatError('safetensors __metadata__ is not an object');
      }
      continue;
    }
    entries.push(parseEntry(name, value));
  }
  // The buffer must be indexed exactly: sorted by offset, each tensor starts where the
  // previous one ends, and the last one ends at the end of the file.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.begin < cursor) throw new FormatError(`tensor '${e.name}' overlaps the previous tensor's data`);
    if (e.begin > cursor)
      throw new FormatError(`tensor '${e.name}' starts at byte ${e.begin}, leaving a hole after byte ${cursor}`);
    if (e.end > dataBytes) {
      throw new FormatError(
        `tensor '${e.name}' points past the end of the file (byte ${e.end} of ${dataBytes} data bytes)`,
      );
    }
    cursor = e.end;
  }
  if (cursor !== dataBytes) {
    throw new FormatError(`the header indexes ${cursor} data bytes but the file has ${dataBytes}`);
  }
  return sorted;
}

function parseEntry(name: string, value: unknown): HeaderEntry {
  const where = `tensor '${name}'`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FormatError(`${where}: header entry is not an object`);
  }
  const v = value as Record<string, unknown>;
  if (typeof v.dtype !== 'string') throw new FormatError(`${where}: dtype is missing or not a string`);
  const dtype = DTYPES[v.dtype] ?? (KNOWN_UNREADABLE.has(v.dtype) ? 'OTHER' : undefined);
  if (dtype === undefined) throw new FormatError(`${where}: unknown dtype '${v.dtype.slice(0, 40)}'`);
  if (!Array.isArray(v.shape)) throw new FormatError(`${where}: shape is missing or not an array`);
  if (v.shape.length > 16) throw new FormatError(`${where}: shape has ${v.shape.length} dimensions`);
  let count = 1;
  const shape: number[] = [];
  for (const d of v.shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new FormatError(`${where}: shape has an invalid dimension ${JSON.stringify(d)?.slice(0, 40)}`);
    }
    shape.push(d);
    count *= d;
    if (!Number.isSafeInteger(count))
      throw new FormatError(`${where}: shape ${shape.join('×')}… has too many elements`);
  }
  const offs = v.data_offsets;
  if (!Array.isArray(offs) || offs.length !== 2)
    throw new FormatError(`${where}: data_offsets is not a [begin, end] pair`);
  const [begin, end] = offs as unknown[];
  if (
    typeof begin !== 'number' ||
    typeof end !== 'number' ||
    !Number.isSafeInteger(begin) ||
    !Number.isSafeInteger(end)
  ) {
    throw new FormatError(`${where}: data_offsets are not integers`);
  }
  if (begin < 0 || end < 0) throw new FormatError(`${where}: data_offsets are negative`);
  if (end < begin) throw new FormatError(`${where}: data_offsets end ${end} is before begin ${begin}`);
  const size = dtype === 'OTHER' ? undefined : bytesPerElement(dtype);
  if (size !== undefined && end - begin !== count * size) {
    throw new FormatError(
      `${where}: shape [${shape.join(', ')}] of ${v.dtype} needs ${count * size} bytes ` +
        `but data_offsets span ${end - begin}`,
    );
  }
  return { name, dtype, shape, begin, end };
}

interface OpenedFile {
  readonly source: FileSource;
  readonly entries: HeaderEntry[];
  readonly dataStart: number;
}

/** One safetensors file (already open; closed on failure): header read and validated, tensors read on demand. */
async function openFile(source: FileSource, displayPath: string): Promise<OpenedFile> {
  try {
    if (source.size < 8) throw new FormatError(`file is ${source.size} bytes, too short for a safetensors header`);
    const lenBytes = await source.read(0, 8, 'header length');
    const headerLen = Number(new DataView(lenBytes.buffer).getBigUint64(0, true));
    if (headerLen > MAX_HEADER_BYTES)
      throw new FormatError(`header length ${headerLen} is above the ${MAX_HEADER_BYTES}-byte cap`);
    if (8 + headerLen > source.size) {
      throw new FormatError(`header length ${headerLen} is larger than the file (${source.size} bytes): truncated?`);
    }
    const headerBytes = await source.read(8, headerLen, 'header');
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
    } catch {
      throw new FormatError('safetensors header is not valid UTF-8 JSON');
    }
    const dataStart = 8 + headerLen;
    const entries = parseHeader(json, source.size - dataStart);
    return { source, entries, dataStart };
  } catch (e) {
    await source.close();
    if (e instanceof FormatError) throw new InputError(displayPath, e.message);
    throw e;
  }
}

function makeRefs(file: OpenedFile, displayPath: string): { refs: TensorRef[]; nonWeights: number } {
  const refs: TensorRef[] = [];
  let nonWeights = 0;
  for (const e of file.entries) {
    // Integer tensors are not weights (masks, position ids, quantization bookkeeping).
    if (e.dtype === 'OTHER' || !isWidenable(e.dtype) || !isFloat(e.dtype)) {
      if (e.dtype === 'OTHER') refs.push(unreadableRef(e, displayPath));
      else nonWeights++;
      continue;
    }
    const count = e.shape.reduce((a, b) => a * b, 1);
    refs.push({
      name: e.name,
      shape: e.shape,
      dtype: e.dtype,
      file: displayPath,
      byteLength: e.end - e.begin,
      storageKey: `${displayPath}@${e.begin}+${e.end - e.begin}`,
      // Chunked (src/load/dtype.ts readWidened): embeddings and LM heads exceed one 2 GiB read.
      read: () => readWidened(file.source, file.dataStart + e.begin, e.dtype, count, `tensor '${e.name}'`),
      readRange: (first, n) =>
        readWidenedRange(file.source, file.dataStart + e.begin, e.dtype, count, first, n, `tensor '${e.name}'`),
      readDealt: (positions, visitor) =>
        readWidenedDealt(
          file.source,
          file.dataStart + e.begin,
          e.dtype,
          count,
          positions,
          `tensor '${e.name}'`,
          undefined,
          visitor,
        ),
    });
  }
  return { refs, nonWeights };
}

function isFloat(d: DType): boolean {
  return d === 'F64' || d === 'F32' || d === 'F16' || d === 'BF16' || d === 'F8_E4M3' || d === 'F8_E5M2';
}

/** A tensor in a float format we cannot decode: listed (and skipped with that reason), never dropped. */
function unreadableRef(e: HeaderEntry, displayPath: string): TensorRef {
  return {
    name: e.name,
    shape: e.shape,
    dtype: 'OTHER',
    file: displayPath,
    byteLength: e.end - e.begin,
    storageKey: `${displayPath}@${e.begin}+${e.end - e.begin}`,
    read: async () => {
      throw new FormatError(`tensor '${e.name}' has a dtype rmt-analyze cannot decode`);
    },
  };
}

/** Opens a safetensors file; `source` is the file already opened by the caller (detection), then owned here. */
export async function openSafetensors(path: string, source?: FileSource): Promise<LoadedModel> {
  const file = await openFile(source ?? (await FileSource.open(path)), path);
  const { refs, nonWeights } = makeRefs(file, path);
  return {
    path,
    format: 'safetensors',
    tensors: refs,
    bytes: file.source.size,
    nonWeightTensors: nonWeights,
    close: () => file.source.close(),
  };
}

/**
 * Opens several safetensors files, named relative to `folder` and held to its symlink
 * policy, as one model; with `weightMap`, checks it against them. `names` come sorted; a
 * bounded number are opened at once, and the first bad one (in that order) is reported.
 */
export async function openShards(
  path: string,
  folder: ModelFolder,
  names: readonly string[],
  what: string,
  weightMap?: Record<string, string>,
): Promise<LoadedModel> {
  const opened = await mapBounded(
    names,
    FILE_CONCURRENCY,
    async (name) => {
      const shownAs = resolve(folder.folder, name);
      return { shownAs, file: await openFile(await folder.open(name, what), shownAs) };
    },
    (o) => o.file.source.close(),
  );
  try {
    const refs: TensorRef[] = [];
    let nonWeights = 0;
    let bytes = 0;
    const seen = new Map<string, string>();
    for (const { shownAs, file } of opened) {
      bytes += file.source.size;
      for (const e of file.entries) {
        const other = seen.get(e.name);
        if (other !== undefined) throw new InputError(shownAs, `tensor '${e.name}' is also in ${other}`);
        seen.set(e.name, shownAs);
      }
      const r = makeRefs(file, shownAs);
      appendAll(refs, r.refs);
      nonWeights += r.nonWeights;
    }
    if (weightMap) {
      for (const [tensor, shard] of Object.entries(weightMap)) {
        const where = seen.get(tensor);
        if (where === undefined) throw new FormatError(`weight_map lists '${tensor}' but ${shard} does not contain it`);
        if (basename(where) !== basename(shard))
          throw new FormatError(`weight_map puts '${tensor}' in ${shard} but it is in ${basename(where)}`);
      }
    }
    return {
      path,
      format: 'safetensors',
      tensors: refs,
      bytes,
      nonWeightTensors: nonWeights,
      close: async () => {
        await Promise.all(opened.map((o) => o.file.source.close()));
      },
    };
  } catch (e) {
    await Promise.all(opened.map((o) => o.file.source.close()));
    throw e;
  }
}

/** JSON whitespace (RFC 8259 §2). */
const isJsonSpace = (b: number | undefined): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/**
 * safetensors starts with a u64 little-endian header length and then the JSON header. The
 * structure decides, not one byte (an ONNX file's producer_name can put '{' at byte 8): the
 * length must be plausible (at least "{}", under the cap, inside the file) and the header
 * must open a JSON object whose first token is a key or its end. A header that is other
 * JSON (an array, a string) with a plausible length is still claimed, so that the reader
 * says what is wrong with it.
 */
function sniff(head: Uint8Array, _path: string, size: number): boolean {
  if (head.length < 9) return false;
  const length = new DataView(head.buffer, head.byteOffset, head.byteLength).getBigUint64(0, true);
  if (length < 2n || length > BigInt(MAX_HEADER_BYTES) || length > BigInt(size - 8)) return false;
  const first = head[8];
  if (first === 0x5b || first === 0x22) return true; // '[' or '"': JSON, but not an object
  let i = 9;
  if (first !== 0x7b) {
    // Leading whitespace before the '{'.
    if (!isJsonSpace(first)) return false;
    while (i < head.length && isJsonSpace(head[i])) i++;
    if (i === head.length) return true;
    if (head[i] !== 0x7b) return head[i] === 0x5b || head[i] === 0x22;
    i++;
  }
  const end = Math.min(head.length, 8 + Number(length));
  while (i < end && isJsonSpace(head[i])) i++;
  return i === end || head[i] === 0x22 || head[i] === 0x7d; // '"' opens a key, '}' closes an empty object
}

export const safetensorsFormat: ModelFormatModule = {
  name: 'safetensors',
  sniff,
  extension: /\.safetensors$/i,
  open: openSafetensors,
};
