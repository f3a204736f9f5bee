/** `--report FILE.html`: the HTML report written next to whatever stdout carries. */
import { writeFile } from 'node:fs/promises';
import type { AnalysisReport } from '../schema/index.js';
import { renderHtml } from '../report/html.js';
import { UsageError } from '../errors.js';
import type { CliIO } from './context.js';

/** Writes the report (eigenvalues needed for its plots); says so on stderr only on a terminal. */
export async function writeHtmlReport(
  file: string,
  report: AnalysisReport,
  io: CliIO,
  showSkipped = false,
): Promise<void> {
  const html = renderHtml(report, { showSkipped });
  try {
    await writeFile(file, html, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${file}: cannot write the report (${code ?? (e as Error).message})`);
  }
  if (io.stderr.isTTY === true)
    io.stderr.write(`rmt-analyze: wrote ${file} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KB)\n`);
}

/** The report without eigenvalues, for output that did not ask for them. */
export function withoutEigenvalues(report: AnalysisReport): AnalysisReport {
  return {
    ...report,
    layers: report.layers.map((l) => {
      if (l.status !== 'analyzed') return l;
      // Everything --eigenvalues adds: the ESD, the shuffled ESD, the per-vector metrics.
      const { eigenvalues: _e, traps, vectors, ...rest } = l;
      const keptTraps = traps && (({ eigenvalues: _t, ...t }) => t)(traps);
      const keptVectors = vectors && (({ perVector: _p, ...v }) => v)(vectors);
      return { ...rest, ...(keptTraps ? { traps: keptTraps } : {}), ...(keptVectors ? { vectors: keptVectors } : {}) };
    }),
  };
}
