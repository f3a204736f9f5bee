/**
 * The symlink policy, one for every file a model names (shards, the index or model file
 * picked in a directory, ONNX external data, the `onnx/` subfolder): the file is named
 * relative to the model's folder, and its real path must lie inside the model's trust
 * root. Kept apart from the format modules so that none of them imports another.
 *
 * The trust root is the model's folder, except in the Hugging Face hub cache, where
 * huggingface_hub stores `<cache>/<type>s--<org>--<name>/snapshots/<revision>/<file>` as a
 * relative symlink to `../../blobs/<hash>` (huggingface_hub docs, "Manage
 * huggingface_hub cache-system"; `repo_folder_name` in file_download.py): the real file
 * is outside the snapshot folder by design. There the root is the repository folder
 * `models--org--name`: a snapshot may point anywhere inside its own repository, never
 * into another repository, the rest of the cache or elsewhere.
 *
 * The path the user gives on the command line is theirs and is followed wherever it
 * points; the policy applies to what the model (or the directory listing) names.
 */
import { realpath, stat } from 'node:fs/promises';
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import { FormatError } from '../errors.js';
import { FileSource } from './file.js';

/** A hub cache repository folder: `models--org--name` (also datasets--, spaces--). */
const HUB_REPO_FOLDER = /^(models|datasets|spaces)--./;

/**
 * The trust root of a model whose folder's real path is `realFolder`: the enclosing hub
 * cache repository folder when `realFolder` is a snapshot (or inside one), else itself.
 */
export function trustRoot(realFolder: string): string {
  const parts = realFolder.split(sep);
  for (let i = parts.length - 2; i >= 1; i--) {
    if (parts[i] === 'snapshots' && HUB_REPO_FOLDER.test(parts[i - 1]!) && parts[i + 1] !== '') {
      return parts.slice(0, i).join(sep);
    }
  }
  return realFolder;
}

/** A file named inside a model: the path as named (shown in messages) and its real path (checked). */
export interface ResolvedName {
  readonly path: string;
  readonly real: string;
}

/** A model's folder and its trust root, resolved once for all the files the model names. */
export class ModelFolder {
  private constructor(
    /** The folder as given (names are resolved against it, messages show paths under it). */
    readonly folder: string,
    private readonly root: string,
    private readonly isHubRepo: boolean,
  ) {}

  static async of(folder: string): Promise<ModelFolder> {
    const real = await realpath(folder);
    const root = trustRoot(real);
    return new ModelFolder(folder, root, root !== real);
  }

  /**
   * Resolves `name` (a relative path from the model) inside the trust root, refusing
   * absolute paths, `..` and symlinks that resolve outside it. `what` says what names it.
   */
  async resolve(name: string, what: string): Promise<ResolvedName> {
    if (name.length === 0) throw new FormatError(`${what} has an empty file name`);
    if (name.includes('\0')) throw new FormatError(`${what} file name contains a NUL byte`);
    if (isAbsolute(name) || /^[a-zA-Z]:[\\/]/.test(name) || name.startsWith('\\')) {
      throw new FormatError(`${what} refers to an absolute path '${name}': refused`);
    }
    if (name.split(/[\\/]/).includes('..'))
      throw new FormatError(`${what} refers to '${name}', outside the model's folder: refused`);
    const path = resolve(this.folder, name);
    let real: string;
    try {
      real = await realpath(path);
    } catch (e) {
      throw fileError(e, name, what);
    }
    const rel = relative(this.root, real);
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
      const where = this.isHubRepo ? `the cache repository '${basename(this.root)}'` : "the model's folder";
      throw new FormatError(`${what} '${name}' resolves outside ${where}: refused`);
    }
    return { path, real };
  }

  /**
   * Opens the regular file `name` after `resolve` checked it, and makes sure the file
   * opened is the one checked: its real path is opened with O_NOFOLLOW (a symlink swapped
   * in since is refused) and the descriptor's inode is compared with that path's. The
   * descriptor is then kept for every read (FileSource).
   */
  async open(name: string, what: string): Promise<FileSource> {
    const { real } = await this.resolve(name, what);
    let source: FileSource;
    try {
      source = await FileSource.open(real, `${what} '${name}'`, true);
    } catch (e) {
      throw fileError(e, name, what);
    }
    try {
      const st = await stat(real);
      if (st.dev !== source.dev || st.ino !== source.ino) throw new Error('replaced');
    } catch {
      await source.close();
      throw new FormatError(`${what} '${name}' changed while being opened: refused`);
    }
    return source;
  }
}

/** A failed realpath or open of a named file, as one line naming it. */
function fileError(e: unknown, name: string, what: string): unknown {
  switch ((e as NodeJS.ErrnoException)?.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new FormatError(`${what} file '${name}' does not exist`);
    case 'ELOOP':
      return new FormatError(`${what} '${name}': too many levels of symbolic links, or replaced by one: refused`);
    case 'EACCES':
    case 'EPERM':
      return new FormatError(`${what} '${name}': permission denied`);
    case 'EMFILE':
    case 'ENFILE':
      return new FormatError(`${what} '${name}': too many open files`);
    case 'EIO':
      return new FormatError(`${what} '${name}': input/output error`);
  }
  return e;
}
