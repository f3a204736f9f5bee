/**
 * Stage two of the two-stage bidiagonalisation for the accurate singular values: upper band
 * (half-width b) → upper bidiagonal by Householder bulge chasing, the singular-value analogue of
 * band-to-tridiagonal.ts (the "gb2bd" kernels of PLASMA/MAGMA: Ltaief, Luszczek & Dongarra, ACM
 * TOMS 39 (2013); Haidar, Kurzak & Luszczek, SC'13). Singular values only: the reflectors are
 * applied and dropped, every one from householder.ts (dlarfg, scaled: safe for entries spanning
 * 1e±150). Each step is an exact orthogonal transformation, so the result's singular values are
 * those of B to O(ε·‖B‖) absolute (backward stable), which is all the rank decision needs.
 *
 * Sweep i annihilates row i beyond the superdiagonal with a right reflector on columns
 * i+1 … i+len (len ≤ b). Applied to the rows below, it fills the lower triangle of the diagonal
 * block B[s:s+len, s:s+len], s = i+1 (a bulge below the diagonal); a left reflector annihilates
 * only that block's first column, and applied to the block row it fills the block to the right
 * of the band, B[s:s+len, s+len:s+len+nb]; a right reflector annihilates only that block's first
 * row, which fills the next diagonal block, and so on down the matrix. The rest of each bulge
 * lies inside the next sweep's blocks and is removed there. ≈ 8·n²·b flops on an n×3b array.
 *
 * Storage (UpperBand): by rows, B[i, j] at band[i·ld + off + j − i] for −b ≤ j − i < 2b, ld = 3b,
 * off = b: the band (0 ≤ j − i ≤ b) plus room for the bulges (j − i down to 1 − b below, up to
 * 2b − 1 above). Every application then runs on contiguous row stretches: a right reflector as a
 * dot product and an axpy per row, a left one as w = Σₜ uₜ·rowₜ and rowₜ −= τ·uₜ·w.
 *
 * wasm/kernels.as.ts has the same routine in WebAssembly SIMD (bandToBidiagonal); this is its
 * declared fallback (wasm.ts). Both do the same operations in the same order (dot products in
 * two interleaved partial sums, the kernel's two SIMD lanes), so their results are identical.
 */
import { householder } from './householder.js';
import { wasmKernels, wasmScratch } from './wasm.js';

/** An n×n upper band matrix of half-width b, stored by rows with room for the bulges (see above). */
export interface UpperBand {
  readonly band: Float64Array;
  readonly n: number;
  /** Half-width: B[i, j] = 0 unless 0 ≤ j − i ≤ b (clamped to n − 1). */
  readonly b: number;
  /** Row stride of `band`: 3·max(b, 1). */
  readonly ld: number;
  /** Position of the diagonal in a row: B[i, j] at band[i·ld + off + j − i]; off = b. */
  readonly off: number;
}

/** An n×n zero upper band of half-width b, with room for the bulges. */
export function emptyUpperBand(n: number, b: number): UpperBand {
  const hw = Math.max(0, Math.min(b, n - 1));
  const ld = 3 * Math.max(hw, 1);
  return { band: new Float64Array(Math.max(n, 0) * ld), n, b: hw, ld, off: hw };
}

/** Index in m.band of B[i, j], for 0 ≤ j − i ≤ b (stage one writes only through this). */
export function upperBandIndex(m: UpperBand, i: number, j: number): number {
  return i * m.ld + m.off + j - i;
}

/**
 * Band → bidiagonal in WebAssembly SIMD when available (wasm/kernels.as.ts), else with
 * bandToBidiagonal below; the same d and e to the bit. The kernel works on a copy in its own
 * memory (m.band is then left as it was); the fallback overwrites m.band.
 */
export function bandToBidiagonalFast(m: UpperBand): { d: Float64Array; e: Float64Array } {
  const k = wasmKernels('svd');
  if (k === undefined || m.b < 2) return bandToBidiagonal(m);
  const { n, b, ld, off } = m;
  const size = n * ld;
  // Kernel memory: the band, then v, u (b each), w (2b), β (1).
  const mem = wasmScratch(k, size + 4 * b + 2);
  mem.set(m.band.subarray(0, size));
  const at = (i: number) => (size + i * b) * 8;
  k.bandToBidiagonal(n, b, ld, off, 0, at(0), at(1), at(2), at(4));
  return bidiagonalOf(mem, n, ld, off);
}

/**
 * The TypeScript bulge chasing: the fallback where WebAssembly SIMD is missing (wasm.ts).
 * Overwrites the band. d: n values, e: n values, e[k] couples d[k] and d[k+1], e[n−1] = 0.
 */
