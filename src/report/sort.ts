/**
 * `--sort`: the order of the rows in the table, markdown, csv and HTML index. `file` (the
 * default) keeps the document's order; the others sort ascending (stable), within each model,
 * layers without the value (skipped, failed, no power-law fit) last. JSON keeps file order.
 */
import type { AnalysisReport, LayerResult } from '../schema/index.js';

export const SORT_KEYS = ['file', 'name', 'alpha', 'lambda-max'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

const VALUE: Record<Exclude<SortKey, 'file' | 'name'>, (l: LayerResult) => number | undefined> = {
  alpha: (l) => (l.status === 'analyzed' && l.powerLaw.status === 'ok' ? l.powerLaw.alpha : undefined),
  'lambda-max': (l) => (l.status === 'analyzed' ? l.metrics.lambdaMax : undefined),
};

/** The report with its layers in `key` order (the same object for `file`). */
export function sortLayers(report: AnalysisReport, key: SortKey): AnalysisReport {
  if (key === 'file') return report;
  const compare =
    key === 'name'
      ? (a: LayerResult, b: LayerResult) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
      : (a: LayerResult, b: LayerResult) => {
          const x = VALUE[key](a);
          const y = VALUE[key](b);
          if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
          return x - y;
        };
  const layers = [...report.layers].sort((a, b) => a.model - b.model || compare(a, b));
  return { ...report, layers };
}
