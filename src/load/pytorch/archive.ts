/**
 * The zip container of `torch.save` (torch ≥ 1.6, `_use_new_zipfile_serialization`) and of
 * TorchScript's `torch.jit.save`: `<dir>/data.pkl` (the object, storages as persistent ids),
 * `<dir>/data/<key>` (each storage's raw little-endian bytes, stored uncompressed),
 * `<dir>/byteorder` (torch ≥ 2.1; absent means little), and for TorchScript
 * `<dir>/constants.pkl` (tensors in `<dir>/constants/`) and `<dir>/code/` (never read).
 * Learned from torch/serialization.py (`_save`, `_load`), torch/jit/_serialization.py and
 * caffe2/serialize/inline_container.cc; netron's source/pytorch.js for the TorchScript layout.
 */
import { FormatError } from '../../errors.js';
import type { TensorRef } from '../../types.js';
import { FILE_CONCURRENCY, mapBounded } from '../bounded.js';
import type { FileSource } from '../file.js';
import { unpickle } from '../pickle/machine.js';
import type { PickleValue } from '../pickle/values.js';
import { ZipArchive, type ZipEntry } from '../zip.js';
import { allowCall } from './allow.js';
import { findTensors, type FoundTensor } from './contents.js';
import { parseStoragePid } from './storage.js';
import type { OpenedCheckpoint } from './opened.js';
import { isListed, type LocatedStorage, tensorRef } from './tensor.js';

/** Opens the zip checkpoint in `source` (owned by the caller, who closes it on failure). */
export async function openZipCheckpoint(path: string, source: FileSource): Promise<OpenedCheckpoint> {
  const zip = await ZipArchive.open(source);
  const dir = archiveFolder(zip);
  const torchscript = zip.get(`${dir}/constants.pkl`) !== undefined;
  await checkByteOrder(zip, dir);
  const found: { tensors: FoundTensor[]; records: string }[] = [
    { tensors: await tensorsOf(zip, `${dir}/data.pkl`, []), records: `${dir}/data/` },
  ];
  if (torchscript) {
    const constantsDir = [...zip.entries.keys()].some((n) => n.startsWith(`${dir}/constants/`)) ? 'constants' : 'data';
    found.push({
      tensors: await tensorsOf(zip, `${dir}/constants.pkl`, ['constants']),
      records: `${dir}/${constantsDir}/`,
    });
  }
  const needsData = (t: FoundTensor) =>
    isListed(t) && t.storage !== undefined && t.role === undefined && t.dtype !== 'OTHER';
  await prefetchHeaders(
    zip,
    found.flatMap(({ tensors, records }) => tensors.filter(needsData).map((t) => `${records}${t.storage!.key}`)),
  );
  const tensors: TensorRef[] = [];
  let nonWeights = 0;
  const located = new Map<string, LocatedStorage>();
  for (const { tensors: list, records } of found) {
    for (const t of list) {
      if (!isListed(t)) {
        nonWeights++;
        continue;
      }
      const where = needsData(t) ? await locate(zip, records, t, located, path) : undefined;
      tensors.push(tensorRef(t, where, path));
    }
  }
  const model = {
    path,
    format: 'pytorch' as const,
    tensors,
    bytes: source.size,
    nonWeightTensors: nonWeights,
    metadata: { variant: torchscript ? 'torchscript' : 'zip' },
    close: () => source.close(),
  };
  return { model, names: found.flatMap((f) => f.tensors.map((t) => t.name)) };
}

/** The one top-level folder holding data.pkl (torch names it after the file; any name is accepted). */
function archiveFolder(zip: ZipArchive): string {
  const folders = [...zip.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n)).map((n) => n.slice(0, -9));
  if (folders.length === 0) throw new FormatError('zip archive without data.pkl: not a PyTorch checkpoint');
  if (folders.length > 1) throw new FormatError(`zip archive holds ${folders.length} data.pkl records`);
  return folders[0]!;
}

async function checkByteOrder(zip: ZipArchive, dir: string): Promise<void> {
  const entry = zip.get(`${dir}/byteorder`);
  if (entry === undefined) return;
  const order = new TextDecoder().decode(await zip.readEntry(entry, 16));
  if (order === 'big') throw new FormatError('the checkpoint was saved big-endian (byteorder "big"): not supported');
  if (order !== 'little') throw new FormatError('byteorder record is neither "little" nor "big"');
}

/** Unpickles one pickle record and finds its tensors, named under `prefix`. */
async function tensorsOf(zip: ZipArchive, name: string, prefix: string[]): Promise<FoundTensor[]> {
  const entry = zip.get(name);
  if (entry === undefined) throw new FormatError(`${name} is missing`);
  const bytes = await zip.readEntry(entry);
  const { value } = unpickle(bytes, { allowCall });
  const found = findTensors(value, (pid: PickleValue) => parseStoragePid(pid, false));
  return prefix.length === 0 ? found : found.map((t) => ({ ...t, name: `${prefix.join('.')}.${t.name}` }));
}

/**
 * Checks the local headers of the stored records `names` a few at a time (libuv reads them in
 * parallel), so that locate() finds their offsets known; problems are left for locate() to report.
 */
async function prefetchHeaders(zip: ZipArchive, names: readonly string[]): Promise<void> {
  const entries = [...new Set(names)].flatMap((n) => {
    const e = zip.get(n);
    return e !== undefined && e.method === 0 ? [e] : [];
  });
  await mapBounded(entries, FILE_CONCURRENCY, async (e) => {
    await zip.dataOffset(e).catch(() => undefined);
  });
}

/** The storage record of `t`: stored (never deflated), at least as large as the storage it declares. */
async function locate(
  zip: ZipArchive,
  records: string,
  t: FoundTensor,
  located: Map<string, LocatedStorage>,
  file: string,
): Promise<LocatedStorage> {
  const spec = t.storage!;
  const name = `${records}${spec.key}`;
  const known = located.get(name);
  if (known !== undefined) {
    if (known.bytes !== spec.bytes) throw new FormatError(`storage '${spec.key}' is declared with two sizes`);
    return known;
  }
  const entry: ZipEntry | undefined = zip.get(name);
  if (entry === undefined) throw new FormatError(`tensor '${t.name}': storage record ${name} is missing`);
  if (entry.method !== 0)
    throw new FormatError(`storage record ${name} is compressed (PyTorch stores them as they are)`);
  if (entry.size < spec.bytes)
    throw new FormatError(`storage record ${name} has ${entry.size} bytes, less than its ${spec.bytes}`);
  const where = { source: zip.source, offset: await zip.dataOffset(entry), bytes: spec.bytes, id: `${file}:${name}` };
  located.set(name, where);
  return where;
}
