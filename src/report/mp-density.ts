/**
 * The Marchenko–Pastur density the plots draw over the ESD, rebuilt from the fit's
 * reported fields (DESIGN.md §3.5) in the ESD's own (original) units.
 *
 * For an N×M matrix W with i.i.d. entries, the eigenvalues of WᵀW (no 1/N) fill
 * [λ₋, λ₊] with λ± = s²(1 ± 1/√Q)², s² = N·Var(w), and density
 *   ρ(λ) = Q / (2π s² λ) · √((λ₊ − λ)(λ − λ₋))          (Marchenko & Pastur 1967)
 * which integrates to 1 for Q ≥ 1. Rather than trusting the fit's σ (reported in the
 * rescaled, mean-1 units) we solve s and Q from the reported edges, √λ± = s(1 ± 1/√Q),
 * so the curve's support is exactly the λ₋…λ₊ the report prints.
 */
import type { MpOk } from '../schema/index.js';

export interface MpCurve {
  readonly lambdaMinus: number;
  readonly lambdaPlus: number;
  /** s² in original units. */
  readonly scale2: number;
  /** The aspect ratio the edges imply (the layer's Q when the fit is self-consistent). */
  readonly q: number;
  /** ρ(λ), integrating to 1 over [λ₋, λ₊]. */
  density(lambda: number): number;
}

/** The MP curve of a fit, or undefined when its edges cannot define one. */
export function mpCurve(mp: Pick<MpOk, 'lambdaPlus' | 'lambdaMinus'>, layerQ: number): MpCurve | undefined {
  const plus = mp.lambdaPlus;
  if (!(plus > 0) || !Number.isFinite(plus)) return undefined;
  let minus = mp.lambdaMinus;
  let s: number;
  let q: number;
  if (minus >= 0 && minus < plus && Number.isFinite(minus)) {
    const a = Math.sqrt(plus);
    const b = Math.sqrt(minus);
    s = (a + b) / 2;
    const r = (a - b) / (a + b); // 1/√Q
    q = 1 / (r * r);
  } else {
    // No usable lower edge: take Q from the layer and λ₋ from it.
    q = Math.max(1, layerQ);
    s = Math.sqrt(plus) / (1 + 1 / Math.sqrt(q));
    minus = s * s * (1 - 1 / Math.sqrt(q)) ** 2;
  }
  const scale2 = s * s;
  const lo = minus;
  return {
    lambdaMinus: lo,
    lambdaPlus: plus,
    scale2,
    q,
    density(lambda: number): number {
      if (!(lambda > lo) || !(lambda < plus)) return 0;
      return (q / (2 * Math.PI * scale2 * lambda)) * Math.sqrt((plus - lambda) * (lambda - lo));
    },
  };
}

/**
 * The share of eigenvalues the MP law describes: those within one Tracy–Widom width of
 * [λ₋, λ₊]. Spikes above and zeros below (rank loss) are outside it. Input ascending.
 */
export function bulkShare(evals: ArrayLike<number>, curve: MpCurve, twWidth: number): number {
  const n = evals.length;
  if (n === 0) return 0;
  const tw = Number.isFinite(twWidth) && twWidth > 0 ? twWidth : 0;
  const lo = curve.lambdaMinus - tw;
  const hi = curve.lambdaPlus + tw;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const v = evals[i]!;
    if (v >= lo && v <= hi) k++;
  }
  return k / n;
}
