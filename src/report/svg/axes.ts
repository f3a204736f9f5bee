/** Axes with ticks, tick labels, light grid lines and axis titles for a plot area. */
import type { PlotArea } from './chart.js';
import type { Scale } from './scale.js';
import { escapeXml } from './escape.js';
import { num } from './path.js';

/** How far past the plot area a tick label may reach (charts keep a right margin ≥ this). */
export const RIGHT_OVERHANG = 12;

export interface AxisTitles {
  readonly x: string;
  readonly y: string;
}

export function axes(area: PlotArea, x: Scale, y: Scale, titles: AxisTitles): string {
  const { x0, x1, y0, y1 } = area;
  let grid = '';
  let marks = '';
  let labels = '';
  for (const t of x.ticks()) {
    const px = x.map(t.value);
    if (px < x0 - 0.5 || px > x1 + 0.5) continue;
    const long = t.label !== '';
    if (long) grid += `M${num(px)} ${y0}V${y1}`;
    marks += `M${num(px)} ${y1}v${long ? 5 : 3}`;
    if (!long) continue;
    // A label centred on a tick at the right end would stick out of the chart: right-align it there.
    const half = [...t.label].length * 3.4;
    const anchor =
      px + half > x1 + RIGHT_OVERHANG
        ? `x="${num(x1 + RIGHT_OVERHANG)}" text-anchor="end"`
        : `x="${num(px)}" text-anchor="middle"`;
    labels += `<text class="tk" ${anchor} y="${y1 + 16}">${escapeXml(t.label)}</text>`;
  }
  for (const t of y.ticks()) {
    const py = y.map(t.value);
    if (py < y0 - 0.5 || py > y1 + 0.5) continue;
    const long = t.label !== '';
    if (long) grid += `M${x0} ${num(py)}H${x1}`;
    marks += `M${x0} ${num(py)}h${long ? -5 : -3}`;
    if (long)
      labels += `<text class="tk" x="${x0 - 7}" y="${num(py + 3.5)}" text-anchor="end">${escapeXml(t.label)}</text>`;
  }
  const midX = num((x0 + x1) / 2);
  const midY = num((y0 + y1) / 2);
  return (
    `<path class="grid" d="${grid}"/>` +
    `<path class="ax" d="M${x0} ${y0}V${y1}H${x1}${marks}"/>` +
    labels +
    `<text class="at" x="${midX}" y="${y1 + 32}" text-anchor="middle">${escapeXml(titles.x)}</text>` +
    `<text class="at" transform="translate(13 ${midY}) rotate(-90)" text-anchor="middle">${escapeXml(titles.y)}</text>`
  );
}
