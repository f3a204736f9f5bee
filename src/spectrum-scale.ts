/**
 * Scaling a matrix by a power of two before its Gram product, so that entries whose squares
 * underflow (|w| ≲ 1e-154) or overflow (|w| ≳ 1e154) float64 still give their true spectrum.
 * Multiplying by 2^k only changes the exponent, so it is exact (no rounding) for every
 * normal number, and the eigenvalues of (2^k W)ᵀ(2^k W) are exactly 2^{2k} those of WᵀW up to
 * the solver's own rounding. LAPACK does the same inside its drivers (dsyev/dgesvd scale the
 * matrix into [√SMLNUM, √BIGNUM] before reducing it, LAPACK Users' Guide §4.8 and dlascl),
 * which is why numpy's eigvalsh/svd return finite values on such matrices.
 */

/**
 * Entries at most this far from 1 are left alone: their squares, Gram sums and the solver's
 * intermediate products stay far from float64's limits (2^±1022), and results for every
 * ordinary matrix stay bit-identical (k = 0).
 */
export const UNSCALED_RANGE = 2 ** 250;

/** Whether |w| = `a` is within UNSCALED_RANGE of 1: a matrix whose largest |w| is needs no scaling. */
export function withinUnscaledRange(a: number): boolean {
  return a >= 1 / UNSCALED_RANGE && a <= UNSCALED_RANGE;
}

/** The power of two k such that 2^k·max|w| lies in [1, 2), or 0 when no scaling is needed. */
export function scaleExponent(W: Float64Array): number {
  let maxAbs = 0;
  for (let i = 0; i < W.length; i++) {
    const a = Math.abs(W[i]!);
    if (a > maxAbs) maxAbs = a;
  }
  if (!(maxAbs > 0) || !Number.isFinite(maxAbs)) return 0;
  if (withinUnscaledRange(maxAbs)) return 0;
  let k = -Math.floor(Math.log2(maxAbs));
  // log2 of a subnormal or huge value may be off by one ulp: land exactly in [1, 2).
  if (timesPow2(maxAbs, k) >= 2) k--;
  else if (timesPow2(maxAbs, k) < 1) k++;
  return k;
}

/** x·2^k without overflow or underflow in the factor itself (k may exceed ±1023). */
export function timesPow2(x: number, k: number): number {
  let y = x;
  let e = k;
  while (e > 1000) {
    y *= 2 ** 1000;
    e -= 1000;
  }
  while (e < -1000) {
    y *= 2 ** -1000;
    e += 1000;
  }
  return y * 2 ** e;
}

/** W·2^k, a new array (W may be the tensor's own values, which must not change). */
export function scaled(W: Float64Array, k: number): Float64Array {
  const out = new Float64Array(W.length);
  for (let i = 0; i < W.length; i++) out[i] = timesPow2(W[i]!, k);
  return out;
}
