/**
 * A zip archive reader for PyTorch checkpoints and TorchScript archives, following PKWARE's
 * APPNOTE.TXT (6.3.x): end of central directory record (§4.3.16), ZIP64 end of central
 * directory locator and record (§4.3.14–15), central directory headers (§4.3.12), local file
 * headers (§4.3.7) and the ZIP64 extended information extra field (§4.5.3). Learned from
 * PyTorch's `caffe2/serialize/inline_container.cc` (which writes stored, 64-byte aligned
 * entries through miniz) and netron's `source/zip.js`; no code taken from either.
 *
 * Hand-written rather than a library because the reader must (1) keep the descriptor the
 * dispatcher checked and read stored entries positionally and lazily, one tensor at a time,
 * never the whole archive, and (2) treat the archive as hostile: every count, size and offset
 * is checked against the file before it is used, entries may not overlap each other or the
 * central directory, names may not repeat, and deflated entries are inflated only on demand
 * and under a cap. Any violation is a FormatError.
 */
import { inflateRawSync } from 'node:zlib';
import { FormatError } from '../errors.js';
import type { FileSource } from './file.js';

/** Entries at most: checked before anything is allocated for them. */
export const MAX_ZIP_ENTRIES = 1_000_000;
/** Central directory bytes at most (1M entries of modest names). */
export const MAX_CENTRAL_DIRECTORY_BYTES = 256 * 1024 * 1024;
/** A deflated entry is inflated only up to this many bytes (pickles, small records). */
export const MAX_INFLATED_BYTES = 256 * 1024 * 1024;

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_BYTES = 22;
const CENTRAL_BYTES = 46;
const LOCAL_BYTES = 30;
const MAX_COMMENT = 0xffff;

export interface ZipEntry {
  readonly name: string;
  /** 0 stored, 8 deflated (anything else is refused when read). */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localOffset: number;
  /** Bytes of the name as stored (the local header must store the same name). */
  readonly nameLength: number;
  /** Where the next entry's local header (or the central directory) starts: the data must end before. */
  readonly limit: number;
}

/** A zip archive's directory, read from `source`; entries' data is read on demand. */
export class ZipArchive {
  private readonly dataOffsets = new Map<string, number>();

  private constructor(
    readonly source: FileSource,
    readonly entries: ReadonlyMap<string, ZipEntry>,
  ) {}

  /** Reads and checks the central directory of the archive in `source` (not closed here). */
  static async open(source: FileSource): Promise<ZipArchive> {
    return new ZipArchive(source, await readCentralDirectory(source));
  }

  get(name: string): ZipEntry | undefined {
    return this.entries.get(name);
  }

  /**
   * The file offset of a stored entry's data, after checking its local header (signature,
   * name, method) and that the data ends before the next entry starts.
   */
  async dataOffset(entry: ZipEntry): Promise<number> {
    const known = this.dataOffsets.get(entry.name);
    if (known !== undefined) return known;
    const what = `zip entry '${entry.name}'`;
    // The header and its name in one read (the central directory says how long the name is).
    const head = await this.source.read(
      entry.localOffset,
      Math.min(LOCAL_BYTES + entry.nameLength, entry.limit - entry.localOffset),
      what,
    );
    if (head.length < LOCAL_BYTES + entry.nameLength)
      throw new FormatError(`${what}: local header overlaps the next entry`);
    const v = view(head);
    if (v.getUint32(0, true) !== LOCAL_SIG) throw new FormatError(`${what}: bad local header signature`);
    if (v.getUint16(6, true) & 1) throw new FormatError(`${what} is encrypted`);
    if (v.getUint16(8, true) !== entry.method)
      throw new FormatError(`${what}: local header and central directory disagree on the compression method`);
    // Without a data descriptor (flag bit 3) the local sizes must repeat the central ones (0xffffffff: ZIP64).
    const localSizes = [v.getUint32(18, true), v.getUint32(22, true)];
    const centralSizes = [entry.compressedSize, entry.size];
    if (!(v.getUint16(6, true) & 8) && localSizes.some((n, i) => n !== 0xffffffff && n !== centralSizes[i]))
      throw new FormatError(`${what}: local header and central directory disagree on its sizes`);
    const nameLength = v.getUint16(26, true);
    const extraLength = v.getUint16(28, true);
    if (nameLength !== entry.nameLength) throw new FormatError(`${what}: local header names another file`);
    const nameStart = entry.localOffset + LOCAL_BYTES;
    const data = nameStart + nameLength + extraLength;
    if (data + entry.compressedSize > entry.limit) {
      throw new FormatError(`${what}: its data runs into the next entry or the central directory`);
    }
    if (decodeName(head.subarray(LOCAL_BYTES)) !== entry.name)
      throw new FormatError(`${what}: local header names another file`);
    this.dataOffsets.set(entry.name, data);
    return data;
  }

