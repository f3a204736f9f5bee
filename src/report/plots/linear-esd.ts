/**
 * The linear ESD: a histogram of the eigenvalues (counts per bin) with the fitted
 * Marchenko–Pastur density as the count it predicts per bin, n · bulk share · ρ(λ) · bin
 * width (the law describes only the bulk's share of the eigenvalues), the bulk edge λ₊ and its
 * Tracy–Widom band λ₊ ± TW shaded, and a rug of the eigenvalues beyond the band (the
 * spikes that decide bleeding-out and bulk+spikes). This is the view in which a random
 * layer looks like MP and a trained one does not.
 *
 * The x axis stops at 2.5× the bulk's upper edge when λ_max lies far beyond it, so the
 * bulk stays readable; what lies further is counted in a note.
 */
import type { AnalyzedLayer } from '../../schema/index.js';
import { binCount, linearBins, quantile } from '../esd-bins.js';
import { bulkShare, mpCurve } from '../mp-density.js';
import { axes } from '../svg/axes.js';
import { chart, plotArea, type ChartSpec } from '../svg/chart.js';
import { formatLabel } from '../svg/format.js';
import { legendBelow, type LegendEntry } from '../svg/legend.js';
import { barsPath, num, polylinePath } from '../svg/path.js';
import { linearScale } from '../svg/scale.js';
import { ESD_PLOT_SPEC, LEGEND_COLUMNS } from './loglog-esd.js';
import { vline, type Figure } from './figure.js';

/** Beyond this multiple of the bulk's edge the x axis is cut. */
export const LINEAR_AXIS_CUT = 2.5;

const SPEC: ChartSpec = { ...ESD_PLOT_SPEC, title: 'ESD and Marchenko–Pastur fit', className: 'esd-lin' };

const MAX_RUG = 400;

