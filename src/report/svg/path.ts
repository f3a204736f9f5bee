/** SVG path data, written compactly (one decimal) so that hundreds of plots stay small. */

/** A coordinate with at most one decimal. */
export function num(v: number): string {
  const r = Math.round(v * 10) / 10;
  return Object.is(r, -0) ? '0' : String(r);
}

/** A polyline through the points; breaks (NaN or non-finite y) start a new segment. */
export function polylinePath(points: readonly (readonly [number, number])[]): string {
  let d = '';
  let pen = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${num(x)} ${num(y)}`;
    pen = true;
  }
  return d;
}

/** Closed rectangles for histogram bars, as one path: [x0, x1, yTop] each down to `base`. */
export function barsPath(bars: readonly (readonly [number, number, number])[], base: number): string {
  let d = '';
  for (const [x0, x1, y] of bars) {
    const w = x1 - x0;
    if (!(w > 0) || !(y < base)) continue;
    d += `M${num(x0)} ${num(base)}V${num(y)}H${num(x1)}V${num(base)}Z`;
  }
  return d;
}
