/**
 * A chart's frame: the <svg> element with its viewBox, title (also the accessible name)
 * and the plot area inside the margins. Styling comes from CSS classes defined once by the
 * HTML page, which keeps each SVG small.
 */
import { escapeXml } from './escape.js';

export interface Margins {
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
  readonly left: number;
}

/** The data rectangle in SVG coordinates (y grows downward: y0 is the top). */
export interface PlotArea {
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
}

export interface ChartSpec {
  readonly width: number;
  readonly height: number;
  readonly margins: Margins;
  /** Shown above the plot and used as the accessible name (plain text, escaped here). */
  readonly title: string;
  /** Extra CSS class on the <svg>. */
  readonly className?: string;
}

export function plotArea(spec: ChartSpec): PlotArea {
  const m = spec.margins;
  return { x0: m.left, x1: spec.width - m.right, y0: m.top, y1: spec.height - m.bottom };
}

export function chart(spec: ChartSpec, body: string): string {
  const title = escapeXml(spec.title);
  const cls = spec.className ? `plot ${spec.className}` : 'plot';
  return (
    `<svg class="${cls}" viewBox="0 0 ${spec.width} ${spec.height}" width="${spec.width}" height="${spec.height}" ` +
    'role="img" xmlns="http://www.w3.org/2000/svg">' +
    `<title>${title}</title>` +
    `<text class="ttl" x="${spec.margins.left}" y="16">${title}</text>` +
    body +
    `</svg>`
  );
}
