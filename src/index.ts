/**
 * Library entry: `import { analyze } from 'rmt-analyze'` returns the same objects the JSON
 * reporter prints; `analyzeMatrix` does it for one in-memory matrix; the renderers turn a
 * report into the CLI's formats.
 */
export { analyze, type AnalyzeOptions, type ProgressEvent } from './analyze.js';
export { analyzeMatrix, type AnalyzeMatrixOptions } from './analyze-matrix.js';
// The reporters: pure functions of a report (the JSON document) to text, as the CLI prints it.
export { renderTable, type TableOptions } from './report/table.js';
export { renderMarkdown } from './report/markdown.js';
export { renderCsv } from './report/csv.js';
export { renderHtml } from './report/html.js';
export { renderGithub } from './report/github.js';
export { renderJson } from './report/json.js';
export { REPORTERS, REPORT_FORMATS, type RenderOptions, type ReportFormat } from './report/index.js';
export { sortLayers, SORT_KEYS, type SortKey } from './report/sort.js';
export { SCHEMA_VERSION } from './schema/index.js';
export type * from './types.js';
export type * from './schema/index.js';
export { PHASE_NAMES } from './schema/index.js';
export { RmtError, UsageError, InputError } from './errors.js';
export { openModel } from './load/index.js';
export { evaluateGate, describeRule, type GateRule, type GateRuleKind, type GateScope } from './gate.js';
export { parseGateConfig, loadGateConfig, CONFIG_FILE_NAME } from './config.js';
export {
  compareReports,
  PHASE_ORDER,
  type CompareReport,
  type CompareOptions,
  type LayerComparison,
  type PhaseChange,
} from './compare.js';
export { mergeShards, type ShardPart } from './merge.js';
export { type ShardSpec } from './shard.js';
