/**
 * Stage one of the two-stage bidiagonalisation (issue 14, item 3): a dense N×M matrix
 * (N ≥ M) → an M×M upper band of half-width b, B[i, j] = 0 unless 0 ≤ j − i ≤ b, by
 * orthogonal transformations from both sides, so B has A's singular values. Stage two
 * (band-to-bidiagonal.ts) chases the band down to a bidiagonal. The method is the tile
 * bidiagonal reduction of Ltaief, Luszczek & Dongarra, ACM TOMS 39 (2013), and of Haidar,
 * Kurzak & Luszczek, SC'13, in its blocked (not tiled) form, the SVD twin of band-reduce.ts.
 *
 * Panel k (columns c … c+b−1): a QR of A[c:, c:c+b] (panel-qr.ts, Q = I − V·T·Vᵀ) leaves R
 * on the band's diagonal block, and A[c:, :] ← Qᵀ·A[c:, :] = A − V·(Tᵀ·(Vᵀ·A)); then an LQ of
 * the row block A[c:c+b, c+b:] (a QR of its transpose, Q₂ = I − U·S·Uᵀ) leaves the lower
 * triangle L = R₂ᵀ as the band's block right of the diagonal block, and A[c+b:, :] ← A·Q₂ =
 * A − (A·U·S)·Uᵀ.
 * Every O(NM²) flop is in those two rank-b updates, GEMMs run by onnxruntime (ort.ts).
 *
 * Unlike band-reduce.ts, the updates are right-looking and in place: onnxruntime-node
 * writes a Gemm's output into the memory of its C input (OrtBackend.runInto), so no lazily
 * updated state is carried (working-rows.ts: the working matrix, its dead columns and the
 * row pieces). The panels are copied out of WebAssembly memory before each await
 * (panel-qr.ts panelQrFactors): a synchronous kernel may run on the same thread meanwhile.
 */
import type { OrtBackend } from './ort.js';
import type { GraphSpec } from './onnx-model.js';
import { panelQrFactors } from './panel-qr.js';
import { columnsOf, WorkingRows } from './working-rows.js';

/** Receives the band's entries B[i, j], 0 ≤ j − i ≤ b (each written once; the rest are 0). */
export type BandSink = (i: number, j: number, value: number) => void;

/**
 * Reduces the row-major N×M matrix A (N ≥ M; overwritten) to an upper band of half-width b,
 * handing its entries to `put`.
 */
export async function reduceToUpperBand(
  ort: OrtBackend,
  A: Float64Array,
  N: number,
  M: number,
  b: number,
  put: BandSink,
): Promise<void> {
  if (N < M || A.length !== N * M) throw new RangeError(`upper band: ${A.length} values for ${N}×${M}`);
  const work = new WorkingRows(A, N, M);
  // Uᵀ padded to the working width, one buffer for every panel (fresh memory costs faults).
  const padded = new Float64Array(Math.min(b, M) * M);
  for (let c = 0; c < M; c += b) {
    const bw = Math.min(b, M - c);
    const m1 = N - c;
    // The column panel's QR; R onto the band.
    const col = work.panelQr(c, bw);
    for (let t = 0; t < bw; t++) for (let i = 0; i <= t; i++) put(c + i, c + t, col.R[i * bw + t]!);
    const r = c + bw;
    if (r >= M) break;
    const m2 = M - r;
    const { w, base } = work;
    // W = Tᵀ·(Vᵀ·A[c:, :]), so that Qᵀ·A[c:, :] = A − V·W, and the row block of Qᵀ·A,
    // A[c:c+bw, r:] − V[0:bw]·W[:, r:] (small outputs; A itself is not updated yet).
    const left = await ort.run('svdPanel', panelGraph, {
      A: work.rows(ort, c),
      VT: ort.tensor(col.VT, [bw, m1]),
      T: ort.tensor(col.T, [bw, bw]),
      rowStart: ort.int64([r - base]),
      rowEnd: ort.int64([w]),
      kb: ort.int64([bw]),
      ax0: ort.int64([0]),
      ax1: ort.int64([1]),
    });
    // Its LQ (a QR of the transpose, column t = row c+t): L = R₂ᵀ onto the band.
    const rowBlock = left.B!;
    const row = panelQrFactors(m2, bw, (P) => P.set(rowBlock));
    for (let i = 0; i < bw; i++) for (let j = 0; j <= Math.min(i, m2 - 1); j++) put(c + i, r + j, row.R[j * bw + i]!);
    // A[r:, :] ← (Qᵀ·A)[r:, :]·Q₂ = A − V[bw:]·W − X·Uᵀ with X = (A − V[bw:]·W)·U·S, in
    // place and row by row independent; Uᵀ is padded by zeros to the working width.
    const UT = padded.subarray(0, bw * w);
    for (let t = 0; t < bw; t++) {
      UT.fill(0, t * w, t * w + r - base);
      UT.set(row.VT.subarray(t * m2, t * m2 + m2), t * w + r - base);
    }
    const shared = {
      W: ort.tensor(left.W!, [bw, w]),
      UT: ort.tensor(UT, [bw, w]),
      S: ort.tensor(row.T, [bw, bw]),
    };
    // Row r + i is V's row bw + i.
    await work.updateInPlace(ort, 'svdUpdate', updateGraph, r, (i0, ic) => ({
      ...shared,
      V1T: ort.tensor(columnsOf(col.VT, bw, m1, bw + i0, ic), [bw, ic]),
    }));
    work.compact(r, b);
  }
}

