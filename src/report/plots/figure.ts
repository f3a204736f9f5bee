/** What every plot returns, and the marker lines the ESD plots share. */
import { escapeXml } from '../svg/escape.js';
import { num } from '../svg/path.js';

/** A plot and the caveats to print under it (fits that failed, points not shown). */
export interface Figure {
  readonly svg: string;
  readonly notes: readonly string[];
}

/**
 * A vertical marker line across the plot area with a short label at its top (row 0 or 1),
 * right of the line, or left of it near the plot's right edge.
 */
export function vline(
  px: number,
  area: { x1: number; y0: number; y1: number },
  cls: string,
  label: string,
  row: number,
): string {
  const flip = px > area.x1 - 36;
  return (
    `<path class="${cls}" d="M${num(px)} ${area.y0}V${area.y1}"/>` +
    `<text class="mk ${cls}-t" x="${num(flip ? px - 3 : px + 3)}" y="${num(area.y0 + 10 + row * 12)}"` +
    `${flip ? ' text-anchor="end"' : ''}>${escapeXml(label)}</text>`
  );
}
