/** `--report FILE.html`: the HTML report written next to whatever stdout carries. */
import { constants } from 'node:fs';
import { access, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AnalysisReport } from '../schema/index.js';
import { renderHtml } from '../report/html.js';
import { UsageError, printable } from '../errors.js';
import type { CliIO } from './context.js';

/**
 * Refuses a report path that cannot be written before any work is done (an existing
 * directory, a missing or read-only directory, a read-only file), without creating the file.
 */
export async function checkReportWritable(file: string): Promise<void> {
  const refuse = (code: string) => {
    throw new UsageError(`${file}: cannot write the report (${code})`);
  };
  const existing = await stat(file).catch((e: NodeJS.ErrnoException) =>
    e.code === 'ENOENT' ? undefined : refuse(e.code ?? 'EIO'),
  );
  if (existing?.isDirectory()) refuse('EISDIR');
  const target = existing ? file : dirname(file);
  const dir = existing ? undefined : await stat(target).catch((e: NodeJS.ErrnoException) => refuse(e.code ?? 'EIO'));
  if (dir && !dir.isDirectory()) refuse('ENOTDIR');
  await access(target, constants.W_OK).catch((e: NodeJS.ErrnoException) => refuse(e.code ?? 'EACCES'));
}

/** Writes the report (eigenvalues needed for its plots) and names it on stderr. */
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
  io.stderr.write(`rmt-analyze: wrote ${printable(file)} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KB)\n`);
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
