/**
 * The stream `torch.save` wrote before torch 1.6 (and still writes with
 * `_use_new_zipfile_serialization=False`), from torch/serialization.py `_legacy_save` and
 * `_legacy_load`: five pickles back to back — the magic number 0x1950a86a20f9469cfc6c, the
 * protocol version 1001, sys_info ({little_endian, type_sizes, …}), the object (storages as
 * persistent ids `('storage', type, key, location, numel, view_metadata)`), and the list of
 * storage keys — then, for each key in that list's order, an int64 little-endian element
 * count and the storage's raw bytes. Each storage is located by walking the counts (8 bytes
 * read per storage, never its data). The pickles are read from a bounded prefix of the file,
 * grown when a pickle runs past it, up to a cap.
 */
import { FormatError } from '../../errors.js';
import type { TensorRef } from '../../types.js';
import { checkRange, type FileSource } from '../file.js';
import { unpickle } from '../pickle/machine.js';
import { PickleRefused, type PickleValue } from '../pickle/values.js';
import { allowCall } from './allow.js';
import { findTensors, type FoundTensor } from './contents.js';
import { parseStoragePid, type StorageSpec, storageElementSize } from './storage.js';
import type { OpenedCheckpoint } from './opened.js';
import { isListed, type LocatedStorage, tensorRef } from './tensor.js';

export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;
/** The first bytes read for the pickles; grown ×8 while a pickle runs past them. */
const FIRST_PREFIX = 1 << 20;
/** The pickles of a legacy file may take this many bytes at most. */
export const MAX_LEGACY_PICKLE_BYTES = 256 * 1024 * 1024;
/** The magic number pickle fits in this many bytes under any protocol (with a FRAME header). */
const MAGIC_PREFIX = 64;
/** How src/load/pickle/cursor.ts says a pickle ran past the bytes it was given. */
const TRUNCATED = /ends early|only \d+ are left/;
/** Bytes read at once for the storages' counts. */
const COUNT_WINDOW = 64 * 1024;
/** Storages at most. */
const MAX_STORAGES = 1_000_000;

interface Pickles {
  readonly root: PickleValue;
  readonly keys: PickleValue;
  /** Where the storages' data begins (after the last pickle). */
  readonly end: number;
}

/** Opens a legacy stream in `source` (owned by the caller, who closes it on failure). */
export async function openLegacyCheckpoint(path: string, source: FileSource): Promise<OpenedCheckpoint> {
  const { root, keys, end } = await readPickles(source);
  const specs = new Map<string, StorageSpec>();
  const found = findTensors(root, (pid) => {
    const spec = parseStoragePid(pid, true);
    const other = specs.get(spec.key);
    if (other !== undefined && (other.dtype !== spec.dtype || other.numel !== spec.numel))
      throw new FormatError(`storage '${spec.key}' is declared twice with different types or sizes`);
    specs.set(spec.key, spec);
    return spec;
  });
  const located = await locateStorages(source, keys, specs, end, path);
  const tensors: TensorRef[] = [];
  let nonWeights = 0;
  for (const t of found) {
    if (!isListed(t)) nonWeights++;
    else tensors.push(tensorRef(t, readable(t) ? located.get(t.storage!.key) : undefined, path));
  }
  const model = {
    path,
    format: 'pytorch' as const,
    tensors,
    bytes: source.size,
    nonWeightTensors: nonWeights,
    metadata: { variant: 'legacy' },
    close: () => source.close(),
  };
  return { model, names: found.map((t) => t.name) };
}

const readable = (t: FoundTensor) => t.storage !== undefined && t.role === undefined && t.dtype !== 'OTHER';

/** The five pickles, from a prefix of the file grown until they fit. */
async function readPickles(source: FileSource): Promise<Pickles> {
  await checkMagic(source);
  for (let length = Math.min(source.size, FIRST_PREFIX); ; length = Math.min(source.size, length * 8)) {
    const bytes = await source.read(0, length, 'the pickles');
    try {
      return parsePickles(bytes);
    } catch (e) {
      // A pickle that runs past the prefix (the unpickler says it ends early): read more, unless the
      // whole file (or the cap) was read. Any other error is the file's, whatever the prefix.
      const whole = length === source.size || length >= MAX_LEGACY_PICKLE_BYTES;
      const early = e instanceof FormatError && !(e instanceof PickleRefused) && TRUNCATED.test(e.message);
      if (whole || !early) throw e;
    }
  }
}