  /**
   * The whole entry: a stored entry read as it is, a deflated one inflated (at most
   * `maxBytes`, and exactly its declared size). For records such as data.pkl, never tensors.
   */
  async readEntry(entry: ZipEntry, maxBytes = MAX_INFLATED_BYTES): Promise<Uint8Array> {
    const what = `zip entry '${entry.name}'`;
    if (entry.size > maxBytes) throw new FormatError(`${what} is ${entry.size} bytes, above the ${maxBytes}-byte cap`);
    const offset = await this.dataOffset(entry);
    const raw = await this.source.read(offset, entry.compressedSize, what);
    if (entry.method === 0) return raw;
    if (entry.method !== 8) throw new FormatError(`${what} uses compression method ${entry.method}`);
    let out: Buffer;
    try {
      out = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
    } catch {
      throw new FormatError(`${what}: deflated data is corrupt or larger than its declared ${entry.size} bytes`);
    }
    if (out.length !== entry.size)
      throw new FormatError(`${what}: inflates to ${out.length} bytes, not its declared ${entry.size}`);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }
}

const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
const NAME_DECODER = new TextDecoder('utf-8');
const decodeName = (b: Uint8Array): string => NAME_DECODER.decode(b);

interface Directory {
  readonly count: number;
  readonly size: number;
  readonly offset: number;
  /** Where the central directory must end (the ZIP64 record or the end record). */
  readonly end: number;
}

/** Finds the end of central directory record (and the ZIP64 one it points to). */
async function findDirectory(source: FileSource): Promise<Directory> {
  if (source.size < EOCD_BYTES) throw new FormatError(`file is ${source.size} bytes, too short for a zip archive`);
  const tailLength = Math.min(source.size, EOCD_BYTES + MAX_COMMENT);
  const tailStart = source.size - tailLength;
  const tail = await source.read(tailStart, tailLength, 'zip end records');
  const v = view(tail);
  let at = -1;
  for (let i = tailLength - EOCD_BYTES; i >= 0; i--) {
    // The comment must run exactly to the end of the file: a signature inside a comment is not the record.
    if (v.getUint32(i, true) === EOCD_SIG && i + EOCD_BYTES + v.getUint16(i + 20, true) === tailLength) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new FormatError('no zip end of central directory record: truncated or not a zip archive');
  const eocd = tailStart + at;
  if (v.getUint16(at + 4, true) !== 0 || v.getUint16(at + 6, true) !== 0)
    throw new FormatError('multi-disk zip archives are not supported');
  let count = v.getUint16(at + 10, true);
  let size = v.getUint32(at + 12, true);
  let offset = v.getUint32(at + 16, true);
  if (v.getUint16(at + 8, true) !== count) throw new FormatError('zip end record: entry counts disagree');
  let end = eocd;
  const needs64 = count === 0xffff || size === 0xffffffff || offset === 0xffffffff;
  if (at >= 20 && v.getUint32(at - 20, true) === ZIP64_LOCATOR_SIG) {
    const z = await readZip64(source, v, at - 20, eocd - 20);
    ({ count, size, offset } = z);
    end = z.recordOffset;
  } else if (needs64) {
    throw new FormatError('zip end record needs a ZIP64 record, but there is none');
  }
  if (offset + size > end) throw new FormatError('zip central directory runs past its end record');
  return { count, size, offset, end };
}

async function readZip64(
  source: FileSource,
  tail: DataView,
  locatorAt: number,
  locatorOffset: number,
): Promise<{ count: number; size: number; offset: number; recordOffset: number }> {
  if (tail.getUint32(locatorAt + 4, true) !== 0 || tail.getUint32(locatorAt + 16, true) > 1)
    throw new FormatError('multi-disk zip archives are not supported');
  const recordOffset = safe(tail.getBigUint64(locatorAt + 8, true), 'ZIP64 record offset');
  if (recordOffset + 56 > locatorOffset) throw new FormatError('ZIP64 end record offset is out of place');
  const r = view(await source.read(recordOffset, 56, 'ZIP64 end record'));
  if (r.getUint32(0, true) !== ZIP64_EOCD_SIG) throw new FormatError('bad ZIP64 end record signature');
  if (r.getUint32(16, true) !== 0 || r.getUint32(20, true) !== 0)
    throw new FormatError('multi-disk zip archives are not supported');
  const count = safe(r.getBigUint64(32, true), 'ZIP64 entry count');
  if (count !== safe(r.getBigUint64(24, true), 'ZIP64 entry count'))
    throw new FormatError('ZIP64 entry counts disagree');
  return {
    count,
    size: safe(r.getBigUint64(40, true), 'ZIP64 central directory size'),
    offset: safe(r.getBigUint64(48, true), 'ZIP64 central directory offset'),
    recordOffset,
  };
}

function safe(n: bigint, what: string): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(`${what} ${n} is out of range`);
  return Number(n);
}

