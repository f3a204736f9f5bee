/**
 * `rmt-analyze render REPORT.json --format …`: a report saved with --json, printed in another
 * format without recomputing anything: the same reporters on the same document, so the output
 * is what the analysis would have printed (HTML plots and --plot need the eigenvalues, i.e. a
 * report saved with --eigenvalues).
 */
import { printReport } from './print-report.js';
import { Command, Option } from 'commander';
import { InputError } from '../errors.js';
import { REPORT_FORMATS, type ReportFormat } from '../report/index.js';
import {
  addOptions,
  colorOption,
  columnsOption,
  explainOption,
  formatOptions,
  sortOption,
  type ColorChoice,
} from './options.js';
import type { ExtraColumn } from '../report/table.js';
import type { SortKey } from '../report/sort.js';
import type { CliIO } from './context.js';
import { readReportIfAny } from './read-report.js';

interface RenderCliOptions {
  columns?: ExtraColumn[];
  json?: boolean;
  format?: ReportFormat;
  color: ColorChoice;
  explain?: boolean;
  plot?: boolean;
  showSkipped?: boolean;
  sort: SortKey;
}

export function renderCommand(io: CliIO, done: (code: Promise<number>) => void): Command {
  const cmd = new Command('render')
    .description('print a report saved with --json in another format, without analysing again')
    .argument('<report>', 'a JSON report written with --json (or by merge --json)');
  addOptions(cmd, formatOptions(REPORT_FORMATS), explainOption(), colorOption());
  cmd
    .option('--plot', 'a compact ESD histogram under each row (the report must hold eigenvalues: --eigenvalues)')
    .addOption(new Option('--show-skipped', 'list skipped layers in the table and the HTML index'))
    .addOption(sortOption())
    .addOption(columnsOption());
  return cmd.action((file: string, opts: RenderCliOptions) => done(runRender(file, opts, io)));
}

async function runRender(file: string, opts: RenderCliOptions, io: CliIO): Promise<number> {
  const format: ReportFormat = opts.json ? 'json' : (opts.format ?? 'table');
  const report = await readReportIfAny(file);
  if (report === undefined)
    throw new InputError(
      file,
      'not an rmt-analyze JSON report (write one with --json; to analyse a model, drop render)',
    );
  const hasEigenvalues = report.layers.some((l) => l.status === 'analyzed' && l.eigenvalues !== undefined);
  if ((format === 'html' || opts.plot) && !hasEigenvalues)
    io.stderr.write(
      'rmt-analyze: note: the report holds no eigenvalues, so there are no plots (save it with --json --eigenvalues)\n',
    );
  printReport(report, format, opts, io);
  return 0;
}
