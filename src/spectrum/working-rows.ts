/**
 * The working matrix of the accurate route's blocked reductions (upper-band-reduce.ts,
 * tall-qr.ts): a row-major N×M matrix reduced panel by panel, updated in place on
 * onnxruntime. Its row stride is kept while columns die left of the panel (updated, never
 * read) and shrinks by one copy once they are band-reduce.ts's COMPACT_FRACTION of it;
 * `base` is then the global column of its column 0. Updates run in row pieces of at most
 * ort.ts IN_PLACE_CHUNK_BYTES, and the binding's copies of them are tallied for collection
 * (gc.ts outputCopies).
 */
import { COMPACT_FRACTION } from './band-reduce.js';
import { outputCopies } from './gc.js';
import type { GraphSpec } from './onnx-model.js';
import { inPlaceRows, type OrtBackend, type OrtTensor } from './ort.js';
import { type PanelFactors, panelQrFactors } from './panel-qr.js';

export class WorkingRows {
  /** Global column of the working matrix's column 0. */
  base = 0;
  /** Its row stride. */
  w: number;
  private readonly discard = outputCopies();

  constructor(
    readonly A: Float64Array,
    readonly N: number,
    readonly M: number,
  ) {
    this.w = M;
  }

  /** Index in A of global element (i, j). */
  at(i: number, j: number): number {
    return i * this.w + j - this.base;
  }

  /** Rows from…N−1 at the working width, as an onnxruntime tensor (no copy). */
  rows(ort: OrtBackend, from: number): OrtTensor {
    return ort.tensor(this.A.subarray(from * this.w, this.N * this.w), [this.N - from, this.w]);
  }

  /** The QR of the column panel A[c:, c:c+bw] (panel-qr.ts). */
  panelQr(c: number, bw: number): PanelFactors {
    const m = this.N - c;
    return panelQrFactors(m, bw, (P) => {
      for (let i = 0; i < m; i++) {
        const row = this.at(c + i, c);
        for (let t = 0; t < bw; t++) P[t * m + i] = this.A[row + t]!;
      }
    });
  }

  /**
   * Rows from…N−1 ← the graph's Y, piece by piece and in place: `feeds(i0, ic)` gives the
   * inputs for the ic rows from + i0 … besides A, which is those rows.
   */
  async updateInPlace(
    ort: OrtBackend,
    key: string,
    graph: () => GraphSpec,
    from: number,
    feeds: (i0: number, ic: number) => Record<string, OrtTensor>,
  ): Promise<void> {
    const { A, w } = this;
    const n = this.N - from;
    const step = inPlaceRows(w);
    for (let i0 = 0; i0 < n; i0 += step) {
      const ic = Math.min(step, n - i0);
      const rows = ort.tensor(A.subarray((from + i0) * w, (from + i0 + ic) * w), [ic, w]);
      await ort.runInto(key, graph, { ...feeds(i0, ic), A: rows }, { Y: rows });
      this.discard(ic * w * 8); // the binding's copy of these rows, unused
    }
  }

  /** After panel k (columns < r done): drop the dead columns if enough, with more than one panel (b) to go. */
  compact(r: number, b: number): void {
    const dead = r - this.base;
    if (dead < this.w * COMPACT_FRACTION || this.M - r <= b) return;
    // Row i of the live rows r…N−1 moves to stride w − dead.
    const { A, w, N } = this;
    const w2 = w - dead;
    for (let i = r; i < N; i++) A.copyWithin(i * w2, i * w + dead, i * w + w);
    this.base = r;
    this.w = w2;
  }
}

/** Vᵀ's columns from…from+ic−1 (Vᵀ is b×m row-major), as a b×ic array: V's rows for a piece. */
export function columnsOf(VT: Float64Array, b: number, m: number, from: number, ic: number): Float64Array {
  const out = new Float64Array(b * ic);
  for (let t = 0; t < b; t++) out.set(VT.subarray(t * m + from, t * m + from + ic), t * ic);
  return out;
}
