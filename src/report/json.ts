/** The JSON reporter (`--json`): the v1 document of src/schema.ts, printed as it is. */
import type { AnalysisReport } from '../schema/index.js';

export function renderJson(report: AnalysisReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}
