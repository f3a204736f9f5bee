/** Dense helpers for building test matrices (row-major Float64Array). Small sizes only. */
import type { Rng } from './rng.js';

/** n×k matrix with orthonormal columns: Gaussian columns, modified Gram–Schmidt run twice. */
export function orthonormalColumns(rng: Rng, n: number, k: number): Float64Array {
  if (k > n) throw new Error(`cannot have ${k} orthonormal columns in R^${n}`);
  // Column-major while orthogonalising (contiguous columns), row-major on return.
  const cols: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const c = new Float64Array(n);
    for (let i = 0; i < n; i++) c[i] = rng.normal();
    for (let pass = 0; pass < 2; pass++) {
      for (const q of cols) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += q[i]! * c[i]!;
        for (let i = 0; i < n; i++) c[i] = c[i]! - dot * q[i]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += c[i]! * c[i]!;
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) c[i] = c[i]! / norm;
    cols.push(c);
  }
  const out = new Float64Array(n * k);
  for (let j = 0; j < k; j++) {
    const c = cols[j]!;
    for (let i = 0; i < n; i++) out[i * k + j] = c[i]!;
  }
  return out;
}

/** W += U·diag(d)·Vᵀ, with U n×k, V m×k row-major and W n×m row-major. */
export function addLowRank(
  W: Float64Array,
  n: number,
  m: number,
  U: Float64Array,
  d: ArrayLike<number>,
  V: Float64Array,
  k: number,
): void {
  const row = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < k; r++) row[r] = U[i * k + r]! * d[r]!;
    const off = i * m;
    for (let j = 0; j < m; j++) {
      let s = 0;
      const vo = j * k;
      for (let r = 0; r < k; r++) s += row[r]! * V[vo + r]!;
      W[off + j] = W[off + j]! + s;
    }
  }
}

/** A·B for A n×k, B k×m, row-major. */
export function matmul(A: Float64Array, B: Float64Array, n: number, k: number, m: number): Float64Array {
  const C = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    const co = i * m;
    for (let r = 0; r < k; r++) {
      const a = A[i * k + r]!;
      if (a === 0) continue;
      const bo = r * m;
      for (let j = 0; j < m; j++) C[co + j] = C[co + j]! + a * B[bo + j]!;
    }
  }
  return C;
}

export function transpose(A: Float64Array, rows: number, cols: number): Float64Array {
  const T = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) T[j * rows + i] = A[i * cols + j]!;
  return T;
}
