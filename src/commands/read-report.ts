/** Reading a JSON report written earlier with --json (for `merge`, `compare` and `render`). */
import { FormatError, InputError, UsageError } from '../errors.js';
import { openRegularFile, readTextFile } from '../load/open-file.js';
import { sniffFormat } from '../load/index.js';
import { SCHEMA_VERSION, type AnalysisReport } from '../schema/index.js';

/**
 * Reports are megabytes at most (every layer, with --vectors); the cap keeps a huge file
 * from being read into memory, and stays below V8's longest string.
 */
const MAX_REPORT_BYTES = 256 * 1024 * 1024;

/** A JSON file as a report; its shape is checked by whoever uses it. */
export async function readJsonReport(file: string): Promise<AnalysisReport> {
  let text: string;
  try {
    // Not blocking on a FIFO, not reading /dev/zero or a directory: open-file.ts.
    text = await readTextFile(file, MAX_REPORT_BYTES);
  } catch (e) {
    if (e instanceof FormatError) throw new InputError(file, e.message);
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(
      file,
      code === 'ENOENT' ? 'no such file or directory' : code === 'EISDIR' ? 'is a directory' : 'cannot be read',
    );
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, '')) as AnalysisReport;
  } catch (e) {
    throw new InputError(file, `not valid JSON (${(e as Error).message})`);
  }
}

/**
 * The report in `path` when it is one (a JSON object with a `schemaVersion`), checked to be a
 * whole v1 report (a shard part must be merged first); undefined for anything else (a model).
 */
export async function readReportIfAny(path: string): Promise<AnalysisReport | undefined> {
  if (!(await startsWithBrace(path))) return undefined;
  const doc = await readJsonReport(path);
  if (typeof doc !== 'object' || doc === null || !('schemaVersion' in doc)) return undefined;
  if (doc.schemaVersion !== SCHEMA_VERSION || !Array.isArray(doc.layers) || !Array.isArray(doc.models)) {
    throw new InputError(
      path,
      `not an rmt-analyze v${SCHEMA_VERSION} report (schemaVersion ${JSON.stringify(doc.schemaVersion)})`,
    );
  }
  // A part written with --shard i/n holds only some layers.
  const shard = (doc as { shard?: { index: number; count: number } }).shard;
  if (shard)
    throw new UsageError(
      `${path} is part ${shard.index}/${shard.count} of a sharded run: merge the parts first (rmt-analyze merge)`,
    );
  return doc;
}

/** True when `path` is a regular file whose content the model loader would take for JSON. */
async function startsWithBrace(path: string): Promise<boolean> {
  let opened: Awaited<ReturnType<typeof openRegularFile>>;
  try {
    // Not blocking on a FIFO; anything but a regular file goes to the model loader, which names the problem.
    opened = await openRegularFile(path);
  } catch {
    return false;
  }
  const { handle, stats } = opened;
  try {
    const head = new Uint8Array(64);
    const { bytesRead } = await handle.read(head, 0, 64, 0);
    // Binary (NUL bytes) is never a report, even when the loader would not know it either.
    if (head.subarray(0, bytesRead).includes(0)) return false;
    // The model loader's own sniffing: JSON opening an object that is not a safetensors
    // header (whose u64 length can start with '{') is what the loader calls an index.
    return sniffFormat(head.subarray(0, bytesRead), path, stats.size)?.name === 'safetensors-index';
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}
