/**
 * A run whose report is incomplete — an unreadable model among several, or a layer whose
 * computation failed — still prints the whole report; then each gap gets one stderr line and
 * the run exits 2 (DESIGN.md §4). Shared by `analyze` and `merge` (whose parts may carry
 * failed layers).
 */
import { printable } from '../errors.js';
import type { AnalysisReport } from '../schema/index.js';
import type { CliIO } from './context.js';

/** Writes one stderr line per unreadable model and failed layer; returns how many there were. */
export function reportIncomplete(report: AnalysisReport, io: CliIO): number {
  let gaps = 0;
  for (const m of report.models) {
    if (!('error' in m)) continue;
    gaps++;
    io.stderr.write(`rmt-analyze: ${printable(m.error, 1000)}\n`);
  }
  for (const l of report.layers) {
    if (l.status !== 'failed') continue;
    gaps++;
    const path = printable(report.models[l.model]?.path ?? '', 200);
    io.stderr.write(
      `rmt-analyze: ${path}: layer '${printable(l.id, 200)}' failed (${l.failure.code}): ` +
        `${printable(l.failure.reason)}\n`,
    );
  }
  return gaps;
}
