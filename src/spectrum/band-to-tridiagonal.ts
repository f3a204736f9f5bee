/**
 * Stage two of the two-stage tridiagonalisation: symmetric band (half-width b) →
 * tridiagonal by Householder bulge chasing (Lang, Parallel Computing 19 (1993); the
 * "sb2st" kernels of Haidar, Ltaief & Dongarra, SC'11, in LAPACK as dsytrd_sb2st with
 * dsb2st_kernels), every reflector from householder.ts (dlarfg). Sweep i annihilates column i
 * below the subdiagonal with a reflector on rows i+1 … i+b, applied from both sides; the
 * fill it makes in the block below is removed by annihilating only that block's first
 * column, and so on down the matrix. The rest of each bulge lies inside the next sweep's
 * blocks and is removed there. O(n²·b) flops, all on an n×(2b+1) array that stays in cache.
 */
import type { BandMatrix } from './band-reduce.js';
import { wasmKernels, wasmScratch } from './wasm.js';
import { householder } from './householder.js';
import { reflectorCorrection, symvStretch, syr2Stretch } from './symmetric-update.js';

/**
 * Band → tridiagonal, in WebAssembly SIMD when available (wasm/kernels.as.ts), else with
 * bandToTridiagonal below. Returns d and e (e[i] couples i and i+1; e[n−1] = 0).
 */
export function bandToTridiagonalFast(m: BandMatrix): { d: Float64Array; e: Float64Array } {
  const k = wasmKernels();
  if (k === undefined || m.b < 2) return bandToTridiagonal(m);
  const { n, b, ld } = m;
  const size = n * ld;
  const mem = wasmScratch(k, size + 4 * b + 8);
  mem.set(m.band);
  const at = (i: number) => (size + i * b) * 8;
  k.bandToTridiagonal(n, b, ld, 0, at(0), at(1), at(2), at(3));
  return tridiagonalOf(mem, n, ld);
}

/**
 * The TypeScript bulge chasing: the fallback where WebAssembly SIMD is missing (wasm.ts).
 * Returns d and e as bandToTridiagonalFast does; overwrites the band.
 */
export function bandToTridiagonal(m: BandMatrix): { d: Float64Array; e: Float64Array } {
  const { band, n, b, ld } = m;
  if (b >= 2) {
    const work: ChaseWork = {
      v: new Float64Array(b),
      v2: new Float64Array(b),
      w: new Float64Array(b),
      x: new Float64Array(b),
    };
    for (let i = 0; i < n - 2; i++) chase(m, i, work);
  }
  return tridiagonalOf(band, n, ld);
}

/** Diagonal and first subdiagonal of lower band storage with column stride ld. */
function tridiagonalOf(band: Float64Array, n: number, ld: number): { d: Float64Array; e: Float64Array } {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    d[j] = band[j * ld]!;
    if (j < n - 1) e[j] = band[j * ld + 1]!;
  }
  return { d, e };
}

interface ChaseWork {
  readonly v: Float64Array;
  readonly v2: Float64Array;
  readonly w: Float64Array;
  readonly x: Float64Array;
}

/**
 * Sweep i, in the three kernel steps of LAPACK dsb2st_kernels: annihilate column i below
 * the subdiagonal and apply the reflector to its diagonal block from both sides (type 1);
 * then, block by block down the band, apply the previous reflector from the right to the
 * block below (making the bulge), annihilate the bulge's first column and apply that
 * reflector from the left to the rest of the block (type 2), and to the next diagonal
 * block from both sides (type 3).
 */
function chase(m: BandMatrix, i: number, work: ChaseWork): void {
  const { band, n, b, ld } = m;
  let len = Math.min(b, n - 1 - i);
  if (len < 2) return;
  let cur = work.v;
  let nxt = work.v2;
  let tau = reflector(band, i * ld + 1, len, cur);
  for (let s = i + 1; ; ) {
    if (tau !== 0) twoSided(band, ld, s, len, cur, tau, work.w);
    const p0 = s + len;
    const nb = Math.min(b, n - p0);
    if (nb <= 0) return;
    tau = chaseBlock(band, ld, s, len, nb, { v: cur, tau }, nxt, work.x);
    [cur, nxt] = [nxt, cur];
    [s, len] = [p0, nb];
  }
}

/**
 * The type-2 step for the nb×len block B = A[s+len : s+len+nb, s : s+len] below the
 * diagonal block: B ← B·H with the previous reflector H = I − τ·v·vᵀ (skipped when τ = 0),
 * which fills B (the bulge); then the reflector (`next`, returned τ₂) that annihilates B's
 * first column below its first entry, applied from the left to the rest of B. Row s+len+k,
 * column s+q of A sits at band[(s+q)·ld + (len+k − q)].
 */
function chaseBlock(
  band: Float64Array,
  ld: number,
  s: number,
  len: number,
  nb: number,
  { v, tau }: { v: Float64Array; tau: number },
  next: Float64Array,
  x: Float64Array,
): number {
  if (tau !== 0) {
    for (let k = 0; k < nb; k++) {
      let dot = 0;
      let idx = s * ld + len + k;
      for (let q = 0; q < len; q++, idx += ld - 1) dot += band[idx]! * v[q]!;
      x[k] = dot * tau;
    }
    for (let q = 0; q < len; q++) {
      const col = (s + q) * ld + len - q;
      const vq = v[q]!;
      if (vq === 0) continue;
      for (let k = 0; k < nb; k++) band[col + k]! -= x[k]! * vq;
    }
  }
  const tau2 = reflector(band, s * ld + len, nb, next);
  if (tau2 === 0) return 0;
  for (let q = 1; q < len; q++) {
    const col = (s + q) * ld + len - q;
    let dot = 0;
    for (let k = 0; k < nb; k++) dot += next[k]! * band[col + k]!;
    dot *= tau2;
    if (dot === 0) continue;
    for (let k = 0; k < nb; k++) band[col + k]! -= dot * next[k]!;
  }
  return tau2;
}

/**
 * Householder reflector for the len entries band[off …] (householder.ts): leaves β in
 * band[off], zeros the rest, writes v (v₀ = 1) to `v` and returns τ (0 when there is
 * nothing to annihilate).
 */
function reflector(band: Float64Array, off: number, len: number, v: Float64Array): number {
  const tau = householder(band, off, len, BETA);
  v[0] = 1;
  for (let k = 1; k < len; k++) {
    v[k] = band[off + k]!;
    band[off + k] = 0;
  }
  band[off] = BETA.beta;
  return tau;
}
const BETA = { beta: 0 };

/** D ← H·D·H for the symmetric len×len diagonal block at (s, s), H = I − τ·v·vᵀ (LAPACK dlarfy). */
function twoSided(
  band: Float64Array,
  ld: number,
  s: number,
  len: number,
  v: Float64Array,
  tau: number,
  w: Float64Array,
): void {
  // Column q of the block holds rows q … len−1 at band[(s+q)·ld − q + p] (symmetric-update.ts).
  w.fill(0, 0, len);
  for (let q = 0; q < len; q++) {
    const col = (s + q) * ld - q;
    const vq = v[q]!;
    const acc = symvStretch(band, col, v, w, vq, q + 1, len, band[col + q]! * vq);
    w[q]! += acc;
  }
  reflectorCorrection(v, w, tau, len);
  for (let q = 0; q < len; q++) syr2Stretch(band, (s + q) * ld - q, v, w[q]!, w, v[q]!, q, len);
}
