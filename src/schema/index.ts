/**
 * The v1 document that `--json` prints and `analyze()` returns: the report, its models, its
 * layer results, summary, gate and shard parts (DESIGN.md §4), and the one function that
 * assembles it. The core owns this module; reporters in report/ only render it.
 * Field names are stable once released; additions bump nothing, changes bump
 * `schemaVersion`. schema/report.v1.schema.json describes the same document (a drift test
 * keeps them together).
 */
export * from './diagnostics.js';
export * from './layer-result.js';
export * from './report.js';
export * from './recommendations.js';
export { makeReport, summarize, withoutModelSummary } from './summary.js';
