/** Reading a JSON report written earlier with --json (for `merge` and `compare`). */
import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import type { AnalysisReport } from '../schema/index.js';

/** A JSON file as a report; its shape is checked by whoever uses it. */
export async function readJsonReport(file: string): Promise<AnalysisReport> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
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
