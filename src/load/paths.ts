/**
 * Path safety shared by every format: files named inside a model (shards, ONNX external
 * data) must stay inside the model's folder, and only regular files are read.
 * Kept apart from the format modules so that none of them imports another.
 */
import { realpath } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { FormatError } from '../errors.js';

/**
 * Resolves a file named inside a model (shard, external data) against the model's folder,
 * refusing anything that could read outside it: absolute paths, `..`, and symlinks that
 * resolve elsewhere. Checked before the file is opened.
 */
export async function resolveInside(folder: string, name: string, what: string): Promise<string> {
  if (name.length === 0) throw new FormatError(`${what} has an empty file name`);
  if (name.includes('\0')) throw new FormatError(`${what} file name contains a NUL byte`);
  if (isAbsolute(name) || /^[a-zA-Z]:[\\/]/.test(name) || name.startsWith('\\')) {
    throw new FormatError(`${what} refers to an absolute path '${name}': refused`);
  }
  if (name.split(/[\\/]/).includes('..'))
    throw new FormatError(`${what} refers to '${name}', outside the model's folder: refused`);
  const candidate = resolve(folder, name);
  let real: string;
  let realFolder: string;
  try {
    realFolder = await realpath(folder);
    real = await realpath(candidate);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new FormatError(`${what} file '${name}' does not exist`);
    throw e;
  }
  const rel = relative(realFolder, real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep)[0] === '..') {
    throw new FormatError(`${what} '${name}' resolves outside the model's folder: refused`);
  }
  return candidate;
}

/** Devices, FIFOs and sockets are refused before any byte is read (reading could block). */
export function assertRegularFile(st: Stats): void {
  if (!st.isFile()) throw new FormatError('not a regular file');
}
