import type { OrtBackend } from './ort.js';
import type { GraphSpec } from './onnx-model.js';
import { MAX_POOLED_BYTES, Workspace } from './workspace.js';
import { mirrorLower, transposeInto } from './transpose.js';
import { gramTallChunked } from './gram-tall.js';
import { type KernelExports, wasmKernels, wasmScratch } from './wasm.js';
/**
 * Gram product of a row-major rows×cols matrix W: the smaller of WᵀW (cols×cols) and
 * W·Wᵀ (rows×rows). Both have the same non-zero eigenvalues σᵢ², so the smaller one gives
 * the whole ESD of WᵀW restricted to its M = min(rows, cols) eigenvalues (DESIGN.md §3.2).
 * Only the lower triangle is computed; callers that need the full matrix mirror it.
 *
 * By the WebAssembly kernel when this thread has it (wasm.ts), else gramLowerTs: the same
 * sums in the same order, so the same G to the bit (test/spectrum/gram.test.ts). The kernel
 * ran the small matrices of a model 4–6× faster than the TypeScript loop (issue 14: on
 * M-LSD's 92 small slices the main thread spent ~80 ms here).
 */
export function gramLower(W: Float64Array, rows: number, cols: number): { G: Float64Array; n: number } {
  const k = wasmKernels('sync');
  if (!k) return gramLowerTs(checkedShape(W, rows, cols), rows, cols);
  const n = gramLowerInKernel(k, W, rows, cols);
  return { G: wasmScratch(k, n * n).slice(0, n * n), n };
}

function checkedShape(W: Float64Array, rows: number, cols: number): Float64Array {
  if (W.length !== rows * cols) throw new RangeError(`gram: ${W.length} values for ${rows}×${cols}`);
  return W;
}

/** Rows of A = W (tall) or Wᵀ (wide) copied into kernel memory at a time: at most ~512 KiB. */
const GRAM_CHUNK_DOUBLES = 1 << 16;

/**
 * G = AᵀA with A = W when tall, Wᵀ when wide, into the kernel's memory (n×n row-major at its
 * start, lower triangle; n returned), where the one-stage path reduces it in place
 * (eigen.ts eigenvaluesTs). Accumulated over chunks of A's rows: a row of Wᵀ is a column of
 * W, so the wide case's dot products Σₖ W[i][k]·W[j][k] are summed in k order, as
 * gramLowerTs sums them. Kernel memory stays bounded whatever N. When W is tall (or square),
 * `rowNorms` (rows values), if given, receives its rows' squared norms, read from each chunk
 * while it is in cache (for accurate-first.ts: a prediction, in any summation order).
 */
export function gramLowerInKernel(
  k: KernelExports,
  W: Float64Array,
  rows: number,
  cols: number,
  rowNorms?: Float64Array,
): number {
  checkedShape(W, rows, cols);
  const tall = rows >= cols;
  const n = tall ? cols : rows;
  const N = tall ? rows : cols;
  const chunk = Math.max(1, Math.min(N, Math.floor(GRAM_CHUNK_DOUBLES / Math.max(1, n))));
  const norms = tall ? rowNorms : undefined;
  // G, then the chunk of A's rows, then the kernel's packed copy of it, then its rows' norms.
  const out = n * n + 2 * chunk * n;
  const mem = wasmScratch(k, out + (norms ? chunk : 0));
  mem.fill(0, 0, n * n);
  const A = mem.subarray(n * n, n * n + chunk * n);
  for (let r0 = 0; r0 < N; r0 += chunk) {
    const r1 = Math.min(N, r0 + chunk);
    if (tall) A.set(W.subarray(r0 * cols, r1 * cols));
    else transposeInto(W, rows, cols, A, r0, r1);
    if (norms) {
      k.rowSquares(n * n * 8, r1 - r0, n, out * 8);
      norms.set(mem.subarray(out, out + r1 - r0), r0);
    }
    k.gramLowerRows(n * n * 8, r1 - r0, n, 0, (n * n + chunk * n) * 8);
  }
  return n;
}

/** The squared norms of W's rows in TypeScript (gramLowerInKernel's `rowNorms` without the kernels). */
export function squaredRowNorms(W: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = i * cols, end = j + cols; j < end; j++) s += W[j]! * W[j]!;
    out[i] = s;
  }
  return out;
}

