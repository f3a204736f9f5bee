/** Number formatting shared by the human-readable reporters. */
import type { FailedLayer, LayerResult, SkippedLayer } from '../schema/index.js';

/** 4 significant digits, switching to exponent notation outside [1e-3, 1e6). */
export function formatNumber(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined) return '—';
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-3) return x.toExponential(digits - 2).replace('e+', 'e');
  return Number(x.toPrecision(digits)).toString();
}

export function formatShape(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join('×');
}

/** The phase cell of a layer that has no phase: `skipped: bias` or `failed (solver): …`, unescaped. */
export function notAnalysed(layer: SkippedLayer | FailedLayer): string {
  return layer.status === 'skipped'
    ? `skipped: ${layer.skipReason}`
    : `failed (${layer.failure.code}): ${layer.failure.reason}`;
}

/**
 * The skipped layers counted by reason, most frequent first: `301 skipped: 188 norm, 113 bias`;
 * '' when none is skipped. Codes are the JSON's `skipCode`s.
 */
export function skippedCounts(layers: readonly LayerResult[]): string {
  const counts = new Map<string, number>();
  let total = 0;
  for (const l of layers) {
    if (l.status !== 'skipped') continue;
    total++;
    counts.set(l.skipCode, (counts.get(l.skipCode) ?? 0) + 1);
  }
  if (total === 0) return '';
  const byCount = [...counts].sort((a, b) => b[1] - a[1]);
  return `${total} skipped: ${byCount.map(([code, n]) => `${n} ${code}`).join(', ')}`;
}
