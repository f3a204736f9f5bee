/**
 * Library entry: `import { analyze } from 'rmt-analyze'` returns the same objects the JSON
 * reporter prints.
 */
export { analyze, type AnalyzeOptions, type ProgressEvent } from './analyze.js';
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
