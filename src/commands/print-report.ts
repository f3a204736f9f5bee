/**
 * Writes a document to stdout in the chosen format: the one place analyze, merge and render
 * turn their flags into reporter options (sorting, colour, width, extra columns), so the three
 * print the same report the same way (`render` is tested byte for byte against `analyze`).
 */
import { REPORTERS, type ReportFormat } from '../report/index.js';
import { sortLayers, type SortKey } from '../report/sort.js';
import type { ExtraColumn } from '../report/table.js';
import type { AnalysisReport } from '../schema/index.js';
import { terminalWidth, useColor, type CliIO } from './context.js';

export interface PrintOptions {
  color: string | boolean;
  explain?: boolean;
  plot?: boolean;
  showSkipped?: boolean;
  columns?: ExtraColumn[];
  sort: SortKey;
}

export function printReport(report: AnalysisReport, format: ReportFormat, opts: PrintOptions, io: CliIO): void {
  io.stdout.write(
    REPORTERS[format](format === 'json' ? report : sortLayers(report, opts.sort), {
      color: useColor(io, opts.color),
      explain: opts.explain,
      plot: opts.plot,
      showSkipped: opts.showSkipped,
      columns: opts.columns,
      width: terminalWidth(io),
    }),
  );
}
