/**
 * Until the Marchenko–Pastur fit and the phase classifier land (issue 4), the report's
 * MP fields are `failed` and every phase is a placeholder. To exercise and look at the
 * plots' MP curve, edge and Tracy–Widom band, this fills them from the reference tool's
 * fit stored with the reference fixture (fixtures/reference/synthetic.ww.json), and gives
 * each layer a stand-in phase from those numbers. For tests and previews only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalysisReport } from '../src/report/json.js';
import type { AnalyzedLayer, LayerResult, MpOk, Phase } from '../src/types.js';
import { summarize } from '../src/summary.js';

interface WwLayer {
  readonly M?: number;
  readonly Q?: number;
  readonly skipped?: boolean;
  readonly 'mp.num_spikes'?: number;
  readonly 'mp.sigma_mp'?: number;
  readonly 'mp.bulk_max'?: number;
  readonly 'mp.bulk_min'?: number;
  readonly 'mp.W_scale'?: number;
  readonly 'mp.mp_softrank'?: number;
}

export function referenceMp(root: string): Map<string, MpOk> {
  const doc = JSON.parse(readFileSync(join(root, 'fixtures', 'reference', 'synthetic.ww.json'), 'utf8')) as {
    layers: Record<string, WwLayer>;
  };
  const out = new Map<string, MpOk>();
  for (const [name, l] of Object.entries(doc.layers)) {
    const plus = l['mp.bulk_max'];
    const minus = l['mp.bulk_min'];
    const scale = l['mp.W_scale'];
    if (l.skipped || plus === undefined || minus === undefined || scale === undefined || !l.Q || !l.M) continue;
    // DESIGN.md §3.5: TW = Q^(−1/2) λ₊^(2/3) M^(−2/3) in the mean-1 units (λ·W_scale²).
    const s2 = scale * scale;
    const tw = (l.Q ** -0.5 * (plus * s2) ** (2 / 3) * l.M ** (-2 / 3)) / s2;
    out.set(name, {
      status: 'ok',
      sigma: l['mp.sigma_mp'] ?? NaN,
      lambdaPlus: plus,
      lambdaMinus: minus,
      twWidth: tw,
      numSpikes: l['mp.num_spikes'] ?? 0,
      softRank: l['mp.mp_softrank'] ?? NaN,
      bulkKS: NaN,
    });
  }
  return out;
}

/** A rough phase from the reference numbers, only so the preview shows every colour. */
function standInPhase(l: AnalyzedLayer, mp: MpOk): Phase {
  const alpha = l.powerLaw.status === 'ok' ? l.powerLaw.alpha : Infinity;
  const zeros = (l.eigenvalues ?? []).filter((v) => v < 1e-9 * l.metrics.lambdaMax).length;
  const note = ' (stand-in phase until the classifier lands)';
  if (zeros > 0.2 * l.numEvals) return { name: 'rank-collapse', reason: `${zeros} of ${l.numEvals} eigenvalues ≈ 0${note}` };
  if (alpha < 2) return { name: 'heavy-tailed', reason: `α = ${alpha.toFixed(2)} < 2${note}` };
  if (mp.numSpikes >= 1 && mp.numSpikes <= 10) return { name: 'bulk+spikes', reason: `${mp.numSpikes} spikes above λ₊ + TW${note}` };
  if (mp.numSpikes > 10) return { name: 'bulk-decay', reason: `${mp.numSpikes} eigenvalues above λ₊ + TW${note}` };
  if (l.metrics.lambdaMax > mp.lambdaPlus + mp.twWidth * 0.5) return { name: 'bleeding-out', reason: `λmax just above λ₊${note}` };
  return { name: 'random-like', reason: `bulk fits MP, λmax within TW of λ₊${note}` };
}

/** The report with the reference MP fit and stand-in phases for the reference fixture's layers. */
export function withReferenceMp(report: AnalysisReport, root: string): AnalysisReport {
  const ref = referenceMp(root);
  const layers: LayerResult[] = report.layers.map((l) => {
    const mp = l.status === 'analyzed' ? ref.get(l.name) : undefined;
    if (l.status !== 'analyzed' || mp === undefined) return l;
    return { ...l, mp, phase: standInPhase(l, mp) };
  });
  return { ...report, layers, summary: summarize(layers) };
}
