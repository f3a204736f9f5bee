/** Reading a JSON report written earlier with --json (for `merge` and `compare`). */
import { FormatError, InputError } from '../errors.js';
import { readTextFile } from '../load/open-file.js';
import type { AnalysisReport } from '../schema/index.js';

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
