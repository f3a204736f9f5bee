import type { OrtBackend } from './ort.js';
/**
 * Gram product of a row-major rows×cols matrix W: the smaller of WᵀW (cols×cols) and
 * W·Wᵀ (rows×rows). Both have the same non-zero eigenvalues σᵢ², so the smaller one gives
 * the whole ESD of WᵀW restricted to its M = min(rows, cols) eigenvalues (DESIGN.md §3.2).
 * Only the lower triangle is computed; callers that need the full matrix mirror it.
 */
export function gramLower(W: Float64Array, rows: number, cols: number): { G: Float64Array; n: number } {
  if (W.length !== rows * cols) throw new RangeError(`gram: ${W.length} values for ${rows}×${cols}`);
  if (rows >= cols) {
    // G = WᵀW: accumulate rank-1 updates row by row so W is streamed once, contiguously.
    const n = cols;
    const G = new Float64Array(n * n);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let i = 0; i < n; i++) {
        const wi = W[base + i]!;
        if (wi === 0) continue;
        const gi = i * n;
        for (let j = 0; j <= i; j++) G[gi + j]! += wi * W[base + j]!;
      }
    }
    return { G, n };
  }
  // G = W·Wᵀ: dot products of rows.
  const n = rows;
  const G = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const bi = i * cols;
    for (let j = 0; j <= i; j++) {
      const bj = j * cols;
      let s = 0;
      for (let k = 0; k < cols; k++) s += W[bi + k]! * W[bj + k]!;
      G[i * n + j] = s;
    }
  }
  return { G, n };
}

/**
 * The same Gram matrix, full (both triangles), as one float64 GEMM in onnxruntime:
 * WᵀW = Gemm(W, W, transA) when rows ≥ cols, W·Wᵀ = Gemm(W, W, transB) otherwise.
 * W is passed without a copy.
 */
export async function gramOrt(ort: OrtBackend, W: Float64Array, rows: number, cols: number): Promise<{ G: Float64Array; n: number }> {
  if (W.length !== rows * cols) throw new RangeError(`gram: ${W.length} values for ${rows}×${cols}`);
  const tall = rows >= cols;
  const key = tall ? 'gram:tA' : 'gram:tB';
  const attributes: Record<string, number> = tall ? { transA: 1 } : { transB: 1 };
  const res = await ort.run(
    key,
    () => ({
      inputs: [{ name: 'W', dims: ['r', 'c'] }],
      outputs: [{ name: 'G', dims: ['n', 'n'] }],
      nodes: [{ op: 'Gemm', inputs: ['W', 'W'], outputs: ['G'], attributes }],
    }),
    { W: ort.tensor(W, [rows, cols]) },
  );
  return { G: res.G!, n: Math.min(rows, cols) };
}