export function bandToBidiagonal(m: UpperBand): { d: Float64Array; e: Float64Array } {
  const { n, b } = m;
  if (b >= 2) {
    const work: ChaseWork = { v: new Float64Array(b), u: new Float64Array(b), w: new Float64Array(2 * b) };
    for (let i = 0; i < n - 2; i++) chase(m, i, work);
  }
  return bidiagonalOf(m.band, n, m.ld, m.off);
}

/** Diagonal and superdiagonal of row storage with stride ld and the diagonal at off. */
function bidiagonalOf(band: Float64Array, n: number, ld: number, off: number): { d: Float64Array; e: Float64Array } {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    d[i] = band[i * ld + off]!;
    if (i < n - 1) e[i] = band[i * ld + off + 1]!;
  }
  return { d, e };
}

interface ChaseWork {
  /** The right reflector (length ≤ b). */
  readonly v: Float64Array;
  /** The left reflector (length ≤ b). */
  readonly u: Float64Array;
  /** w = Σₜ uₜ·rowₜ of a left application (length ≤ 2b − 1). */
  readonly w: Float64Array;
}

/**
 * Sweep i. Each pass of the loop holds a right reflector (v, τ) on columns s … s+len−1 and
 * applies it to the rows from..s+len−1 that meet those columns (the rest of the block row above,
 * then the diagonal block); annihilates the diagonal block's first column with a left reflector
 * and applies it to the block row, columns s+1 … s+len+nb−1; then builds the next right
 * reflector from row s, columns s+len … s+len+nb−1.
 */
function chase(m: UpperBand, i: number, work: ChaseWork): void {
  const { band, n, b, ld, off } = m;
  const { v, u, w } = work;
  const len0 = Math.min(b, n - 1 - i);
  if (len0 < 2) return;
  const rowStep = ld - 1; // index step from B[r, j] to B[r+1, j]
  let tau = rowReflector(band, i * ld + off + 1, len0, v);
  let from = i + 1;
  let s = i + 1;
  let len = len0;
  for (;;) {
    // Right: rows from … s+len−1, columns s … s+len−1.
    if (tau !== 0) {
      for (let r = from; r < s + len; r++) {
        const p = r * rowStep + s + off;
        const c = dot(band, p, v, 0, len) * tau;
        if (c !== 0) axpy(band, p, v, 0, -c, len);
      }
    }
    const nb = Math.min(b, n - s - len);
    // Left: column s, rows s … s+len−1 (stride ld − 1), gathered into u.
    const diag = s * ld + off;
    for (let t = 0; t < len; t++) u[t] = band[diag + t * rowStep]!;
    const tauL = householder(u, 0, len, BETA);
    u[0] = 1;
    band[diag] = BETA.beta;
    for (let t = 1; t < len; t++) band[diag + t * rowStep] = 0;
    const width = len + nb - 1;
    if (tauL !== 0 && width > 0) {
      // w = Σₜ uₜ·B[s+t, s+1 …], then B[s+t, s+1 …] −= τ·uₜ·w.
      w.fill(0, 0, width);
      for (let t = 0; t < len; t++) axpy(w, 0, band, diag + 1 + t * rowStep, u[t]!, width);
      for (let t = 0; t < len; t++) {
        const c = tauL * u[t]!;
        if (c !== 0) axpy(band, diag + 1 + t * rowStep, w, 0, -c, width);
      }
    }
    if (nb <= 0) return;
    // Next right reflector: row s, columns s+len … s+len+nb−1.
    tau = rowReflector(band, diag + len, nb, v);
    from = s + 1;
    s += len;
    len = nb;
  }
}

/**
 * Householder reflector for the len entries band[p …] of a row (householder.ts): leaves β in
 * band[p], zeros the rest, writes v (v₀ = 1) to `v` and returns τ (0 when there is nothing to
 * annihilate).
 */
function rowReflector(band: Float64Array, p: number, len: number, v: Float64Array): number {
  const tau = householder(band, p, len, BETA);
  v[0] = 1;
  for (let k = 1; k < len; k++) {
    v[k] = band[p + k]!;
    band[p + k] = 0;
  }
  band[p] = BETA.beta;
  return tau;
}
const BETA = { beta: 0 };

/**
 * Σ x[xo+k]·y[yo+k], k < n, in the kernel's order: even and odd k in two partial sums (its two
 * SIMD lanes), added, then the odd last term.
 */
function dot(x: Float64Array, xo: number, y: Float64Array, yo: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let k = 0;
  for (; k + 2 <= n; k += 2) {
    s0 += x[xo + k]! * y[yo + k]!;
    s1 += x[xo + k + 1]! * y[yo + k + 1]!;
  }
  let s = s0 + s1;
  if (k < n) s += x[xo + k]! * y[yo + k]!;
  return s;
}

/** y[yo+k] += a·x[xo+k], k < n. */
function axpy(y: Float64Array, yo: number, x: Float64Array, xo: number, a: number, n: number): void {
  for (let k = 0; k < n; k++) y[yo + k]! += a * x[xo + k]!;
}
