/**
 * Legends. SVG cannot measure text before layout, so widths are estimated from label
 * lengths (≈ 5.7 px per character at the legend's 11 px font). The ESD plots put their
 * legend under the x axis, in columns, where it can never hide data or marker labels.
 */
import type { PlotArea } from './chart.js';
import { escapeXml } from './escape.js';
import { num } from './path.js';

export interface LegendEntry {
  /** How the key is drawn: a line, a dashed line, a filled box, a translucent band, a rug tick. */
  readonly key: 'line' | 'dash' | 'box' | 'band' | 'rug';
  /** CSS class of the matching plot element, so the key looks like it. */
  readonly cls: string;
  readonly label: string;
  /** A fill colour for the key when the class alone does not set it (phase colours). */
  readonly fill?: string;
}

export const LEGEND_ROW = 15;
const CHAR = 5.7;

/**
 * A legend laid out in `columns` equal columns across the plot's width, row by row, an
 * entry too long for one column taking a whole row (or, with `flow`, all in one row, each
 * as wide as its label), starting at `top`. Returns the markup and the rows used.
 */
export function legendBelow(
  area: PlotArea,
  entries: readonly LegendEntry[],
  top: number,
  columns: number,
  flow = false,
): string {
  if (entries.length === 0) return '';
  let out = '<g class="lg">';
  const colWidth = (area.x1 - area.x0) / columns;
  const width = (e: LegendEntry) => 24 + [...e.label].length * CHAR;
  let row = 0;
  let col = 0;
  let fx = area.x0;
  for (const e of entries) {
    let kx: number;
    if (flow) {
      kx = fx;
      fx += width(e) + 16;
    } else {
      const wide = width(e) > colWidth - 8;
      if (col > 0 && (wide || col >= columns)) {
        row++;
        col = 0;
      }
      kx = area.x0 + col * colWidth;
      col = wide ? columns : col + 1;
    }
    const cy = top + row * LEGEND_ROW + LEGEND_ROW / 2;
    out += keyShape(e, kx, cy) + `<text x="${num(kx + 24)}" y="${num(cy + 3.8)}">${escapeXml(e.label)}</text>`;
  }
  return out + '</g>';
}

function keyShape(e: LegendEntry, x: number, cy: number): string {
  switch (e.key) {
    case 'line':
    case 'dash':
      return `<path class="${e.cls}" d="M${num(x)} ${num(cy)}h18"/>`;
    case 'box':
    case 'band':
      return (
        `<rect class="${e.cls}" x="${num(x)}" y="${num(cy - 5)}" width="18" height="10"` +
        `${e.fill ? ` fill="${escapeXml(e.fill)}"` : ''}/>`
      );
    case 'rug':
      return (
        `<path class="${e.cls}" d="M${num(x + 5)} ${num(cy - 5)}v10` +
        `M${num(x + 9)} ${num(cy - 5)}v10M${num(x + 13)} ${num(cy - 5)}v10"/>`
      );
  }
}