/** Reads every central directory header, checks the entries against each other and the file. */
async function readCentralDirectory(source: FileSource): Promise<Map<string, ZipEntry>> {
  const dir = await findDirectory(source);
  if (dir.count > MAX_ZIP_ENTRIES) throw new FormatError(`zip archive has ${dir.count} entries, above the cap`);
  if (dir.size > MAX_CENTRAL_DIRECTORY_BYTES)
    throw new FormatError(`zip central directory is ${dir.size} bytes, above the cap`);
  if (dir.count * CENTRAL_BYTES > dir.size)
    throw new FormatError(`zip central directory of ${dir.size} bytes cannot hold ${dir.count} entries`);
  const bytes = await source.read(dir.offset, dir.size, 'zip central directory');
  const v = view(bytes);
  const list: Omit<ZipEntry, 'limit'>[] = [];
  const names = new Set<string>();
  let at = 0;
  for (let i = 0; i < dir.count; i++) {
    if (at + CENTRAL_BYTES > bytes.length || v.getUint32(at, true) !== CENTRAL_SIG)
      throw new FormatError(`zip central directory entry ${i}: bad signature or truncated`);
    const flags = v.getUint16(at + 8, true);
    const method = v.getUint16(at + 10, true);
    let compressedSize = v.getUint32(at + 20, true);
    let size = v.getUint32(at + 24, true);
    const nameLength = v.getUint16(at + 28, true);
    const extraLength = v.getUint16(at + 30, true);
    const commentLength = v.getUint16(at + 32, true);
    let localOffset = v.getUint32(at + 42, true);
    const next = at + CENTRAL_BYTES + nameLength + extraLength + commentLength;
    if (next > bytes.length) throw new FormatError(`zip central directory entry ${i} is truncated`);
    const name = decodeName(bytes.subarray(at + CENTRAL_BYTES, at + CENTRAL_BYTES + nameLength));
    const what = `zip entry '${name}'`;
    if (flags & 0x41) throw new FormatError(`${what} is encrypted`);
    if (v.getUint16(at + 34, true) !== 0 && v.getUint16(at + 34, true) !== 0xffff)
      throw new FormatError(`${what} is on another disk`);
    if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) {
      const extra = bytes.subarray(at + CENTRAL_BYTES + nameLength, at + CENTRAL_BYTES + nameLength + extraLength);
      ({ compressedSize, size, localOffset } = zip64Fields(extra, { compressedSize, size, localOffset }, what));
    }
    if (names.has(name)) throw new FormatError(`zip archive names '${name}' twice`);
    names.add(name);
    if (method === 0 && compressedSize !== size)
      throw new FormatError(`${what} is stored but its sizes disagree (${compressedSize} and ${size})`);
    list.push({ name, method, compressedSize, size, localOffset, nameLength });
    at = next;
  }
  return withLimits(list, dir.offset);
}

/** Replaces the 0xffffffff fields by the ZIP64 extended information extra field's values (in order). */
function zip64Fields(
  extra: Uint8Array,
  f: { compressedSize: number; size: number; localOffset: number },
  what: string,
): { compressedSize: number; size: number; localOffset: number } {
  const v = view(extra);
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = v.getUint16(at, true);
    const length = v.getUint16(at + 2, true);
    if (at + 4 + length > extra.length) break;
    if (id === 1) {
      let p = at + 4;
      const take = (): number => {
        if (p + 8 > at + 4 + length) throw new FormatError(`${what}: ZIP64 extra field is too short`);
        const n = safe(v.getBigUint64(p, true), `${what} ZIP64 field`);
        p += 8;
        return n;
      };
      const size = f.size === 0xffffffff ? take() : f.size;
      const compressedSize = f.compressedSize === 0xffffffff ? take() : f.compressedSize;
      const localOffset = f.localOffset === 0xffffffff ? take() : f.localOffset;
      return { compressedSize, size, localOffset };
    }
    at += 4 + length;
  }
  throw new FormatError(`${what}: sizes need a ZIP64 extra field, but there is none`);
}

/**
 * Orders entries by where they start and gives each the offset its data may not pass (the
 * next entry's start, or the central directory). Two entries starting at the same byte, or an
 * entry whose header, name and data cannot fit before the next one, overlap: refused.
 */
function withLimits(list: Omit<ZipEntry, 'limit'>[], directoryOffset: number): Map<string, ZipEntry> {
  const sorted = [...list].sort((a, b) => a.localOffset - b.localOffset);
  const entries = new Map<string, ZipEntry>();
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i]!;
    const limit = i + 1 < sorted.length ? sorted[i + 1]!.localOffset : directoryOffset;
    const least = e.localOffset + LOCAL_BYTES + e.nameLength + e.compressedSize;
    if (least > limit) {
      const who = i + 1 < sorted.length ? `entry '${sorted[i + 1]!.name}'` : 'the central directory';
      throw new FormatError(`zip entry '${e.name}' overlaps ${who}`);
    }
    entries.set(e.name, { ...e, limit });
  }
  return entries;
}

/** A zip archive starts with a local file header (an empty archive with its end record: not a model). */
export function isZipHead(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}
