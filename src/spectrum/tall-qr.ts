/**
 * The triangle R of a tall matrix's QR, A = Q·R (N ≥ M), for the accurate route: R has A's
 * singular values, and for N well above M reducing R costs less than reducing A. This is
 * LAPACK dgesvd's path for N ≥ 1.6·M (QR first, then the bidiagonalisation of R; Chan, ACM
 * TOMS 8 (1982)): 2NM² − 2M³/3 flops for the QR and 8M³/3 for R against 4NM² − 4M³/3 for A.
 *
 * Blocked Householder QR (LAPACK dgeqrf; Golub & Van Loan §5.2.3): panel k's QR
 * (panel-qr.ts, Q = I − V·T·Vᵀ) leaves R's diagonal block, and A[c:, :] ← Qᵀ·A[c:, :] =
 * A − V·(Tᵀ·(Vᵀ·A)) on onnxruntime, W = Tᵀ·(Vᵀ·A) first and then A −= V·W in place in row
 * pieces (OrtBackend.runInto, ort.ts IN_PLACE_CHUNK_BYTES), which leaves R's rows c … c+b−1
 * to the right of the block. The working matrix is working-rows.ts's, as in
 * upper-band-reduce.ts.
 */
import type { OrtBackend } from './ort.js';
import type { GraphSpec } from './onnx-model.js';
import { columnsOf, WorkingRows } from './working-rows.js';

/** R (M×M row-major, zero below the diagonal) of the row-major N×M A (N ≥ M; overwritten). */
export async function tallQrTriangle(
  ort: OrtBackend,
  A: Float64Array,
  N: number,
  M: number,
  b: number,
): Promise<Float64Array> {
  if (N < M || A.length !== N * M) throw new RangeError(`QR: ${A.length} values for ${N}×${M}`);
  const R = new Float64Array(M * M);
  const work = new WorkingRows(A, N, M);
  for (let c = 0; c < M; c += b) {
    const bw = Math.min(b, M - c);
    const m1 = N - c;
    const col = work.panelQr(c, bw);
    for (let t = 0; t < bw; t++) for (let i = 0; i <= t; i++) R[(c + i) * M + c + t] = col.R[i * bw + t]!;
    const r = c + bw;
    if (r >= M) break;
    // W = Tᵀ·(Vᵀ·A[c:, :]) (a small output), then A[c:, :] −= V·W in row pieces, in place.
    const { W } = await ort.run('qrW', qrWGraph, {
      A: work.rows(ort, c),
      VT: ort.tensor(col.VT, [bw, m1]),
      T: ort.tensor(col.T, [bw, bw]),
    });
    const Wt = ort.tensor(W!, [bw, work.w]);
    await work.updateInPlace(ort, 'rankUpdate', rankUpdateGraph, c, (i0, ic) => ({
      VT: ort.tensor(columnsOf(col.VT, bw, m1, i0, ic), [bw, ic]),
      W: Wt,
    }));
    // R's rows c … r−1 right of the diagonal block: final now.
    for (let t = 0; t < bw; t++) R.set(A.subarray(work.at(c + t, r), work.at(c + t, M)), (c + t) * M + r);
    work.compact(r, b);
  }
  return R;
}

const f = (name: string, dims: (number | string)[]) => ({ name, dims });

/** W = Tᵀ·(Vᵀ·A) for A (m×w), Vᵀ (b×m), T (b×b): Qᵀ·A = A − V·W with Q = I − V·T·Vᵀ. */
function qrWGraph(): GraphSpec {
  return {
    inputs: [f('A', ['m', 'w']), f('VT', ['b', 'm']), f('T', ['b', 'b'])],
    outputs: [f('W', ['b', 'w'])],
    nodes: [
      { op: 'MatMul', inputs: ['VT', 'A'], outputs: ['G'] },
      { op: 'Gemm', inputs: ['T', 'G'], outputs: ['W'], attributes: { transA: 1 } },
    ],
  };
}

/** Y = A − V·W for A (n×w), Vᵀ (b×n), W (b×w), with C = A so that Y can be A's memory. */
function rankUpdateGraph(): GraphSpec {
  return {
    inputs: [f('A', ['n', 'w']), f('VT', ['b', 'n']), f('W', ['b', 'w'])],
    outputs: [f('Y', ['n', 'w'])],
    nodes: [
      {
        op: 'Gemm',
        inputs: ['VT', 'W', 'A'],
        outputs: ['Y'],
        attributes: { transA: 1, alpha: { float: -1 }, beta: { float: 1 } },
      },
    ],
  };
}
