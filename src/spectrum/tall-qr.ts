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
 * to the right of the block. As in upper-band-reduce.ts, the columns left of the
 * panel are dead until dropped by one copy, and the binding's output copies are collected.
 */
import { inPlaceRows, type OrtBackend } from './ort.js';
import type { GraphSpec } from './onnx-model.js';
import { panelQrFactors } from './panel-qr.js';
import { outputCopies } from './gc.js';

/** Drop the dead leading columns once they are this fraction of the row stride (band-reduce.ts). */
const COMPACT_FRACTION = 1 / 6;

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
  const discard = outputCopies();
  let base = 0; // global column of the working matrix's column 0
  let w = M; // its row stride
  for (let c = 0; c < M; c += b) {
    const bw = Math.min(b, M - c);
    const m1 = N - c;
    const col = panelQrFactors(m1, bw, (P) => {
      for (let i = 0; i < m1; i++) {
        const row = (c + i) * w + c - base;
        for (let t = 0; t < bw; t++) P[t * m1 + i] = A[row + t]!;
      }
    });
    for (let t = 0; t < bw; t++)
      for (let i = 0; i <= Math.min(t, m1 - 1); i++) R[(c + i) * M + c + t] = col.R[i * bw + t]!;
    const r = c + bw;
    if (r >= M) break;
    // W = Tᵀ·(Vᵀ·A[c:, :]) (a small output), then A[c:, :] −= V·W in row pieces, in place.
    const VT = ort.tensor(col.VT, [bw, m1]);
    const { W } = await ort.run('qrW', qrWGraph, {
      A: ort.tensor(A.subarray(c * w, N * w), [m1, w]),
      VT,
      T: ort.tensor(col.T, [bw, bw]),
    });
    const Wt = ort.tensor(W!, [bw, w]);
    const step = inPlaceRows(w);
    for (let i0 = 0; i0 < m1; i0 += step) {
      const ic = Math.min(step, m1 - i0);
      const VcT = new Float64Array(bw * ic);
      for (let t = 0; t < bw; t++) VcT.set(col.VT.subarray(t * m1 + i0, t * m1 + i0 + ic), t * ic);
      const rows = ort.tensor(A.subarray((c + i0) * w, (c + i0 + ic) * w), [ic, w]);
      await ort.runInto('rankUpdate', rankUpdateGraph, { A: rows, VT: ort.tensor(VcT, [bw, ic]), W: Wt }, { Y: rows });
      discard(ic * w * 8);
    }
    // R's rows c … r−1 right of the diagonal block: final now.
    for (let t = 0; t < bw; t++) {
      const from = (c + t) * w - base;
      R.set(A.subarray(from + r, from + M), (c + t) * M + r);
    }
    const dead = r - base;
    if (dead >= w * COMPACT_FRACTION && M - r > b) {
      const w2 = w - dead;
      for (let i = r; i < N; i++) A.copyWithin(i * w2, i * w + dead, i * w + w);
      base = r;
      w = w2;
    }
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
