/**
 * `--format github`: for GitHub Actions logs. The plain table folded into a log group, one
 * `::error` workflow command per gate failure (each becomes an annotation on the run), and
 * a `::notice` with the summary and the gate's verdict.
 * Workflow-command syntax and escaping: docs.github.com, "Workflow commands for GitHub Actions".
 */
import type { AnalysisReport } from '../schema/index.js';
import { renderTable } from './table.js';
import { describeViolation, failureCount } from './gate-text.js';
import { formatNumber } from './format.js';
import { defuseWorkflowCommand, printable } from '../errors.js';

export function renderGithub(report: AnalysisReport, options: { readonly showSkipped?: boolean } = {}): string {
  const out: string[] = [];
  const models = report.models.map((m) => m.path).join(', ');
  out.push(`::group::rmt-analyze: ${escapeData(models)} (${report.summary.layers} layers)`);
  // Model text in the table is already defused (printable); every line is checked again so
  // that no line but ours can start a workflow command.
  out.push(
    ...renderTable(report, { color: false, showSkipped: options.showSkipped })
      .trimEnd()
      .split('\n')
      .map(defuseWorkflowCommand),
  );
  out.push('::endgroup::');
  const multiModel = report.models.length > 1;
  for (const f of report.gate?.failures ?? []) {
    const where = multiModel ? ` (${report.models[f.model]?.path ?? f.model})` : '';
    const title = `rmt-analyze gate: ${f.layer}${where}`;
    out.push(`::error title=${escapeProperty(title)}::${escapeData(describeViolation(f))}`);
  }
  out.push(`::notice title=rmt-analyze::${escapeData(summary(report))}`);
  return out.join('\n') + '\n';
}

function summary(report: AnalysisReport): string {
  const s = report.summary;
  const phases = Object.entries(s.phases)
    .filter(([, n]) => n > 0)
    .map(([p, n]) => `${p} ${n}`)
    .join(', ');
  let line = `${s.analyzed} of ${s.layers} layers analysed`;
  line += `${s.skipped > 0 ? `, ${s.skipped} skipped` : ''}${phases ? ` (${phases})` : ''}`;
  if (s.analyzed > 0) line += `; mean α ${formatNumber(s.meanAlpha, 3)}`;
  if (report.gate) line += report.gate.passed ? '; gate passed' : `; gate failed: ${failureCount(report.gate)}`;
  return line;
}

/** Message text of a workflow command (other control characters shown escaped, as in the table). */
export function escapeData(s: string): string {
  return printable(s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A'), 4000);
}

/** A property value (title=…) of a workflow command: also ':' and ','. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
