/**
 * Positioned, bounds-checked reads from a file. Every loader reads through this so that
 * no offset or length taken from a (possibly hostile) file is used unchecked, and so
 * that only the bytes of one tensor are in memory at a time.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { FormatError } from '../errors.js';

/** Largest single read: one tensor's bytes. Larger tensors are refused, not attempted. */
export const MAX_READ_BYTES = 2 ** 31 - 1;

export class FileSource {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<FileSource> {
    const handle = await open(path, 'r');
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new FormatError('not a regular file');
      return new FileSource(path, handle, st.size);
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  /** Reads exactly `length` bytes at `offset`, or throws FormatError naming `what`. */
  async read(offset: number, length: number, what = 'data'): Promise<Uint8Array> {
    checkRange(offset, length, this.size, what);
    if (length > MAX_READ_BYTES) throw new FormatError(`${what} is ${length} bytes, more than one read can hold`);
    const buf = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) throw new FormatError(`${what} ends early: the file was truncated while being read`);
      done += bytesRead;
    }
    return buf;
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
