/**
 * The GGUF header (ggml docs/gguf.md; ggml/src/gguf.cpp `gguf_init_from_file_impl`, MIT,
 * was read for its checks, no code taken): magic "GGUF", u32 version,
 * u64 tensor count, u64 metadata count, the metadata key/value pairs, then one info per
 * tensor (name, u32 n_dims, u64 ne[n_dims], u32 ggml type, u64 offset into the data section).
 * Versions 2 and 3 share this layout (v3 only allowed big-endian files, which are refused
 * here: llama.cpp does not read them on little-endian hosts either). Version 1 (u32 counts)
 * is refused as ggml refuses it. Every count is capped by the bytes left before it sizes
 * anything; duplicate keys and tensor names are refused (ggml does).
 */
import { FormatError } from '../../errors.js';
import type { FileSource } from '../file.js';
import { type Cursor, shown, Window } from './cursor.js';
import { type MetaValue, readKeyValue } from './metadata.js';

/** "GGUF" read as a little-endian u32. */
export const GGUF_MAGIC = 0x46554747;

/** ggml's GGML_MAX_DIMS. */
export const MAX_DIMS = 4;

/** Most tensors in one file (real models: hundreds to a few thousand). */
export const MAX_TENSORS = 1_000_000;
/** Most metadata pairs in one file (real models: tens). */
export const MAX_METADATA = 1_000_000;
/** Longest tensor name (ggml's GGML_MAX_NAME is 64; other writers may be laxer). */
export const MAX_NAME_BYTES = 65_536;
/** The header (metadata and tensor infos) ends within this many bytes of the start. */
export const MAX_HEADER_BYTES = 1024 * 1024 * 1024;

/** One tensor as the header describes it (not yet checked against the data section). */
export interface TensorInfo {
  readonly name: string;
  /** ggml's ne: ne[0] is the row length (the input dimension). */
  readonly ne: readonly number[];
  readonly typeId: number;
  /** Offset from the start of the data section. */
  readonly offset: number;
}

export interface GgufHeader {
  readonly version: number;
  readonly metadata: ReadonlyMap<string, MetaValue>;
  readonly tensors: readonly TensorInfo[];
  /** Where the tensor infos end (the data section starts at the next alignment boundary). */
  readonly headerEnd: number;
}

/** The fixed start: magic, version, counts. */
function readStart(c: Cursor): { version: number; tensorCount: number; kvCount: number } {
  const magic = c.u32('the magic number');
  if (magic !== GGUF_MAGIC) throw new FormatError('not a GGUF file (no "GGUF" magic)');
  const version = c.u32('the GGUF version');
  // A big-endian file's version (2 or 3) reads as 0x02000000 or 0x03000000 here: refused
  // (as by llama.cpp on little-endian hosts) rather than read with every number swapped.
  const swapped =
    (((version & 0xff) << 24) | ((version & 0xff00) << 8) | ((version >>> 8) & 0xff00) | (version >>> 24)) >>> 0;
  if (version > 0xffff && swapped <= 0xffff) {
    throw new FormatError(`big-endian GGUF (version ${swapped}) is not supported: only little-endian files are read`);
  }
  if (version === 1) throw new FormatError('GGUF version 1 is not supported');
  if (version !== 2 && version !== 3) throw new FormatError(`GGUF version ${version} is not supported (only 2 and 3)`);
  const tensors = c.u64('the tensor count');
  const pairs = c.u64('the metadata count');
  // Each tensor info takes ≥ 24 bytes (name length, n_dims, type, offset); each pair ≥ 13.
  const left = (n: number) => Math.floor((c.fileSize - c.pos) / n);
  const tensorCount = capped('the tensor count', tensors, Math.min(MAX_TENSORS, left(24)));
  const kvCount = capped('the metadata count', pairs, Math.min(MAX_METADATA, left(13)));
  return { version, tensorCount, kvCount };
}

function capped(what: string, n: bigint, cap: number): number {
  if (n > BigInt(cap)) throw new FormatError(`${what} is ${n}, more than the ${cap} the file has room for`);
  return Number(n);
}

function readTensorInfo(c: Cursor, index: number): TensorInfo {
  const name = c.string(`the name of tensor ${index}`, MAX_NAME_BYTES);
  const what = `tensor '${shown(name)}'`;
  const nDims = c.u32(`the dimension count of ${what}`);
  if (nDims > MAX_DIMS) throw new FormatError(`${what} has ${nDims} dimensions, GGUF allows at most ${MAX_DIMS}`);
  const ne: number[] = [];
  let count = 1;
  for (let i = 0; i < nDims; i++) {
    const d = c.u64(`dimension ${i} of ${what}`);
    if (d > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(`${what} has a dimension of ${d} elements`);
    ne.push(Number(d));
    count *= Number(d);
    if (!Number.isSafeInteger(count)) {
      throw new FormatError(`${what} has too many elements (ne ${ne.join(' × ')}…)`);
    }
  }
  const typeId = c.u32(`the type of ${what}`);
  const offset = c.u64(`the offset of ${what}`);
  if (offset > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(`${what} has an offset of ${offset}`);
  return { name, ne, typeId, offset: Number(offset) };
}

/** Reads and checks the header of a GGUF file, holding only the bytes of one item at a time. */
export async function readHeader(source: FileSource): Promise<GgufHeader> {
  const window = new Window(source);
  const start = await window.parse(0, 'the GGUF start', (c) => readStart(c));
  const { version, tensorCount, kvCount } = start.value;
  let pos = start.end;
  const metadata = new Map<string, MetaValue>();
  for (let i = 0; i < kvCount; i++) {
    const kv = await window.parse(pos, `metadata pair ${i}`, (c) => readKeyValue(c, i));
    if (metadata.has(kv.value.key)) throw new FormatError(`metadata key '${shown(kv.value.key)}' appears twice`);
    metadata.set(kv.value.key, kv.value.value);
    pos = checkedEnd(kv.end);
  }
  const tensors: TensorInfo[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const info = await window.parse(pos, `tensor info ${i}`, (c) => readTensorInfo(c, i));
    if (names.has(info.value.name)) throw new FormatError(`tensor name '${shown(info.value.name)}' appears twice`);
    names.add(info.value.name);
    tensors.push(info.value);
    pos = checkedEnd(info.end);
  }
  return { version, metadata, tensors, headerEnd: pos };
}

function checkedEnd(end: number): number {
  if (end > MAX_HEADER_BYTES) throw new FormatError(`the GGUF header is larger than ${MAX_HEADER_BYTES} bytes`);
  return end;
}
