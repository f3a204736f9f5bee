/**
 * Singular values of a dense matrix with absolute accuracy ε·σ_max, for the cases the Gram
 * route cannot resolve: eigenvalues of WᵀW carry absolute errors ~M·ε·λ_max, so singular
 * values below ~1e-8·σ_max are noise there, and the numerical rank #(σ > σ_max·N·ε₆₄)
 * (DESIGN.md §3.3, numpy's matrix_rank) cannot be decided from them.
 *
 * Method: Householder bidiagonalisation A = U·B·Vᵀ (bidiagonalize.ts, dgebd2; in
 * WebAssembly SIMD when available, wasm.ts), then the singular values of B by dqds (dqds.ts,
 * as LAPACK's dbdsqr without vectors), each to high relative accuracy. Should dqds not
 * converge, the eigenvalues ±σᵢ of the 2M×2M Golub–Kahan tridiagonal matrix (zero diagonal,
 * off-diagonal d₁, e₁, d₂, e₂, …, d_M) by implicit QL (tridiagonal-ql.ts), with absolute
 * error O(ε·‖B‖): the route's method before issue 14, ~4× slower at M = 480. Cost ≈ 4NM² −
 * 4M³/3 flops, about twice the Gram route, so it runs only where the Gram cannot decide the
 * rank (gram-rank.ts), and on the engine's workers.
 *
 * On the workers that have onnxruntime, large matrices take a two-stage bidiagonalisation
 * instead (accurateSquaredSingularValuesOrt): dense → upper band with every O(NM²) flop in
 * GEMMs (upper-band-reduce.ts), band → bidiagonal by bulge chasing (band-to-bidiagonal.ts),
 * then the same dqds; the SVD twin of the eigen path's two-stage route (eigen.ts). A tall
 * one goes through its QR's triangle first (tall-qr.ts).
 */
import { bidiagonalize } from './bidiagonalize.js';
import { bidiagonalSquaresDqds } from './dqds.js';
import { tridiagonalQl } from './tridiagonal-ql.js';
import { wasmKernels, wasmScratch } from './wasm.js';
import { transposeInto } from './transpose.js';
import type { OrtBackend } from './ort.js';
import type { Workspace } from './workspace.js';
import { usesTwoStage } from './eigen.js';
import { reduceToUpperBand } from './upper-band-reduce.js';
import { tallQrTriangle } from './tall-qr.js';
import { bandToBidiagonalFast, emptyUpperBand, upperBandIndex } from './band-to-bidiagonal.js';

/**
 * Above this M = min(rows, cols), or this N·M², the two-stage route is the faster (one
 * onnxruntime thread, best of 9, ms, one-stage vs two-stage, a scratch timing script):
 * 257² 6.9 vs 6.7, 288² 9.3 vs 7.9, 384² 20.8 vs 14.3, 768² 153 vs 65; 1100×256 33 vs 25 but 8000×128
 * (N·M² = 2²⁷) 68 vs 55 with a median of 102; 4000×192 73 vs 33, 4000×256 125 vs 50.
 */
export const TWO_STAGE_SVD_ABOVE_N = 256;
export const TWO_STAGE_SVD_ABOVE_WORK = 2 ** 27;

/**
 * Half-bandwidth of the two-stage route's band. 32 rather than the eigen path's 16: stage
 * one then makes half as many onnxruntime runs, whose outputs are copied into fresh memory
 * (upper-band-reduce.ts), for 2 ms more of stage two at 480² (4.3 vs 6.4 ms). At 480² the
 * route took 24–25 ms at b = 32 and 24–33 ms at b = 16 (a scratch timing script, huge
 * pages on).
 */
export const SVD_BANDWIDTH = 32;

/**
 * QR first when N is above this multiple of M (tall-qr.ts). LAPACK dgesvd takes 1.6, where
 * the flops break even; here the QR's in-place updates pay output copies as stage one's do,
 * and at N/M ≈ 1.7 it measured no faster (best of 7, ms, direct vs QR first, huge pages
 * on, a scratch timing script): 800×480 35.8 vs 35.4, 1000×300 17.4 vs 17.5, 2000×400 45.9
 * vs 41.6, 4000×256 44.6 vs 37.0, 8000×128 33.7 vs 26.7.
 */
export const TALL_QR_RATIO = 2;

/**
 * Whether the accurate route of a rows×cols W takes the two-stage bidiagonalisation where
 * onnxruntime is loaded: a function of the shape alone, as eigen.ts usesTwoStage, so that a
 * slice's σᵢ² are the same bits wherever it is resolved; and only for shapes whose
 * eigenvalues take the two-stage path too, so that the worker which resolves the slice has
 * onnxruntime already.
 */
