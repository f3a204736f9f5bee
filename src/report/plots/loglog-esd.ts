/**
 * The log-log ESD: the density of the eigenvalues on log-spaced bins, the fitted power
 * law p(λ) = (α−1)/xmin · (λ/xmin)^−α over [xmin, xmax] (Clauset et al. 2009) scaled to
 * the tail's share of the eigenvalues, xmin marked, and the MP edge λ₊ for reference.
 * On these axes a power law is a straight line of slope −α, which is why the seed work
 * reads heavy tails here.
 */
import type { AnalyzedLayer } from '../../schema/index.js';
import { binCount, densities, logBins, positiveRange, LOG_PLOT_FLOOR } from '../esd-bins.js';
import { axes } from '../svg/axes.js';
import { chart, plotArea, type ChartSpec } from '../svg/chart.js';
import { formatLabel } from '../svg/format.js';
import { LEGEND_ROW, legendBelow, type LegendEntry } from '../svg/legend.js';
import { barsPath, polylinePath } from '../svg/path.js';
import { vline, type Figure } from './figure.js';
import { logScale } from '../svg/scale.js';
import { maxOf, minOf } from '../../arrays.js';

/** Both ESD plots: the same size, with room for a legend of up to three rows under the axis. */
export const ESD_PLOT_SPEC = {
  width: 480,
  height: 300 + 3 * LEGEND_ROW + 6,
  margins: { top: 26, right: 14, bottom: 44 + 3 * LEGEND_ROW + 6, left: 66 },
} as const;
export const LEGEND_COLUMNS = 2;

const SPEC: ChartSpec = { ...ESD_PLOT_SPEC, title: 'Log-log ESD and power-law fit', className: 'esd-log' };

/** `evals`: the layer's eigenvalues, ascending. */
export function logLogEsdPlot(layer: AnalyzedLayer, evals: ArrayLike<number>): Figure {
  const area = plotArea(SPEC);
  const range = positiveRange(evals);
  if (range === undefined)
    return {
      svg: chart(
        SPEC,
        axes(area, logScale([1, 10], [area.x0, area.x1]), logScale([1, 10], [area.y1, area.y0]), AXIS_TITLES),
      ),
      notes: ['no positive eigenvalues to plot'],
    };
  const n = evals.length;
  const bins = logBins(evals, range.lo, range.hi, binCount(range.shown));
  const dens = densities(bins, n);
  const pl = layer.powerLaw;
  const share = pl.status === 'ok' ? pl.numTail / n : 0;
  const plAt = (x: number) =>
    pl.status === 'ok' ? share * ((pl.alpha - 1) / pl.xmin) * (x / pl.xmin) ** -pl.alpha : NaN;

  const positive = dens.filter((d) => d > 0);
  let yLo = minOf(positive);
  let yHi = maxOf(positive);
  if (pl.status === 'ok') {
    for (const v of [plAt(pl.xmin), plAt(pl.xmax)]) {
      if (v > 0 && Number.isFinite(v)) {
        yLo = Math.min(yLo, v);
        yHi = Math.max(yHi, v);
      }
    }
  }
  // Room below the smallest bar and, above the tallest, for the marker labels.
  const decades = Math.max(1, Math.log10(yHi / yLo));
  const y = logScale([yLo / 10 ** (0.08 * decades), yHi * 10 ** (0.15 * decades)], [area.y1, area.y0]);
  const xPad = 10 ** (0.03 * Math.max(1, Math.log10(range.hi / range.lo)));
  const x = logScale([range.lo / xPad, range.hi * xPad], [area.x0, area.x1]);

  const bulk: [number, number, number][] = [];
  const tail: [number, number, number][] = [];
  dens.forEach((d, i) => {
    if (!(d > 0)) return;
    const lo = bins.edges[i]!;
    const hi = bins.edges[i + 1]!;
    const bar: [number, number, number] = [x.map(lo), x.map(hi), y.map(d)];
    (pl.status === 'ok' && Math.sqrt(lo * hi) >= pl.xmin ? tail : bulk).push(bar);
  });

  let body = axes(area, x, y, AXIS_TITLES);
  body += `<path class="hist" d="${barsPath(bulk, area.y1)}"/>`;
  if (tail.length > 0) body += `<path class="hist tail" d="${barsPath(tail, area.y1)}"/>`;

  const entries: LegendEntry[] = [{ key: 'box', cls: 'hist', label: `ESD, ${n} eigenvalues` }];
  const markers: string[] = [];
  let edge: LegendEntry | undefined;
  if (layer.mp.status === 'ok' && layer.mp.lambdaPlus > x.domain[0] && layer.mp.lambdaPlus < x.domain[1]) {
    markers.push(vline(x.map(layer.mp.lambdaPlus), area, 'edge', 'λ₊', 1));
    edge = { key: 'dash', cls: 'edge', label: `MP edge λ₊ = ${formatLabel(layer.mp.lambdaPlus, 4)}` };
  }
  if (pl.status === 'ok') {
    entries.push({ key: 'box', cls: 'hist tail', label: `tail ≥ xmin, ${pl.numTail} eigenvalues` });
    // A power law is a straight line on log-log axes: its two ends draw it exactly.
    const pts: [number, number][] = [pl.xmin, pl.xmax].map((v) => [x.map(v), y.map(plAt(v))]);
    body += `<path class="pl" d="${polylinePath(pts)}"/>`;
    markers.push(vline(x.map(pl.xmin), area, 'xmin', 'xmin', 0));
    entries.push({
      key: 'line',
      cls: 'pl',
      label: `power law α = ${formatLabel(pl.alpha, 3)} ± ${formatLabel(pl.sigma, 2)}`,
    });
    entries.push({ key: 'dash', cls: 'xmin', label: `xmin = ${formatLabel(pl.xmin, 4)}` });
  }
  if (edge) entries.push(edge);
  body += markers.join('');
  body += legendBelow(area, entries, area.y1 + 42, LEGEND_COLUMNS);
  const notes: string[] = [];
  if (pl.status === 'failed') notes.push(`power-law fit failed: ${pl.reason}`);
  if (range.hidden > 0)
    notes.push(
      `${range.hidden} eigenvalue${range.hidden === 1 ? '' : 's'} ≤ ${formatLabel(LOG_PLOT_FLOOR)}·λmax ` +
        '(numerically zero) not shown',
    );
  return { svg: chart(SPEC, body), notes };
}

const AXIS_TITLES = { x: 'eigenvalue λ (log scale)', y: 'density p(λ) (log scale)' };
