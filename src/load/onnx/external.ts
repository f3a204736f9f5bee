/**
 * ONNX external data (onnx docs/ExternalData.md): a tensor's values in another file,
 * `external_data {location, offset, length}`, the location relative to the model file's
 * folder. Each file is resolved under the model's symlink policy (../paths.ts), opened
 * once when the model is opened, and that descriptor is what every later read uses: the
 * file checked is the file read, even if its path is swapped for a symlink or a FIFO
 * afterwards. The descriptors live as long as the model (closed by its close()).
 */
import { dirname, resolve } from 'node:path';
import { FormatError } from '../../errors.js';
import type { FileSource } from '../file.js';
import { ModelFolder } from '../paths.js';

/** Where a tensor's external values are: the file (open) and the byte range in it. */
export interface ExternalStorage {
  readonly kind: 'external';
  readonly location: string;
  /** The location resolved against the model's folder (identity of the storage). */
  readonly path: string;
  readonly file: FileSource;
  readonly offset: number;
  readonly length: number;
}

/** The external data files of one ONNX model, each opened once. */
export class ExternalFiles {
  private folder: Promise<ModelFolder> | undefined;
  private readonly files = new Map<string, Promise<FileSource>>();

  constructor(readonly modelPath: string) {}

  /** The open file at `location`; `what` names the tensor in errors. */
  open(location: string, what: string): Promise<FileSource> {
    const key = resolve(dirname(this.modelPath), location);
    let file = this.files.get(key);
    if (file === undefined) {
      this.folder ??= ModelFolder.of(dirname(this.modelPath));
      file = this.folder.then((f) => f.open(location, what));
      this.files.set(key, file);
    }
    return file;
  }

  /** Bytes of every external file opened (part of the model's size). */
  async bytes(): Promise<number> {
    let total = 0;
    for (const f of this.files.values()) total += (await f).size;
    return total;
  }

  async close(): Promise<void> {
    const all = await Promise.allSettled(this.files.values());
    await Promise.all(all.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
  }
}

/** Checks a tensor's external_data entries and opens its file. */
export async function locateExternal(
  entries: unknown,
  who: string,
  expectedBytes: number | undefined,
  files: ExternalFiles,
): Promise<ExternalStorage> {
  const kv = new Map<string, string>();
  for (const e of (entries ?? []) as { key?: string; value?: string }[]) kv.set(e.key ?? '', e.value ?? '');
  const location = kv.get('location');
  if (location === undefined || location === '') throw new FormatError(`${who} has external data without a location`);
  const parseNum = (key: string): number | undefined => {
    const v = kv.get(key);
    if (v === undefined) return undefined;
    if (!/^\d{1,16}$/.test(v) || !Number.isSafeInteger(Number(v))) {
      throw new FormatError(`${who} has an invalid external data ${key} '${v.slice(0, 40)}'`);
    }
    return Number(v);
  };
  const offset = parseNum('offset') ?? 0;
  const given = parseNum('length');
  // Resolved and opened before anything is read: no absolute paths, no '..', no symlinks
  // out of the trust root, regular files only.
  const file = await files.open(location, `${who} external data`);
  const size = file.size;
  if (given !== undefined && expectedBytes !== undefined && given !== expectedBytes) {
    throw new FormatError(`${who} has external data length ${given} but its shape needs ${expectedBytes} bytes`);
  }
  const length = given ?? expectedBytes ?? size - offset;
  if (offset > size || offset + length > size) {
    throw new FormatError(
      `${who} points past the end of its data file '${location}' (bytes ${offset}–${offset + length} of ${size})`,
    );
  }
  const path = resolve(dirname(files.modelPath), location);
  return { kind: 'external', location, path, file, offset, length };
}
