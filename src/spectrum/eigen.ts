/**
 * The eigen path for one matrix, on the current thread: Gram product, reduction to a
 * tridiagonal matrix, implicit QL. Two routes give the same eigenvalues (to ~1e-15·λ_max):
 *
 * - one-stage (small and medium matrices, and whenever onnxruntime is unavailable): Gram
 *   by rank-1 updates, one-stage Householder tridiagonalisation (tridiagonalize.ts, dsytd2),
 *   root-free QL (tridiagonal-eigenvalues.ts, dsterf); WebAssembly kernels with TypeScript
 *   twins (gram.ts, tridiagonalize.ts);
 * - two-stage (usesTwoStage, with onnxruntime): Gram as one float64 GEMM, dense → band
 *   with every O(n³) flop in GEMMs (band-reduce.ts), band → tridiagonal by bulge chasing
 *   (band-to-tridiagonal.ts, sb2st), the same QL.
 * Every reflector is householder.ts's (dlarfg).
 */
import {
  GRAM_BLOCK_GRAPH,
  GRAM_TALL,
  gramDiagonalInKernel,
  gramLower,
  gramLowerInKernel,
  gramOrt,
  squaredRowNorms,
} from './gram.js';
import { tridiagonalize, tridiagonalizeInKernel } from './tridiagonalize.js';
import { tridiagonalEigenvalues } from './tridiagonal-eigenvalues.js';
import { reduceToBand, prepareBandGraphs } from './band-reduce.js';
import { wasmKernels } from './wasm.js';
import { bandToTridiagonalFast } from './band-to-tridiagonal.js';
import type { OrtBackend } from './ort.js';
import { Workspace } from './workspace.js';

/**
 * Below this M = min(rows, cols) the one-stage path is always the faster (bench/README.md,
 * "Medium matrices": 96×96 1.5 vs 2.4 ms), and matrices are small enough to compute on the
 * calling thread rather than post to a worker (engine.ts inlineBelow).
 */
export const TWO_STAGE_MIN_N = 96;

/**
 * Above this M the two-stage path is the faster whatever the shape: its band reduction's
 * GEMMs beat dsytd2's matrix-vector products (bench/README.md, "Medium matrices", one-stage
 * vs two-stage: 256² 4.7 vs 5.3 ms, 288² 8.5 vs 8.7, 320² 9.2 vs 9.2, 384² 14.5 vs 12.7).
 */
export const ONE_STAGE_MAX_N = 256;

/**
 * Above this Gram work N·M² the two-stage path is the faster: onnxruntime's GEMM forms a
 * tall matrix's Gram product 2–3× faster than the WebAssembly kernel (bench/README.md,
 * "Medium matrices", one-stage vs two-stage: 3200×128 4.5 vs 4.6 ms and 1024×256 8.1 vs 7.5
 * below it; 4800×192 14.7 vs 11.5, 2016×224 9.7 vs 8.2 and 2304×256 13.2 vs 10.8 above).
 */
export const ONE_STAGE_MAX_GRAM_WORK = 2 ** 26;

/**
 * Whether the eigenvalues of a rows×cols W go the two-stage path when onnxruntime is
 * there: whichever measured faster for the shape (issue 14, item 4). A function of the
 * shape alone, so that a layer's eigenvalues are the same bits in every run that computes
 * them, whatever else the model holds (a shard, a --layers selection).
 */
export function usesTwoStage(rows: number, cols: number): boolean {
  const m = Math.min(rows, cols);
  if (m < TWO_STAGE_MIN_N) return false;
  return m > ONE_STAGE_MAX_N || Math.max(rows, cols) * m * m > ONE_STAGE_MAX_GRAM_WORK;
}

/**
 * What starting onnxruntime costs a worker: loading the native library, creating its
 * environment and first sessions, compiling the graphs. In a PP-OCRv4 rec profile the named
 * frames alone took ~0.13 s of the worker's CPU (loading ~36 ms, initOrt 68, session handlers
 * 27), graph compiles besides; the run took 0.97 s with onnxruntime and 0.88 s without
 * (medians of 7, bench/README.md "Medium matrices").
 */
export const ONNXRUNTIME_START_MS = 200;

