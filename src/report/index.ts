/**
 * Reporters: pure functions from the report document to text. The CLI picks one by name;
 * adding a format is adding an entry here.
 */
import type { AnalysisReport } from '../schema/index.js';
import { renderJson } from './json.js';
import { renderTable, type ExtraColumn } from './table.js';
import { renderHtml } from './html.js';
import { renderCsv } from './csv.js';
import { renderMarkdown } from './markdown.js';
import { renderGithub } from './github.js';

export interface RenderOptions {
  /** Colour (table only). */
  readonly color: boolean;
  /** Print each phase's reason (table only). */
  readonly explain?: boolean;
  /** A compact ESD histogram under each row (table only; needs eigenvalues). */
  readonly plot?: boolean;
  /** Table width in characters (undefined: unlimited). */
  readonly width?: number;
  /** List skipped layers in the table and the HTML index (by default counted in one line). */
  readonly showSkipped?: boolean;
  /** Extra table columns (`--columns`). */
  readonly columns?: readonly ExtraColumn[];
}

export type Reporter = (report: AnalysisReport, options: RenderOptions) => string;

export const REPORTERS = {
  table: renderTable,
  json: (report: AnalysisReport) => renderJson(report),
  html: (report: AnalysisReport, options?: RenderOptions) => renderHtml(report, options),
  csv: (report: AnalysisReport) => renderCsv(report),
  markdown: (report: AnalysisReport) => renderMarkdown(report),
  github: (report: AnalysisReport, options?: RenderOptions) => renderGithub(report, options),
} satisfies Record<string, Reporter>;

export type ReportFormat = keyof typeof REPORTERS;
export const REPORT_FORMATS = Object.keys(REPORTERS) as ReportFormat[];

/** Formats drawn from the eigenvalues themselves: the analysis must keep them. */
export const NEEDS_EIGENVALUES: ReadonlySet<ReportFormat> = new Set<ReportFormat>(['html']);
