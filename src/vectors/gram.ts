/**
 * The smaller Gram matrix of a row-major rows×cols W, lower triangle, for the eigenvector
 * computation: WᵀW (cols×cols, eigenvectors in the input space) when rows ≥ cols, else WWᵀ
 * (rows×rows, output space). Both have the ESD's eigenvalues.
 */
export function smallerGramLower(W: Float64Array, rows: number, cols: number): { X: Float64Array; n: number } {
  if (rows >= cols) {
    const n = cols;
    const X = new Float64Array(n * n);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let i = 0; i < n; i++) {
        const wi = W[base + i]!;
        if (wi === 0) continue;
        const xi = i * n;
        for (let j = 0; j <= i; j++) X[xi + j]! += wi * W[base + j]!;
      }
    }
    return { X, n };
  }
  const n = rows;
  const X = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < cols; k++) s += W[i * cols + k]! * W[j * cols + k]!;
      X[i * n + j] = s;
    }
  }
  return { X, n };
}
