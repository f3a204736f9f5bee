/**
 * Histograms of an ESD, shared by the SVG plots and the terminal histograms: log-spaced
 * bins for the log-log view (where a power law is a straight line) and linear bins for
 * the Marchenko–Pastur view. Pure data; nothing here draws.
 */

export interface Bins {
  /** count + 1 bin edges, ascending. */
  readonly edges: readonly number[];
  readonly counts: readonly number[];
}

/**
 * Eigenvalues at or below λ_max·this are numerical zeros: float32 weights leave a
 * rounding floor near ε₃₂²·λ_max ≈ 1e-14·λ_max, and a log axis reaching down there would
 * squeeze the real spectrum into a corner. They are counted and named, not drawn.
 */
export const LOG_PLOT_FLOOR = 1e-12;

/** A bin count that grows with n but stays readable: ⌈√n⌉ clamped to [min, max]. */
export function binCount(n: number, min = 10, max = 80): number {
  return Math.max(min, Math.min(max, Math.ceil(Math.sqrt(Math.max(1, n)))));
}

/** The eigenvalues a log axis can show: above LOG_PLOT_FLOOR·λ_max (input ascending). */
export function positiveRange(
  evals: ArrayLike<number>,
): { lo: number; hi: number; shown: number; hidden: number } | undefined {
  const n = evals.length;
  const hi = n > 0 ? evals[n - 1]! : 0;
  if (!(hi > 0) || !Number.isFinite(hi)) return undefined;
  const floor = hi * LOG_PLOT_FLOOR;
  let first = 0;
  while (first < n && !(evals[first]! > floor)) first++;
  return { lo: evals[first]!, hi, shown: n - first, hidden: first };
}

/** `count` bins with geometrically spaced edges from lo to hi (0 < lo ≤ hi). */
export function logBins(evals: ArrayLike<number>, lo: number, hi: number, count: number): Bins {
  // A degenerate range (all equal) still gets a visible bin around the value.
  const a = Math.log10(lo === hi ? lo / 1.05 : lo);
  const b = Math.log10(lo === hi ? hi * 1.05 : hi);
  const edges = Array.from({ length: count + 1 }, (_, i) => 10 ** (a + ((b - a) * i) / count));
  edges[0] = Math.min(edges[0]!, lo);
  edges[count] = Math.max(edges[count]!, hi);
  const counts = new Array<number>(count).fill(0);
  for (let i = 0; i < evals.length; i++) {
    const v = evals[i]!;
    if (!(v >= edges[0]!) || v > edges[count]!) continue;
    const k = Math.min(count - 1, Math.max(0, Math.floor(((Math.log10(v) - a) / (b - a)) * count)));
    counts[k]!++;
  }
  return { edges, counts };
}

/** `count` equal-width bins over [lo, hi]; values outside are not counted. */
export function linearBins(evals: ArrayLike<number>, lo: number, hi: number, count: number): Bins {
  const width = (hi - lo) / count;
  const edges = Array.from({ length: count + 1 }, (_, i) => lo + width * i);
  const counts = new Array<number>(count).fill(0);
  for (let i = 0; i < evals.length; i++) {
    const v = evals[i]!;
    if (!(v >= lo) || v > hi) continue;
    counts[Math.min(count - 1, Math.floor((v - lo) / width))]!++;
  }
  return { edges, counts };
}

/** Density per bin: count / (n · width), so the histogram integrates to (counted)/n. */
export function densities(bins: Bins, n: number): number[] {
  return bins.counts.map((c, i) => c / (n * (bins.edges[i + 1]! - bins.edges[i]!)));
}

/** The value at quantile q ∈ [0, 1] of ascending data (nearest rank). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  return sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
}
