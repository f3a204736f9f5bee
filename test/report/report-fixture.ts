/**
 * The reference model analysed once with its eigenvalues, and the same with the reference
 * tool's MP fit filled in (scripts/reference-mp.ts), shared by the report tests.
 */
import { join } from 'node:path';
import { analyze } from '../../src/analyze.js';
import type { AnalysisReport } from '../../src/report/json.js';
import type { AnalyzedLayer } from '../../src/types.js';
import { withReferenceMp } from '../../scripts/reference-mp.js';
import { REFERENCE, ROOT } from '../helpers.js';

let cached: Promise<{ plain: AnalysisReport; withMp: AnalysisReport }> | undefined;

export function referenceReports(): Promise<{ plain: AnalysisReport; withMp: AnalysisReport }> {
  cached ??= analyze([join(REFERENCE, 'synthetic.safetensors')], { eigenvalues: true }).then((plain) => ({
    plain,
    withMp: withReferenceMp(plain, ROOT),
  }));
  return cached;
}

export function layerNamed(report: AnalysisReport, name: string): AnalyzedLayer {
  const l = report.layers.find((x) => x.name === name);
  if (!l || l.status !== 'analyzed') throw new Error(`no analysed layer ${name}`);
  return l;
}