export function usesTwoStageSvd(rows: number, cols: number): boolean {
  const m = Math.min(rows, cols);
  const work = Math.max(rows, cols) * m * m;
  return usesTwoStage(rows, cols) && (m > TWO_STAGE_SVD_ABOVE_N || work > TWO_STAGE_SVD_ABOVE_WORK);
}

/**
 * Ascending σᵢ² of the row-major rows×cols W by the two-stage route. W is not modified. Its
 * working copy comes from `workspace` when given (a worker's: kept between matrices, as the
 * one-stage route keeps its copy in WebAssembly memory), else is allocated.
 */
export async function accurateSquaredSingularValuesOrt(
  ort: OrtBackend,
  W: Float64Array,
  rows: number,
  cols: number,
  workspace?: Workspace,
): Promise<Float64Array> {
  const N = Math.max(rows, cols);
  const M = Math.min(rows, cols);
  if (W.length !== rows * cols) throw new RangeError(`singular values: ${W.length} values for ${rows}×${cols}`);
  if (M === 0) return new Float64Array(0);
  const A = workspace ? workspace.get('svd', N * M) : new Float64Array(N * M);
  if (rows >= cols) A.set(W);
  else transposeInto(W, rows, cols, A);
  // A tall matrix is reduced through its QR's triangle, which costs fewer flops (tall-qr.ts).
  const square = N > TALL_QR_RATIO * M ? await tallQrTriangle(ort, A, N, M, SVD_BANDWIDTH) : undefined;
  const band = emptyUpperBand(M, SVD_BANDWIDTH);
  await reduceToUpperBand(ort, square ?? A, square ? M : N, M, SVD_BANDWIDTH, (i, j, v) => {
    band.band[upperBandIndex(band, i, j)] = v;
  });
  const { d, e } = bandToBidiagonalFast(band);
  return bidiagonalSquaresDqds(d, e) ?? golubKahanSquares(d, e);
}

/** Ascending σᵢ² of the row-major rows×cols matrix W (min(rows, cols) values). W is not modified. */
export function accurateSquaredSingularValues(W: Float64Array, rows: number, cols: number): Float64Array {
  const M = Math.min(rows, cols);
  if (W.length !== rows * cols) throw new RangeError(`singular values: ${W.length} values for ${rows}×${cols}`);
  if (M === 0) return new Float64Array(0);
  const { d, e } = bidiagonal(W, rows, cols, wasmKernels('svd') !== undefined);
  return bidiagonalSquaresDqds(d, e) ?? golubKahanSquares(d, e);
}

/**
 * The bidiagonal of W (or of Wᵀ when wide, so that N ≥ M): by the WebAssembly kernel, or
 * by its TypeScript twin (`wasm` false; the fallback and its test).
 */
export function bidiagonal(
  W: Float64Array,
  rows: number,
  cols: number,
  wasm: boolean,
): { d: Float64Array; e: Float64Array } {
  const N = Math.max(rows, cols);
  const M = Math.min(rows, cols);
  const k = wasm ? wasmKernels('svd') : undefined;
  // A (N×M, row-major): W itself or its transpose; d, e, v, vr, w, s4 after it.
  const mem = k ? wasmScratch(k, N * M + 4 * M + N + 4) : new Float64Array(N * M);
  const A = mem.subarray(0, N * M);
  if (rows >= cols) A.set(W);
  else transposeInto(W, rows, cols, A);
  if (!k) return bidiagonalize(A, N, M);
  const at = (i: number) => i * 8;
  const d = N * M;
  k.bidiagonalize(0, N, M, at(d), at(d + M), at(d + 2 * M), at(d + 2 * M + N), at(d + 3 * M + N), at(d + 4 * M + N));
  // Copies: the kernel memory is reused (and may grow) with the next call.
  const e = mem.slice(d + M, d + 2 * M);
  e[M - 1] = 0; // not written by the kernel
  return { d: mem.slice(d, d + M), e };
}

/**
 * Ascending σᵢ² of the upper bidiagonal (d, e): eigenvalues ±σᵢ of the Golub–Kahan matrix, by
 * QL. The fallback of dqds, and the oracle its tests compare with.
 */
export function golubKahanSquares(d: Float64Array, e: Float64Array): Float64Array {
  const M = d.length;
  // Golub–Kahan tridiagonal: off-diagonal (d0, e0, d1, e1, …, d_{M−1}), zero diagonal.
  const size = 2 * M;
  const ev = new Float64Array(size);
  const off = new Float64Array(size); // off[i] couples i and i+1
  for (let k = 0; k < M; k++) {
    off[2 * k] = d[k]!;
    if (2 * k + 1 < size - 1) off[2 * k + 1] = e[k]!;
  }
  tridiagonalQl(ev, off);
  ev.sort();
  const out = new Float64Array(M);
  for (let i = 0; i < M; i++) {
    const s = Math.abs(ev[size - M + i]!);
    out[i] = s * s;
  }
  return out.sort();
}