/** The diagonal of the n×n Gram product gramLowerInKernel left in kernel memory (a copy). */
export function gramDiagonalInKernel(k: KernelExports, n: number): Float64Array {
  const G = wasmScratch(k, n * n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = G[i * n + i]!;
  return out;
}

/** gramLower in TypeScript: the kernel's twin and fallback (wasm.ts). */
export function gramLowerTs(W: Float64Array, rows: number, cols: number): { G: Float64Array; n: number } {
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

/** G = WᵀW whole. */
export const GRAM_TALL: [string, () => GraphSpec] = [
  'gram:tA',
  () => ({
    inputs: [{ name: 'W', dims: ['r', 'c'] }],
    outputs: [{ name: 'G', dims: ['n', 'n'] }],
    nodes: [{ op: 'Gemm', inputs: ['W', 'W'], outputs: ['G'], attributes: { transA: 1 } }],
  }),
];

/** One row block of W·Wᵀ: A·Bᵀ. */
export const GRAM_BLOCK_GRAPH: [string, () => GraphSpec] = [
  'gram:blockTB',
  () => ({
    inputs: [
      { name: 'A', dims: ['h', 'k'] },
      { name: 'B', dims: ['w', 'k'] },
    ],
    outputs: [{ name: 'G', dims: ['h', 'w'] }],
    nodes: [{ op: 'Gemm', inputs: ['A', 'B'], outputs: ['G'], attributes: { transB: 1 } }],
  }),
];

/**
 * Tall matrices with at least this many columns that are not transposed whole take the
 * chunked route (gram-tall.ts), the others one GEMM. Medians of 9, ms, one GEMM → chunked
 * (a scratch timing script, huge pages on): 400×300 1.8 → 1.9, 600×500 7.1 → 6.2, 800×600
 * 13.6 → 11.0 (one thread); 2048×1536 131 → 83, 3000×2500 728 → 306, 6144×2048 812 → 458
 * (two threads); 50257×1024 (the GPT-2 medium embedding) 1.66–1.77 s → 0.99–1.27 s,
 * 11008×4096 (a Llama MLP gate) 6.0–6.3 s → 3.2–3.8 s (two runs each).
 */
export const TALL_CHUNKED_MIN_N = 480;

/** Row-block height of the blocked W·Wᵀ (outputs stay small; flops ≈ half of a full GEMM). */
const GRAM_BLOCK = 256;

/**
 * The same Gram matrix, full (both triangles), by float64 GEMMs in onnxruntime. W is
 * passed without a copy. When rows ≤ cols (wide or square) G = W·Wᵀ is formed by row
 * blocks of its lower triangle, G[i0:i1, 0:i1] = W[i0:i1, :]·W[0:i1, :]ᵀ (contiguous views
 * of W), about half the flops of a full product, then mirrored. A tall W (a column block of
 * row-major W is not contiguous): when rows ≥ 2·cols and W is at most MAX_POOLED_BYTES, the
 * same on a transposed copy of W kept between matrices; else from TALL_CHUNKED_MIN_N columns
 * chunk by chunk of W's rows (gram-tall.ts); else G = WᵀW = Gemm(W, W, transA) whole.
 * Every route gives the same G to the bit (test/spectrum/gram-tall.test.ts).
 */
export async function gramOrt(
  ort: OrtBackend,
  W: Float64Array,
  rows: number,
  cols: number,
  ws: Workspace = new Workspace(false),
  /** Called between row blocks whose outputs add up to this many bytes (frees them early). */
  collect?: { every: number; run: () => void },
): Promise<{ G: Float64Array; n: number }> {
  if (W.length !== rows * cols) throw new RangeError(`gram: ${W.length} values for ${rows}×${cols}`);
  if (rows > cols) {
    const pooled = rows * cols * 8 <= MAX_POOLED_BYTES;
    if (!pooled || rows < 2 * cols) {
      if (cols >= TALL_CHUNKED_MIN_N) return gramTallChunked(ort, W, rows, cols, ws);
      const res = await ort.run(...GRAM_TALL, { W: ort.tensor(W, [rows, cols]) });
      return { G: res.G!, n: cols };
    }
    // Clearly tall and not large: WᵀW = (Wᵀ)(Wᵀ)ᵀ by the blocked lower-triangle route on
    // a transposed copy kept between matrices: 4096×1024 in 102 ms instead of 145 ms.
    const WT = ws.get('transpose', rows * cols);
    transposeInto(W, rows, cols, WT);
    return gramOrt(ort, WT, cols, rows, ws, collect);
  }
  const n = rows;
  const k = cols;
  const G = ws.get('gram', n * n);
  let garbage = 0;
  for (let i0 = 0; i0 < n; i0 += GRAM_BLOCK) {
    const i1 = Math.min(n, i0 + GRAM_BLOCK);
    const res = await ort.run(...GRAM_BLOCK_GRAPH, {
      A: ort.tensor(W.subarray(i0 * k, i1 * k), [i1 - i0, k]),
      B: ort.tensor(W.subarray(0, i1 * k), [i1, k]),
    });
    const blk = res.G!;
    for (let i = i0; i < i1; i++) G.set(blk.subarray((i - i0) * i1, (i - i0) * i1 + i + 1), i * n);
    // Each block comes back in a fresh buffer (the binding copies outputs): together they
    // are half of G, garbage at once, but V8 frees them only at its next collection.
    garbage += blk.byteLength;
    if (collect && garbage >= collect.every) {
      collect.run();
      garbage = 0;
    }
  }
  mirrorLower(G, n);
  return { G, n };
}
