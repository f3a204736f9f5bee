/**
 * The reference model analysed once with its eigenvalues (`withMp`: the real report), and
 * the same report with every Marchenko–Pastur fit marked failed (`plain`), so the plots'
 * handling of a missing fit is exercised too. Shared by the report tests.
 */
import { join } from 'node:path';
import { analyze } from '../../src/analyze.js';
import type { AnalysisReport } from '../../src/schema/index.js';
import type { AnalyzedLayer, LayerResult } from '../../src/schema/index.js';
import { REFERENCE } from '../helpers.js';

let cached: Promise<{ plain: AnalysisReport; withMp: AnalysisReport }> | undefined;

export function referenceReports(): Promise<{ plain: AnalysisReport; withMp: AnalysisReport }> {
  cached ??= analyze([join(REFERENCE, 'synthetic.safetensors')], { eigenvalues: true }).then((withMp) => ({
    withMp,
    plain: {
      ...withMp,
      layers: withMp.layers.map(
        (l): LayerResult =>
          l.status === 'analyzed'
            ? { ...l, mp: { status: 'failed', code: 'invalid-shape', reason: 'not implemented' } }
            : l,
      ),
    },
  }));
  return cached;
}

export function layerNamed(report: AnalysisReport, name: string): AnalyzedLayer {
  const l = report.layers.find((x) => x.name === name);
  if (l?.status !== 'analyzed') throw new Error(`no analysed layer ${name}`);
  return l;
}