/** The magic number pickle (a few bytes, whatever the protocol): else the file is no PyTorch checkpoint. */
async function checkMagic(source: FileSource): Promise<void> {
  const head = await source.read(0, Math.min(source.size, MAGIC_PREFIX), 'the first bytes');
  let magic: PickleValue;
  try {
    magic = unpickle(head, { allowCall: () => false }).value;
  } catch {
    magic = null;
  }
  if (magic !== LEGACY_MAGIC)
    throw new FormatError('not a PyTorch checkpoint (neither a zip archive nor a legacy torch.save stream)');
}

function parsePickles(bytes: Uint8Array): Pickles {
  let at = 0;
  const next = (): PickleValue => {
    const { value, end } = unpickle(bytes, { allowCall }, at);
    at = end;
    return value;
  };
  next(); // the magic number, checked
  const protocol = next();
  if (protocol !== PROTOCOL_VERSION && protocol !== BigInt(PROTOCOL_VERSION))
    throw new FormatError(`legacy checkpoint protocol ${String(protocol).slice(0, 40)} is not ${PROTOCOL_VERSION}`);
  const sysInfo = next();
  if (typeof sysInfo === 'object' && sysInfo !== null && 'kind' in sysInfo && sysInfo.kind === 'dict') {
    const little = sysInfo.entries.find(([k]) => k === 'little_endian')?.[1];
    if (little === false) throw new FormatError('the checkpoint was saved on a big-endian machine: not supported');
  }
  const root = next();
  const keys = next();
  return { root, keys, end: at };
}

/** Walks the storages after the pickles: for each key, its int64 count, then its bytes. */
async function locateStorages(
  source: FileSource,
  keys: PickleValue,
  specs: ReadonlyMap<string, StorageSpec>,
  start: number,
  file: string,
): Promise<Map<string, LocatedStorage>> {
  if (typeof keys !== 'object' || keys === null || !('kind' in keys) || keys.kind !== 'list')
    throw new FormatError('the storage key list is not a list');
  if (keys.items.length > MAX_STORAGES) throw new FormatError(`${keys.items.length} storages, above the cap`);
  const located = new Map<string, LocatedStorage>();
  const counts = new CountReader(source);
  let at = start;
  for (const key of keys.items) {
    if (typeof key !== 'string') throw new FormatError('a storage key is not a string');
    const spec = specs.get(key);
    if (spec === undefined) throw new FormatError(`storage '${key.slice(0, 60)}' is listed but no tensor uses it`);
    if (located.has(key)) throw new FormatError(`storage '${key.slice(0, 60)}' is listed twice`);
    const count = await counts.at(at, `storage '${key}' size`);
    const bytes = count * BigInt(storageElementSize(spec.dtype));
    if (count < 0n || bytes > BigInt(source.size - at - 8))
      throw new FormatError(`storage '${key}' claims ${count} elements, past the end of the file`);
    if (Number(count) < spec.numel)
      throw new FormatError(`storage '${key}' holds ${count} elements but its tensors say ${spec.numel}`);
    located.set(key, { source, offset: at + 8, bytes: Number(bytes), id: `${file}:${key}` });
    at += 8 + Number(bytes);
  }
  for (const key of specs.keys()) {
    if (!located.has(key)) throw new FormatError(`storage '${key.slice(0, 60)}' is used but not stored`);
  }
  return located;
}

/**
 * Reads the int64 counts in front of the storages through a 64 KiB window, so that a stream of
 * many small storages costs one read per window, not one per storage.
 */
class CountReader {
  private window: Uint8Array = new Uint8Array(0);
  private from = 0;
  constructor(private readonly source: FileSource) {}

  async at(offset: number, what: string): Promise<bigint> {
    if (offset < this.from || offset + 8 > this.from + this.window.length) {
      checkRange(offset, 8, this.source.size, what);
      this.from = offset;
      this.window = await this.source.read(offset, Math.min(COUNT_WINDOW, this.source.size - offset), what);
    }
    const v = new DataView(this.window.buffer, this.window.byteOffset, this.window.byteLength);
    return v.getBigInt64(offset - this.from, true);
  }
}
