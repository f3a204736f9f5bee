/**
 * The eigen path for one matrix, on the current thread: Gram product, reduction to a
 * tridiagonal matrix, implicit QL. Two routes give the same eigenvalues (to ~1e-15·λ_max):
 *
 * - pure TypeScript (small matrices, and whenever onnxruntime is unavailable): Gram by
 *   rank-1 updates, one-stage Householder tridiagonalisation (tridiagonalize.ts, dsytd2),
 *   root-free QL (tridiagonal-eigenvalues.ts, dsterf);
 * - two-stage (n ≥ TWO_STAGE_MIN_N with onnxruntime): Gram as one float64 GEMM, dense →
 *   band with every O(n³) flop in GEMMs (band-reduce.ts), band → tridiagonal by bulge
 *   chasing (band-to-tridiagonal.ts, sb2st), the same QL.
 * Every reflector is householder.ts's (dlarfg).
 */
import { gramLower, gramOrt, GRAM_TALL, GRAM_BLOCK_GRAPH } from './gram.js';
import { tridiagonalize } from './tridiagonalize.js';
import { tridiagonalEigenvalues } from './tridiagonal-eigenvalues.js';
import { reduceToBand, prepareBandGraphs } from './band-reduce.js';
import { wasmKernels } from './wasm.js';
import { bandToTridiagonalFast } from './band-to-tridiagonal.js';
import type { OrtBackend } from './ort.js';
import { Workspace } from './workspace.js';

/**
 * Below this M = min(rows, cols) the one-stage TypeScript path is faster (bench/README.md:
 * 64: 0.9 vs 1.6 ms; 96: 3.2 vs 1.5 ms).
 */
export const TWO_STAGE_MIN_N = 96;

/** Half-bandwidth of the intermediate band (stage one GEMM width vs. stage two cost). */
export function bandwidthFor(n: number): number {
  return n >= 1536 ? 32 : 16;
}

/** Eigenvalues of WᵀW (ascending, min(rows, cols) of them) with the pure TypeScript path. */
export function eigenvaluesTs(W: Float64Array, rows: number, cols: number): Float64Array {
  const { G, n } = gramLower(W, rows, cols);
  return symmetricLowerEigenvalues(G, n);
}

/** Eigenvalues of the symmetric matrix whose lower triangle is in A (overwritten). */
export function symmetricLowerEigenvalues(A: Float64Array, n: number): Float64Array {
  if (n === 0) return new Float64Array(0);
  const { d, e } = tridiagonalize(A, n);
  return tridiagonalEigenvalues(d, e);
}

/** Eigenvalues of WᵀW through onnxruntime when it helps, else the TypeScript path. */
export async function eigenvaluesWith(
  ort: OrtBackend | undefined,
  W: Float64Array,
  rows: number,
  cols: number,
  options: { bandwidth?: number; minTwoStage?: number } = {},
): Promise<Float64Array> {
  if (W.length !== rows * cols) throw new RangeError(`eigenvalues: ${W.length} values for ${rows}×${cols}`);
  return eigenvaluesOwned(ort, { W }, rows, cols, options);
}

/**
 * Same, taking W out of `box` (box.W is cleared) so that no frame keeps W alive once
 * the Gram matrix exists: the input is the largest allocation, and memory is bounded by
 * 3× its size (issue 5).
 */
export async function eigenvaluesOwned(
  ort: OrtBackend | undefined,
  box: { W?: Float64Array | undefined },
  rows: number,
  cols: number,
  options: {
    bandwidth?: number;
    minTwoStage?: number;
    workspace?: Workspace;
    /** Frees garbage (a full GC): called after the Gram product, and within it every 32 MB of block outputs. */
    afterGram?: () => void;
  } = {},
): Promise<Float64Array> {
  const n = Math.min(rows, cols);
  const ws = options.workspace ?? new Workspace(false);
  const take = () => {
    const W = box.W;
    box.W = undefined;
    if (W === undefined || W.length !== rows * cols)
      throw new RangeError(`eigenvalues: ${W?.length} values for ${rows}×${cols}`);
    return W;
  };
  if (ort === undefined || n < (options.minTwoStage ?? TWO_STAGE_MIN_N)) return eigenvaluesTs(take(), rows, cols);
  const collect = options.afterGram ? { every: 32 * 2 ** 20, run: options.afterGram } : undefined;
  const { G } = await gramOrt(ort, take(), rows, cols, ws, collect);
  options.afterGram?.();
  return symmetricEigenvaluesOrt(ort, G, n, options.bandwidth ?? bandwidthFor(n));
}

/** Two-stage eigenvalues of the full symmetric n×n matrix A (overwritten). */
export async function symmetricEigenvaluesOrt(
  ort: OrtBackend,
  A: Float64Array,
  n: number,
  b: number,
): Promise<Float64Array> {
  const band = await reduceToBand(ort, A, n, b);
  const { d, e } = bandToTridiagonalFast(band);
  return tridiagonalEigenvalues(d, e);
}

/**
 * Loads what the first large matrix would otherwise wait for: the WebAssembly kernels and
 * the compiled onnxruntime graphs (Gram, and the band reduction for the bandwidths that
 * matrices up to `largest` = min(rows, cols) use; each graph costs ~10 ms to compile).
 */
export async function warmUp(ort: OrtBackend, largest = Infinity): Promise<void> {
  wasmKernels();
  await ort.prepare(...GRAM_TALL);
  await ort.prepare(...GRAM_BLOCK_GRAPH);
  const top = Math.max(TWO_STAGE_MIN_N, Math.min(largest, 1 << 20));
  for (const b of new Set([bandwidthFor(TWO_STAGE_MIN_N), bandwidthFor(top)])) await prepareBandGraphs(ort, b);
}
