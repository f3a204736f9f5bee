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
 * writes a Gemm's output into the memory of its C input (OrtBackend.runInto), so no output
 * is fresh memory and no lazily-updated state is carried. The working matrix keeps its row
 * stride; the columns left of the panel are dead (updated, never read) until they are this
 * file's COMPACT_FRACTION of the width, then dropped by one copy, as band-reduce.ts does.
 * The panels are copied out of WebAssembly memory before each await: a synchronous kernel
 * (the one-stage route, dqds) may run on the same thread meanwhile.
 */
import { inPlaceRows, type OrtBackend } from './ort.js';
import type { GraphSpec } from './onnx-model.js';
import { panelQrFactors } from './panel-qr.js';
import { outputCopies } from './gc.js';

/** Receives the band's entries B[i, j], 0 ≤ j − i ≤ b (each written once; the rest are 0). */
export type BandSink = (i: number, j: number, value: number) => void;

/** Drop the dead leading columns once they are this fraction of the row stride (band-reduce.ts). */
const COMPACT_FRACTION = 1 / 6;

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
  const qr = panelQrFactors;
  let base = 0; // global column of the working matrix's column 0
  let w = M; // its row stride
  const discard = outputCopies();
  // Uᵀ padded to the working width, one buffer for every panel (fresh memory costs faults).
  const padded = new Float64Array(Math.min(b, M) * M);
  for (let c = 0; c < M; c += b) {
    const bw = Math.min(b, M - c);
    const m1 = N - c;
    // The column panel A[c:, c:c+bw], column-major, its QR; R onto the band.
    const col = qr(m1, bw, (P) => {
      for (let i = 0; i < m1; i++) {
        const row = (c + i) * w + c - base;
        for (let t = 0; t < bw; t++) P[t * m1 + i] = A[row + t]!;
      }
    });
    for (let t = 0; t < bw; t++) for (let i = 0; i <= Math.min(t, m1 - 1); i++) put(c + i, c + t, col.R[i * bw + t]!);
    const r = c + bw;
    if (r >= M) break;
    const m2 = M - r;
    const n2 = N - r;
    // W = Tᵀ·(Vᵀ·A[c:, :]), so that Qᵀ·A[c:, :] = A − V·W, and the row block of Qᵀ·A,
    // A[c:c+bw, r:] − V[0:bw]·W[:, r:] (small outputs; A itself is not updated yet).
    const left = await ort.run('svdPanel', panelGraph, {
      A: ort.tensor(A.subarray(c * w, N * w), [m1, w]),
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
    const row = qr(m2, bw, (P) => {
      for (let t = 0; t < bw; t++) P.set(rowBlock.subarray(t * m2, t * m2 + m2), t * m2);
    });
    for (let i = 0; i < bw; i++) for (let j = 0; j <= Math.min(i, m2 - 1); j++) put(c + i, r + j, row.R[j * bw + i]!);
    if (n2 > 0) {
      // A[r:, :] ← (Qᵀ·A)[r:, :]·Q₂ = A − V[bw:]·W − X·Uᵀ with X = (A − V[bw:]·W)·U·S, in
      // place; Uᵀ is padded by zeros to the working width.
      const UT = padded.subarray(0, bw * w);
      for (let t = 0; t < bw; t++) {
        UT.fill(0, t * w, t * w + r - base);
        UT.set(row.VT.subarray(t * m2, t * m2 + m2), t * w + r - base);
      }
      // Row by row the update is independent: run it in pieces (ort.ts IN_PLACE_CHUNK_BYTES).
      const W = ort.tensor(left.W!, [bw, w]);
      const U = ort.tensor(UT, [bw, w]);
      const S = ort.tensor(row.T, [bw, bw]);
      const step = inPlaceRows(w);
      for (let i0 = 0; i0 < n2; i0 += step) {
        const ic = Math.min(step, n2 - i0);
        // V[bw:]ᵀ's columns for these rows (Vᵀ is bw×m1; row r + i is V's row bw + i).
        const V1T = new Float64Array(bw * ic);
        for (let t = 0; t < bw; t++) V1T.set(col.VT.subarray(t * m1 + bw + i0, t * m1 + bw + i0 + ic), t * ic);
        const rows = ort.tensor(A.subarray((r + i0) * w, (r + i0 + ic) * w), [ic, w]);
        await ort.runInto(
          'svdUpdate',
          updateGraph,
          { A: rows, V1T: ort.tensor(V1T, [bw, ic]), W, UT: U, S },
          { Y: rows },
        );
        discard(ic * w * 8); // the binding's copy of these rows, unused
      }
    }
    const dead = r - base;
    if (dead >= w * COMPACT_FRACTION && M - r > b) {
      // Drop the dead columns of the live rows r…N−1: row i moves to stride w − dead.
      const w2 = w - dead;
      for (let i = r; i < N; i++) A.copyWithin(i * w2, i * w + dead, i * w + w);
      base = r;
      w = w2;
    }
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
