/**
 * The one transpose of a row-major matrix (an exact copy, no arithmetic): by 64×64 tiles,
 * each written a row of the result at a time (contiguous stores, strided loads). Measured
 * at 3072×768: 4.0 ms against 15 ms for 32×32 tiles written a column at a time (issue 14).
 * Used by the Gram of clearly tall matrices and the small Gram of wide ones (gram.ts,
 * gram-tall.ts), the accurate route of wide ones (singular-values.ts) and the LoRA pairing
 * (load/lora/pairs.ts); mirrorLower completes the Gram products' lower triangles.
 */

/**
 * out = Wᵀ for the row-major rows×cols W, or only its rows from…to−1 (columns from…to−1 of W,
 * out then (to−from)×rows): the Gram product transposes a wide W a block at a time.
 */
export function transposeInto(
  W: Float64Array,
  rows: number,
  cols: number,
  out: Float64Array,
  from = 0,
  to = cols,
): void {
  const T = 64;
  for (let jb = from; jb < to; jb += T) {
    const jEnd = Math.min(to, jb + T);
    for (let ib = 0; ib < rows; ib += T) {
      const iEnd = Math.min(rows, ib + T);
      for (let j = jb; j < jEnd; j++) {
        const o = (j - from) * rows;
        for (let i = ib; i < iEnd; i++) out[o + i] = W[i * cols + j]!;
      }
    }
  }
}

/** Copies the lower triangle of the row-major n×n G onto its upper triangle, by tiles. */
export function mirrorLower(G: Float64Array, n: number): void {
  const T = 64;
  for (let jb = 0; jb < n; jb += T) {
    for (let ib = jb; ib < n; ib += T) {
      const iEnd = Math.min(n, ib + T);
      const jEnd = Math.min(n, jb + T);
      for (let i = ib; i < iEnd; i++) {
        const row = i * n;
        for (let j = jb; j < Math.min(jEnd, i); j++) G[j * n + i] = G[row + j]!;
      }
    }
  }
}