const f = (name: string, dims: (number | string)[]) => ({ name, dims });
const ints = (...names: string[]) => names.map((name) => ({ name, dims: [`k${name}`], int64: true }));

/**
 * Panel graph: W = Tᵀ·(Vᵀ·A) (b×w) for A (m×w), Vᵀ (b×m), T (b×b), and the row block
 * B = A[0:b, rowStart:rowEnd] − V[0:b]·W[:, rowStart:rowEnd] (b×m2) of Qᵀ·A.
 */
function panelGraph(): GraphSpec {
  return {
    inputs: [
      f('A', ['m', 'w']),
      f('VT', ['b', 'm']),
      f('T', ['b', 'b']),
      ...ints('rowStart', 'rowEnd', 'kb', 'ax0', 'ax1'),
    ],
    outputs: [f('W', ['b', 'w']), f('B', ['b', 'm2'])],
    nodes: [
      { op: 'MatMul', inputs: ['VT', 'A'], outputs: ['G'] },
      { op: 'Gemm', inputs: ['T', 'G'], outputs: ['W'], attributes: { transA: 1 } },
      { op: 'Slice', inputs: ['W', 'rowStart', 'rowEnd', 'ax1'], outputs: ['Wr'] },
      { op: 'Slice', inputs: ['A', 'ax0', 'kb', 'ax0'], outputs: ['Ab'] },
      { op: 'Slice', inputs: ['Ab', 'rowStart', 'rowEnd', 'ax1'], outputs: ['Abr'] },
      { op: 'Slice', inputs: ['VT', 'ax0', 'kb', 'ax1'], outputs: ['V0T'] },
      {
        op: 'Gemm',
        inputs: ['V0T', 'Wr', 'Abr'],
        outputs: ['B'],
        attributes: { transA: 1, alpha: { float: -1 }, beta: { float: 1 } },
      },
    ],
  };
}

/**
 * Update graph, both sides of panel k at once, for some rows of A[r:, :]: for those rows
 * A (n×w), V[b:]ᵀ's columns V1ᵀ (b×n), W (b×w), Uᵀ (b×w) and S (b×b), X = A·U·S −
 * V1·((W·U)·S) and Y = A − [V1 X]·[W; Uᵀ]: one rank-2b Gemm whose C is A, so that Y can be
 * A's memory.
 */
function updateGraph(): GraphSpec {
  return {
    inputs: [f('A', ['n', 'w']), f('V1T', ['b', 'n']), f('W', ['b', 'w']), f('UT', ['b', 'w']), f('S', ['b', 'b'])],
    outputs: [f('Y', ['n', 'w'])],
    nodes: [
      { op: 'Gemm', inputs: ['A', 'UT'], outputs: ['AU'], attributes: { transB: 1 } },
      { op: 'Gemm', inputs: ['W', 'UT'], outputs: ['WU'], attributes: { transB: 1 } },
      {
        op: 'Gemm',
        inputs: ['V1T', 'WU', 'AU'],
        outputs: ['AU1'],
        attributes: { transA: 1, alpha: { float: -1 }, beta: { float: 1 } },
      },
      { op: 'MatMul', inputs: ['AU1', 'S'], outputs: ['X'] },
      { op: 'Transpose', inputs: ['V1T'], outputs: ['V1'], attributes: { perm: [1, 0] } },
      { op: 'Concat', inputs: ['V1', 'X'], outputs: ['VX'], attributes: { axis: 1 } },
      { op: 'Concat', inputs: ['W', 'UT'], outputs: ['WUT'], attributes: { axis: 0 } },
      {
        op: 'Gemm',
        inputs: ['VX', 'WUT', 'A'],
        outputs: ['Y'],
        attributes: { alpha: { float: -1 }, beta: { float: 1 } },
      },
    ],
  };
}

/** Compiles the two update graphs (any shape) ahead of the first matrix. */
export async function prepareUpperBandGraphs(ort: OrtBackend): Promise<void> {
  await ort.prepare('svdPanel', panelGraph);
  await ort.prepare('svdUpdate', updateGraph);
}