/** `evals`: the layer's eigenvalues, ascending. */
export function linearEsdPlot(layer: AnalyzedLayer, evals: ArrayLike<number>): Figure {
  const area = plotArea(SPEC);
  const n = evals.length;
  const notes: string[] = [];
  const lambdaMax = n > 0 ? Math.max(0, evals[n - 1]!) : 0;
  const mp = layer.mp.status === 'ok' ? layer.mp : undefined;
  const curve = mp ? mpCurve(mp, layer.Q) : undefined;
  if (layer.mp.status === 'failed') notes.push(`Marchenko–Pastur fit failed: ${layer.mp.reason} (no MP curve)`);
  else if (curve === undefined) notes.push('Marchenko–Pastur fit has no usable edges (no MP curve)');
  const tw = mp && Number.isFinite(mp.twWidth) && mp.twWidth > 0 ? mp.twWidth : 0;

  // Where the bulk ends: the MP edge when there is one, else the 95th percentile.
  const bulkEnd = curve ? curve.lambdaPlus + tw : n > 0 ? quantile(evals, 0.95) : 0;
  const cut = bulkEnd > 0 && lambdaMax > LINEAR_AXIS_CUT * bulkEnd;
  const xHi = cut ? LINEAR_AXIS_CUT * bulkEnd : lambdaMax > 0 ? lambdaMax * 1.04 : 1;
  const x = linearScale([0, xHi], [area.x0, area.x1]);

  // About √n bins across the bulk, however much of the axis the bulk takes.
  const binHi = cut ? xHi : lambdaMax > 0 ? lambdaMax : 1;
  const bulkBins = binCount(n, 12, 100);
  const nBins = Math.max(
    12,
    Math.min(160, Math.round(bulkEnd > 0 ? (bulkBins * binHi) / Math.min(binHi, bulkEnd) : bulkBins)),
  );
  const bins = linearBins(evals, 0, binHi, nBins);
  const binWidth = binHi / nBins;
  const share = curve ? bulkShare(evals, curve, tw) : 0;
  const expected = (v: number) => (curve ? n * share * curve.density(v) * binWidth : 0);
  // One bar far above the rest (zeros of a rank-deficient layer) would flatten the bulk:
  // the axis then follows the other bars and that bar is cut and labelled with its count.
  const sorted = [...bins.counts].sort((a, b) => b - a);
  const histMax = sorted[0]! > 2.5 * (sorted[1] ?? 0) && (sorted[1] ?? 0) > 0 ? 1.6 * sorted[1]! : (sorted[0] ?? 0);
  // The MP density is infinite at λ₋ = 0 (Q = 1): let the axis follow the histogram.
  const curveMax = curve ? n * share * peakDensity(curve) * binWidth : 0;
  const yHi = Math.max(histMax, Math.min(curveMax, 1.6 * histMax)) * 1.12 || 1;
  const y = linearScale([0, yHi], [area.y1, area.y0]);
  const yInt = { ...y, ticks: () => y.ticks().filter((t) => Number.isInteger(t.value)) };

  let body = '';
  if (curve && tw > 0) {
    const a = Math.max(area.x0, x.map(curve.lambdaPlus - tw));
    const b = Math.min(area.x1, x.map(curve.lambdaPlus + tw));
    if (b > a)
      body +=
        `<rect class="tw" x="${num(a)}" y="${area.y0}" width="${num(Math.max(1, b - a))}" ` +
        `height="${area.y1 - area.y0}"/>`;
  }
  body += axes(area, x, yInt, { x: 'eigenvalue λ', y: 'eigenvalues per bin' });
  const bars = bins.counts.map((c, i): [number, number, number] => [
    x.map(bins.edges[i]!),
    x.map(bins.edges[i + 1]!),
    y.map(Math.min(c, yHi)),
  ]);
  body += `<path class="hist" d="${barsPath(bars, area.y1)}"/>`;
  bins.counts.forEach((c, i) => {
    if (c <= yHi) return;
    const cx = (x.map(bins.edges[i]!) + x.map(bins.edges[i + 1]!)) / 2;
    body += `<path class="cut" d="M${num(cx - 6)} ${area.y0 + 5}l12 -4M${num(cx - 6)} ${area.y0 + 9}l12 -4"/>`;
    body += `<text class="cutt" x="${num(cx + 8)}" y="${area.y0 + 12}">${c}</text>`;
  });

  const entries: LegendEntry[] = [{ key: 'box', cls: 'hist', label: `ESD, ${n} eigenvalues` }];
  if (curve && mp) {
    const pts: [number, number][] = [];
    const steps = 64;
    for (let i = 0; i <= steps; i++) {
      // Cosine spacing puts more points at the square-root edges.
      const t = (1 - Math.cos((Math.PI * i) / steps)) / 2;
      const v = curve.lambdaMinus + (curve.lambdaPlus - curve.lambdaMinus) * t;
      const d = Math.min(expected(v), yHi);
      pts.push([x.map(v), y.map(d)]);
    }
    body += `<path class="mp" d="${polylinePath(pts)}"/>`;
    entries.push({
      key: 'line',
      cls: 'mp',
      label: `MP fit, σ = ${formatLabel(mp.sigma, 3)}, bulk ${Math.round(share * 100)}%`,
    });
    if (curve.lambdaPlus <= xHi) body += vline(x.map(curve.lambdaPlus), area, 'edge', 'λ₊', 0);
    if (curve.lambdaMinus > 0)
      body += `<path class="edge2" d="M${num(x.map(curve.lambdaMinus))} ${area.y0}V${area.y1}"/>`;
    entries.push({
      key: tw > 0 ? 'band' : 'dash',
      cls: tw > 0 ? 'tw' : 'edge',
      label: `λ₊ = ${formatLabel(curve.lambdaPlus, 4)}${tw > 0 ? ` ± TW ${formatLabel(tw, 2)}` : ''}`,
    });

    const beyond: number[] = [];
    for (let i = n - 1; i >= 0 && evals[i]! > curve.lambdaPlus + tw; i--) beyond.push(evals[i]!);
    const visible = beyond.filter((v) => v <= xHi);
    if (beyond.length > 0) {
      let rug = '';
      for (const v of visible.slice(0, MAX_RUG)) rug += `M${num(x.map(v))} ${area.y1}v-9`;
      if (rug) body += `<path class="rug" d="${rug}"/>`;
      entries.push({ key: 'rug', cls: 'rug', label: `${beyond.length} beyond λ₊ + TW` });
    }
  }
  if (cut) {
    const outside = countAbove(evals, xHi);
    body += `<text class="more" x="${area.x1 - 4}" y="${area.y1 - 14}" text-anchor="end">${outside} more →</text>`;
    notes.push(
      `axis cut at ${formatLabel(xHi)} (${LINEAR_AXIS_CUT}× ${curve ? 'λ₊ + TW' : 'the 95th percentile'}): ` +
        `${outside} eigenvalue${outside === 1 ? '' : 's'} beyond, up to λmax = ${formatLabel(lambdaMax, 4)}`,
    );
  }
  body += legendBelow(area, entries, area.y1 + 42, LEGEND_COLUMNS);
  return { svg: chart(SPEC, body), notes };
}

/** The MP density's maximum, found on a grid (it has one interior mode). */
function peakDensity(curve: NonNullable<ReturnType<typeof mpCurve>>): number {
  let best = 0;
  const lo = curve.lambdaMinus;
  const span = curve.lambdaPlus - lo;
  for (let i = 1; i < 200; i++) best = Math.max(best, curve.density(lo + (span * i) / 200));
  return best;
}

function countAbove(evals: ArrayLike<number>, v: number): number {
  let k = 0;
  for (let i = evals.length - 1; i >= 0 && evals[i]! > v; i--) k++;
  return k;
}
