/**
 * Adaptive Gauss–Kronrod quadrature (7-point Gauss, 15-point Kronrod: QUADPACK's QK15,
 * Piessens et al. 1983) of a vector-valued integrand on a finite interval. The interval
 * with the largest error estimate (|K15 − G7| of component 0) is bisected until the total
 * estimated error is below `relTol` times the integral of component 0, or `maxIntervals` is
 * reached. Component 0 should be positive (a density); the others are moments of it.
 */

// Kronrod abscissae (positive half, descending to the centre) and weights; the Gauss
// points are the odd-indexed abscissae 1, 3, 5 and the centre 7.
const XGK = [
  0.991455371120812639206854697526329, 0.949107912342758524526189684047851, 0.864864423359769072789712788640926,
  0.741531185599394439863864773280788, 0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
  0.207784955007898467600689403773245, 0,
];
const WGK = [
  0.02293532201052922496373200805897, 0.063092092629978553290700663189204, 0.104790010322250183839876322541518,
  0.140653259715525918745189590510238, 0.16900472663926790282658342659855, 0.190350578064785409913256402421014,
  0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
];
const WG = [
  0.129484966168869693270611432679082, 0.27970539148927666790146777142378, 0.381830050505118944950369775488975,
  0.417959183673469387755102040816327,
];

/** Fills `out` (length `dim`) with the integrand's components at `u`. */
export type VectorIntegrand = (u: number, out: Float64Array) => void;

interface Piece {
  readonly a: number;
  readonly b: number;
  readonly value: Float64Array;
  readonly error: number;
}

function qk15(f: VectorIntegrand, a: number, b: number, dim: number, tmp: Float64Array, tmp2: Float64Array): Piece {
  const c = 0.5 * (a + b);
  const h = 0.5 * (b - a);
  const kron = new Float64Array(dim);
  let gauss0 = 0;
  f(c, tmp);
  for (let k = 0; k < dim; k++) kron[k] = WGK[7]! * tmp[k]!;
  gauss0 = WG[3]! * tmp[0]!;
  for (let j = 0; j < 7; j++) {
    const dx = h * XGK[j]!;
    f(c - dx, tmp);
    f(c + dx, tmp2);
    const w = WGK[j]!;
    for (let k = 0; k < dim; k++) kron[k]! += w * (tmp[k]! + tmp2[k]!);
    if (j % 2 === 1) gauss0 += WG[(j - 1) / 2]! * (tmp[0]! + tmp2[0]!);
  }
  for (let k = 0; k < dim; k++) kron[k]! *= h;
  return { a, b, value: kron, error: Math.abs(kron[0]! - gauss0 * h) };
}

/**
 * ∫ₐᵇ f, component-wise, starting from `initialPieces` equal panels.
 * Returns the integrals and the final error estimate of component 0.
 */
export function integrate(
  f: VectorIntegrand,
  a: number,
  b: number,
  dim: number,
  options: { relTol?: number; initialPieces?: number; maxIntervals?: number } = {},
): { value: Float64Array; error: number } {
  const relTol = options.relTol ?? 1e-13;
  const maxIntervals = options.maxIntervals ?? 400;
  const initial = Math.max(1, options.initialPieces ?? 1);
  const tmp = new Float64Array(dim);
  const tmp2 = new Float64Array(dim);
  const pieces: Piece[] = [];
  for (let i = 0; i < initial; i++) {
    const lo = a + ((b - a) * i) / initial;
    const hi = i === initial - 1 ? b : a + ((b - a) * (i + 1)) / initial;
    pieces.push(qk15(f, lo, hi, dim, tmp, tmp2));
  }
  for (;;) {
    let total = 0;
    let error = 0;
    let worst = 0;
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      total += p.value[0]!;
      error += p.error;
      if (p.error > pieces[worst]!.error) worst = i;
    }
    if (error <= relTol * Math.abs(total) || pieces.length >= maxIntervals || !Number.isFinite(error)) {
      const value = new Float64Array(dim);
      for (const p of pieces) for (let k = 0; k < dim; k++) value[k]! += p.value[k]!;
      return { value, error };
    }
    const p = pieces[worst]!;
    const mid = 0.5 * (p.a + p.b);
    if (!(mid > p.a && mid < p.b)) {
      // The interval cannot be split further in float64: accept what we have.
      const value = new Float64Array(dim);
      for (const q of pieces) for (let k = 0; k < dim; k++) value[k]! += q.value[k]!;
      return { value, error };
    }
    pieces[worst] = qk15(f, p.a, mid, dim, tmp, tmp2);
    pieces.push(qk15(f, mid, p.b, dim, tmp, tmp2));
  }
}
