/**
 * Reporters: pure functions from the report document to text. The CLI picks one by name;
 * adding a format is adding an entry here.
 */
import type { AnalysisReport } from './json.js';
import { renderJson } from './json.js';
import { renderTable } from './table.js';

export interface RenderOptions {
  /** Colour (table only). */
  readonly color: boolean;
  /** Print each phase's reason (table only). */
  readonly explain?: boolean;
}

export type Reporter = (report: AnalysisReport, options: RenderOptions) => string;

export const REPORTERS = {
  table: renderTable,
  json: (report: AnalysisReport) => renderJson(report),
} satisfies Record<string, Reporter>;

export type ReportFormat = keyof typeof REPORTERS;
export const REPORT_FORMATS = Object.keys(REPORTERS) as ReportFormat[];
