/**
 * The Householder reflector of the project, LAPACK dlarfg: H = I − τ·v·vᵀ with v₀ = 1 maps x
 * to β·e₁ (Golub & Van Loan, Matrix Computations, 4th ed., §5.1.2–5.1.3; Anderson et al.,
 * LAPACK Users' Guide, 3rd ed., 1999). β takes the sign opposite to x₀, so that v has no
 * cancellation, and the norm is computed scaled by the largest |xᵢ|, safe from overflow and
 * underflow whatever the magnitudes. Every TypeScript reduction uses it: the panel QR of
 * the band reduction (panel-qr.ts), the bulge chasing (band-to-tridiagonal.ts), the
 * one-stage tridiagonalisation (tridiagonalize.ts) and the bidiagonalisation
 * (singular-values.ts). The WebAssembly kernels (wasm/kernels.as.ts) carry their own copy.
 */

/**
 * Turns x = buf[off], buf[off+1], … (len entries) into β·e₁ by H = I − τ·v·vᵀ with v₀ = 1.
 * Writes v₁… over x₁… and returns τ, leaving β in `out.beta` (x₀ itself is not written).
 * τ = 0 means H = I: x₁… are all zero, and β = x₀.
 */
export function householder(buf: Float64Array, off: number, len: number, out: { beta: number }): number {
  const alpha = buf[off]!;
  let scale = 0;
  for (let k = 1; k < len; k++) scale = Math.max(scale, Math.abs(buf[off + k]!));
  if (scale === 0) {
    out.beta = alpha;
    return 0;
  }
  // Scaled norm: safe from overflow and underflow whatever the magnitudes.
  scale = Math.max(scale, Math.abs(alpha));
  let ss = 0;
  for (let k = 0; k < len; k++) {
    const x = buf[off + k]! / scale;
    ss += x * x;
  }
  const norm = scale * Math.sqrt(ss);
  const beta = alpha >= 0 ? -norm : norm;
  if (Math.abs(beta) < SAFE_MIN) return tinyReflector(buf, off, len, out);
  const tau = (beta - alpha) / beta;
  const inv = 1 / (alpha - beta);
  for (let k = 1; k < len; k++) buf[off + k]! *= inv;
  out.beta = beta;
  return tau;
}

/**
 * dlarfg's safe minimum (dlamch('S')/dlamch('E')): below it 1/(α − β) can overflow, so a
 * subnormal column (a Gram row of tiny weights) would turn v into ±Infinity and NaN.
 */
const SAFE_MIN = 2 ** -1022 / Number.EPSILON;

/**
 * The reflector of a tiny x, as dlarfg does it: x is scaled up by 1/SAFE_MIN (exact, a power
 * of two) until β is representable with room, the reflector is built on the scaled x (τ and
 * v do not depend on the scale), and β is scaled back. Only reached when |β| < SAFE_MIN, so
 * ordinary inputs keep the exact operations of `householder`.
 */
function tinyReflector(buf: Float64Array, off: number, len: number, out: { beta: number }): number {
  let alpha = buf[off]!;
  let knt = 0;
  let norm = 0;
  do {
    knt++;
    alpha /= SAFE_MIN;
    for (let k = 1; k < len; k++) buf[off + k]! /= SAFE_MIN;
    let scale = Math.abs(alpha);
    for (let k = 1; k < len; k++) scale = Math.max(scale, Math.abs(buf[off + k]!));
    let ss = (alpha / scale) * (alpha / scale);
    for (let k = 1; k < len; k++) {
      const x = buf[off + k]! / scale;
      ss += x * x;
    }
    norm = scale * Math.sqrt(ss);
  } while (norm < SAFE_MIN && knt < 20);
  const beta = alpha >= 0 ? -norm : norm;
  const tau = (beta - alpha) / beta;
  const inv = 1 / (alpha - beta);
  for (let k = 1; k < len; k++) buf[off + k]! *= inv;
  let b = beta;
  for (let j = 0; j < knt; j++) b *= SAFE_MIN;
  out.beta = b;
  return tau;
}
