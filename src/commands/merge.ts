/** `rmt-analyze merge <part.json...>`: shard parts → the single-run report (src/merge.ts). */
import { Command } from 'commander';
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
import { mergeShards, type ShardPart } from '../merge.js';
import type { GateRule } from '../gate.js';
import { REPORT_FORMATS, type ReportFormat } from '../report/index.js';
import type { CliIO } from './context.js';
import type { SortKey } from '../report/sort.js';
import { readJsonReport } from './read-report.js';
import { addRecommendOptions, applyRecommendations, type RecommendCliOptions } from './recommend.js';
import { addGateOptions, applyGate, reportGate, resolveGateRules, type GateCliOptions } from './gate.js';
import { printReport } from './print-report.js';
import { reportIncomplete } from './incomplete.js';

interface MergeCliOptions extends GateCliOptions, RecommendCliOptions {
  columns?: ExtraColumn[];
  json?: boolean;
  format?: ReportFormat;
  color: ColorChoice;
  explain?: boolean;
  showSkipped?: boolean;
  sort: SortKey;
}

export function mergeCommand(io: CliIO, done: (code: Promise<number>) => void): Command {
  const cmd = new Command('merge')
    .description(
      'combine the JSON parts of `--shard 1/n … n/n` into the report a single run gives ' +
        '(gate flags apply to the whole)',
    )
    .argument('<part...>', 'JSON files written with --shard i/n --json, in any order');
  addOptions(cmd, formatOptions(REPORT_FORMATS), explainOption(), colorOption(), sortOption());
  cmd.option('--show-skipped', 'list skipped layers in the table and the HTML index');
  cmd.addOption(columnsOption());
  addRecommendOptions(cmd);
  const gateRules = addGateOptions(cmd);
  return cmd.action((files: string[], opts: MergeCliOptions) => done(runMerge(files, opts, io, gateRules)));
}

async function runMerge(
  files: string[],
  opts: MergeCliOptions,
  io: CliIO,
  gateRules: () => GateRule[],
): Promise<number> {
  const format: ReportFormat = opts.json ? 'json' : (opts.format ?? 'table');
  const rules = await resolveGateRules(gateRules, opts, io);
  const parts: ShardPart[] = [];
  for (const file of files) parts.push({ file, report: await readJsonReport(file) });
  const report = applyRecommendations(applyGate(mergeShards(parts), rules), opts);
  printReport(report, format, opts, io);
  const gateCode = reportGate(report.gate, report.models, io);
  return reportIncomplete(report, io) > 0 ? 2 : gateCode;
}
