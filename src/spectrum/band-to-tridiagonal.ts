/**
 * Stage two of the two-stage tridiagonalisation: symmetric band (half-width b) →
 * tridiagonal by Householder bulge chasing (Lang, Parallel Computing 19 (1993); the
 * "sb2st" kernels of Haidar, Ltaief & Dongarra, SC'11). Sweep i annihilates column i
 * below the subdiagonal with a reflector on rows i+1 … i+b, applied from both sides; the
 * fill it makes in the block below is removed by annihilating only that block's first
 * column, and so on down the matrix. The rest of each bulge lies inside the next sweep's
 * blocks and is removed there. O(n²·b) flops, all on an n×(2b+1) array that stays in cache.
 */
import type { BandMatrix } from './band-reduce.js';
import { wasmKernels, wasmScratch } from './wasm.js';
import { householder } from './householder.js';

/** Same as bandToTridiagonal, in WebAssembly SIMD when available (wasm/kernels.as.ts). */
export function bandToTridiagonalFast(m: BandMatrix): { d: Float64Array; e: Float64Array } {
  const k = wasmKernels();
  if (k === undefined || m.b < 2) return bandToTridiagonal(m);
  const { n, b, ld } = m;
  const size = n * ld;
  const mem = wasmScratch(k, size + 4 * b + 8);
  mem.set(m.band);
  const at = (i: number) => (size + i * b) * 8;
  k.bandToTridiagonal(n, b, ld, 0, at(0), at(1), at(2), at(3));
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    d[j] = mem[j * ld]!;
    if (j < n - 1) e[j] = mem[j * ld + 1]!;
  }
  return { d, e };
}

/** Returns the diagonal d and off-diagonal e (e[i] couples i and i+1; e[n−1] = 0). Overwrites the band. */
export function bandToTridiagonal(m: BandMatrix): { d: Float64Array; e: Float64Array } {
  const { band, n, b, ld } = m;
  const v = new Float64Array(b);
  const v2 = new Float64Array(b);
  const w = new Float64Array(b);
  const x = new Float64Array(b);
  if (b >= 2) {
    for (let i = 0; i < n - 2; i++) {
      let len = Math.min(b, n - 1 - i);
      if (len < 2) continue;
      let tau = reflector(band, i * ld + 1, len, v);
      let s = i + 1;
      let cur = v;
      let nxt = v2;
      for (;;) {
        if (tau !== 0) twoSided(band, ld, s, len, cur, tau, w);
        const p0 = s + len;
        const nb = Math.min(b, n - p0);
        if (nb <= 0) break;
        // B = A[p0 : p0+nb, s : s+len] ← B·H (fills the block: the bulge).
        if (tau !== 0) {
          for (let k = 0; k < nb; k++) {
            // Row p0+k, column s+q sits at band[(s+q)·ld + (p0+k − s − q)].
            let dot = 0;
            let idx = s * ld + len + k;
            for (let q = 0; q < len; q++, idx += ld - 1) dot += band[idx]! * cur[q]!;
            x[k] = dot * tau;
          }
          for (let q = 0; q < len; q++) {
            const col = (s + q) * ld + len + 0 - q;
            const vq = cur[q]!;
            if (vq === 0) continue;
            for (let k = 0; k < nb; k++) band[col + k]! -= x[k]! * vq;
          }
        }
        // Annihilate B's first column below its first entry, then apply from the left to the rest of B.
        const tau2 = reflector(band, s * ld + len, nb, nxt);
        if (tau2 !== 0) {
          for (let q = 1; q < len; q++) {
            const col = (s + q) * ld + len - q;
            let dot = 0;
            for (let k = 0; k < nb; k++) dot += nxt[k]! * band[col + k]!;
            dot *= tau2;
            if (dot === 0) continue;
            for (let k = 0; k < nb; k++) band[col + k]! -= dot * nxt[k]!;
          }
        }
        s = p0;
        len = nb;
        tau = tau2;
        const tmp = cur;
        cur = nxt;
        nxt = tmp;
      }
    }
  }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    d[j] = band[j * ld]!;
    if (j < n - 1) e[j] = band[j * ld + 1]!;
  }
  return { d, e };
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

/** D ← H·D·H for the symmetric len×len diagonal block at (s, s), H = I − τ·v·vᵀ. */
function twoSided(
  band: Float64Array,
  ld: number,
  s: number,
  len: number,
  v: Float64Array,
  tau: number,
  w: Float64Array,
): void {
  w.fill(0, 0, len);
  for (let q = 0; q < len; q++) {
    const col = (s + q) * ld - q;
    const vq = v[q]!;
    let acc = band[col + q]! * vq;
    for (let p = q + 1; p < len; p++) {
      const a = band[col + p]!;
      acc += a * v[p]!;
      w[p]! += a * vq;
    }
    w[q]! += acc;
  }
  let wv = 0;
  for (let q = 0; q < len; q++) {
    w[q]! *= tau;
    wv += w[q]! * v[q]!;
  }
  const alpha = 0.5 * tau * wv;
  for (let q = 0; q < len; q++) w[q]! -= alpha * v[q]!;
  for (let q = 0; q < len; q++) {
    const col = (s + q) * ld - q;
    const vq = v[q]!;
    const wq = w[q]!;
    for (let p = q; p < len; p++) band[col + p]! -= v[p]! * wq + w[p]! * vq;
  }
}