/**
 * Milliseconds one thread saves on a rows×cols W by the two-stage path (0 where usesTwoStage
 * does not take it): a cost model fitted to bench/medium.ts, one-stage ≈ 6.7e-8·N·M² +
 * 1.7e-7·M³ ms, two-stage ≈ 2 + 2.9e-8·N·M² + 1.23e-7·M³ ms (480²: 26.4 vs 18.8 measured).
 * A model's medium matrices use onnxruntime only when their savings pay for its start
 * (compute.ts onnxruntimePays).
 */
export function twoStageSavingMs(rows: number, cols: number): number {
  if (!usesTwoStage(rows, cols)) return 0;
  const m = Math.min(rows, cols);
  const gram = Math.max(rows, cols) * m * m;
  const oneStage = 6.7e-8 * gram + 1.7e-7 * m ** 3;
  const twoStage = 2 + 2.9e-8 * gram + 1.23e-7 * m ** 3;
  return Math.max(0, oneStage - twoStage);
}

/** Half-bandwidth of the intermediate band (stage one GEMM width vs. stage two cost). */
export function bandwidthFor(n: number): number {
  return n >= 1536 ? 32 : 16;
}

/**
 * Looks at the Gram product's diagonal (n values) before its eigenvalues are computed, with a
 * square W's rows' squared norms where the route read them at no cost (the one-stage path):
 * true stops the route there (accurate-first.ts).
 */
export type GramStop = (diagonal: Float64Array, rowNorms: Float64Array | undefined) => boolean;

/** Eigenvalues of WᵀW (ascending, min(rows, cols) of them) with the pure TypeScript path. */
export function eigenvaluesTs(W: Float64Array, rows: number, cols: number): Float64Array {
  return eigenvaluesTsUnless(W, rows, cols, undefined)!;
}

/** eigenvaluesTs, or undefined when `stop` stops it after the Gram product. */
export function eigenvaluesTsUnless(
  W: Float64Array,
  rows: number,
  cols: number,
  stop: GramStop | undefined,
): Float64Array | undefined {
  const k = wasmKernels('sync');
  const square = stop !== undefined && rows === cols;
  if (k) {
    // The Gram product stays in kernel memory and is reduced there: no n² copy out and back.
    const rowNorms = square ? new Float64Array(rows) : undefined;
    const n = gramLowerInKernel(k, W, rows, cols, rowNorms);
    if (n === 0) return new Float64Array(0);
    if (stop?.(gramDiagonalInKernel(k, n), rowNorms)) return undefined;
    const { d, e } = tridiagonalizeInKernel(k, n);
    return tridiagonalEigenvalues(d, e);
  }
  const { G, n } = gramLower(W, rows, cols);
  if (n > 0 && stop?.(diagonalOf(G, n), square ? squaredRowNorms(W, rows, cols) : undefined)) return undefined;
  return symmetricLowerEigenvalues(G, n);
}

/** The diagonal of the n×n row-major G. */
function diagonalOf(G: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = G[i * n + i]!;
  return out;
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
  options: {
    bandwidth?: number;
    /** Two-stage from this M = min(rows, cols) on, whatever the shape (tests); default usesTwoStage. */
    minTwoStage?: number;
  } = {},
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
  return (await eigenvaluesOwnedUnless(ort, box, rows, cols, undefined, options))!;
}

/** eigenvaluesOwned, or undefined when `stop` stops it after the Gram product. */
export async function eigenvaluesOwnedUnless(
  ort: OrtBackend | undefined,
  box: { W?: Float64Array | undefined },
  rows: number,
  cols: number,
  stop: GramStop | undefined,
  options: Parameters<typeof eigenvaluesOwned>[4] = {},
): Promise<Float64Array | undefined> {
  const n = Math.min(rows, cols);
  const ws = options.workspace ?? new Workspace(false);
  const take = () => {
    const W = box.W;
    box.W = undefined;
    if (W === undefined || W.length !== rows * cols)
      throw new RangeError(`eigenvalues: ${W?.length} values for ${rows}×${cols}`);
    return W;
  };
  const twoStage = options.minTwoStage === undefined ? usesTwoStage(rows, cols) : n >= options.minTwoStage;
  if (ort === undefined || !twoStage) return eigenvaluesTsUnless(take(), rows, cols, stop);
  const collect = options.afterGram ? { every: 32 * 2 ** 20, run: options.afterGram } : undefined;
  const { G } = await gramOrt(ort, take(), rows, cols, ws, collect);
  options.afterGram?.();
  if (n > 0 && stop?.(diagonalOf(G, n), undefined)) return undefined;
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
