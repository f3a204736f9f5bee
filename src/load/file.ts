/**
 * Positioned, bounds-checked reads from a file. Every loader reads through this so that
 * no offset or length taken from a (possibly hostile) file is used unchecked, and so
 * that only the bytes of one tensor are in memory at a time.
 */
import type { FileHandle } from 'node:fs/promises';
import { FormatError } from '../errors.js';
import { openRegularFile, type OpenedFile } from './open-file.js';

/**
 * Largest single read into one buffer (Node's Buffer and one fs read stop at 2 GiB − 1).
 * Tensors larger than this are read in chunks by `readChunks`, never as one buffer.
 */
export const MAX_READ_BYTES = 2 ** 31 - 1;

/**
 * Bytes per chunk of `readChunks`: large enough that the per-read cost vanishes, small
 * enough that a 4 GiB tensor never has more than two of them (64 MiB) in raw bytes beside
 * its float64 copy. A multiple of 16, so that no element of any fixed-width type straddles
 * two chunks.
 */
export const CHUNK_BYTES = 32 * 1024 * 1024;

/**
 * One open regular file, read by descriptor for as long as the model is open: the file
 * checked at open is the file read later, whatever happens to its path meanwhile.
 */
export class FileSource {
  /** Size at open; reads are checked against it. */
  readonly size: number;
  /** Device and inode of the open file (to compare with the path that was checked). */
  readonly dev: number;
  readonly ino: number;
  private readonly handle: FileHandle;

  private constructor(
    readonly path: string,
    opened: OpenedFile,
  ) {
    this.handle = opened.handle;
    this.size = opened.stats.size;
    this.dev = opened.stats.dev;
    this.ino = opened.stats.ino;
  }

  /**
   * Opens a regular file without blocking (open-file.ts); `what` names it in the error
   * when it is not one, `noFollow` refuses a symlink as its last component.
   */
  static async open(path: string, what?: string, noFollow = false): Promise<FileSource> {
    return new FileSource(path, await openRegularFile(path, what, noFollow));
  }

  /** The size now (fstat of the descriptor): a file truncated since it was opened is caught. */
  async currentSize(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  /** Reads exactly `length` bytes at `offset`, or throws FormatError naming `what`. */
  async read(offset: number, length: number, what = 'data'): Promise<Uint8Array> {
    checkRange(offset, length, this.size, what);
    if (length > MAX_READ_BYTES) throw new FormatError(`${what} is ${length} bytes, more than one read can hold`);
    return this.readInto(new Uint8Array(length), offset, length, what);
  }

  /**
   * Reads [offset, offset + length) in chunks of at most `chunkBytes` (a multiple of the
   * element size), handing each to `take` with its position inside the range: tensors of
   * any size are read without holding all their bytes at once. `take` must be done with a
   * chunk when it returns (or the promise it returns settles): its buffer is reused for the
   * chunk after the next.
   *
   * The next chunk is read (by libuv's threads) while `take` widens this one: read one after
   * the other, the main thread sat idle during each read of a large tensor (issue 14: ~0.25 s
   * of the GPT-2 shape's 154 MB embedding). Two buffers, reused, so the raw bytes in memory
   * stay two chunks and their pages are touched once.
   */
  async readChunks(
    offset: number,
    length: number,
    what: string,
    take: (chunk: Uint8Array, at: number) => void | Promise<void>,
    chunkBytes = CHUNK_BYTES,
  ): Promise<void> {
    checkRange(offset, length, this.size, what);
    if (length <= chunkBytes) {
      await take(await this.read(offset, length, what), 0);
      return;
    }
    const buffers = [new Uint8Array(chunkBytes), new Uint8Array(chunkBytes)];
    const start = (at: number) =>
      this.readInto(buffers[(at / chunkBytes) % 2]!, offset + at, Math.min(chunkBytes, length - at), what);
    let pending = start(0);
    for (let at = 0; at < length; at += chunkBytes) {
      const chunk = await pending;
      if (at + chunkBytes < length) pending = start(at + chunkBytes);
      try {
        await take(chunk, at);
      } catch (e) {
        // The read already under way must not end as an unhandled rejection.
        pending.catch(() => {});
        throw e;
      }
    }
  }

  /** Fills buf[0, length) from the file at `offset`; the filled part of buf. */
  private async readInto(buf: Uint8Array, offset: number, length: number, what: string): Promise<Uint8Array> {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) throw new FormatError(`${what} ends early: the file was truncated while being read`);
      done += bytesRead;
    }
    return length === buf.length ? buf : buf.subarray(0, length);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Throws unless [offset, offset+length) is a valid range inside a file of `size` bytes. */
export function checkRange(offset: number, length: number, size: number, what: string): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new FormatError(`${what} has an invalid offset ${offset}`);
  if (!Number.isSafeInteger(length) || length < 0) throw new FormatError(`${what} has an invalid length ${length}`);
  if (offset + length > size) {
    throw new FormatError(`${what} points past the end of the file (bytes ${offset}–${offset + length} of ${size})`);
  }
}
