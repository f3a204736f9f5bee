/**
 * The one way rmt-analyze opens a file it reads (models, shards, indexes, external data,
 * the config file, saved reports): open without blocking, fstat the descriptor, refuse
 * anything that is not a regular file, and hand back the descriptor that was checked, so
 * that every later read is of that very file and no path is opened a second time.
 *
 * Why not stat-then-open: a FIFO blocks in open(2) until a writer appears, and the path
 * can change between the stat and the open. Opening with O_NONBLOCK never blocks (for a
 * FIFO it returns at once, fifo(7)) and has no effect on regular files (open(2):
 * "O_NONBLOCK … has no effect for regular files and block devices"), so the check is made
 * on what was actually opened. /dev/zero, a directory or a socket in place of a file are
 * refused the same way before a byte is read.
 */
import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { FormatError } from '../errors.js';

/** Windows has neither flag (its opens of pipes and devices do not block this way): 0 there. */
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

export interface OpenedFile {
  readonly handle: FileHandle;
  /** fstat of the open descriptor: a regular file. */
  readonly stats: Stats;
}

/**
 * Opens `path` for reading if it is a regular file; otherwise closes it and throws a
 * FormatError. `what` names the file in the message ("shard 'a.safetensors'"); without it
 * the caller names the file. `noFollow` refuses a symlink as the last component
 * (O_NOFOLLOW: ELOOP), for paths that were already resolved and must not have changed.
 */
export async function openRegularFile(path: string, what?: string, noFollow = false): Promise<OpenedFile> {
  const notRegular = (st: Stats) =>
    new FormatError(`${what === undefined ? '' : `${what} is `}not a regular file (${fileKind(st)})`);
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | O_NONBLOCK | (noFollow ? O_NOFOLLOW : 0));
  } catch (e) {
    // A Unix socket (or a device without a driver) cannot be opened at all: ENXIO (open(2)).
    if ((e as NodeJS.ErrnoException).code !== 'ENXIO') throw e;
    const st = await stat(path).catch(() => undefined);
    if (st === undefined || st.isFile()) throw e;
    throw notRegular(st);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw notRegular(stats);
    return { handle, stats };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** What a non-regular file is, in words. */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'a special file';
}

/**
 * Reads a whole regular file of at most `maxBytes` bytes as UTF-8 text (JSON documents:
 * indexes, the config file, saved reports). The size is the descriptor's at open: a file
 * that grows meanwhile is read up to that size, one that shrinks is an error.
 */
export async function readTextFile(path: string, maxBytes: number): Promise<string> {
  const { handle, stats } = await openRegularFile(path);
  try {
    if (stats.size > maxBytes) throw new FormatError(`the file is ${stats.size} bytes, above the ${maxBytes}-byte cap`);
    const buf = Buffer.alloc(stats.size);
    let done = 0;
    while (done < buf.length) {
      const { bytesRead } = await handle.read(buf, done, buf.length - done, done);
      if (bytesRead === 0) throw new FormatError('the file was truncated while being read');
      done += bytesRead;
    }
    return buf.toString('utf8');
  } finally {
    await handle.close();
  }
}
