/**
 * The Gram product G = WᵀW of a tall row-major W that gram.ts does not transpose whole (a
 * large one: an embedding, a Llama MLP's gate and up projections; or one of under two rows
 * per column) in about half the flops of one GEMM, with bounded scratch.
 *
 * One onnxruntime Gemm with transA computes both triangles of G: 2·N·M² flops, where a
 * symmetric rank-k update (BLAS dsyrk, what numpy runs for `W.T @ W`) needs half. The half
 * needs column blocks of W, which row-major W does not hold contiguously; gram.ts transposes
 * a W of up to MAX_POOLED_BYTES whole, into a buffer its worker keeps. A larger copy would be
 * fresh memory as large as W each time. Here W goes through in chunks of its rows instead
 * (contiguous), each transposed into one reused scratch T = W[r0:r1, :]ᵀ (M × h, at most
 * TALL_CHUNK_BYTES), and every chunk adds T_a·Tᵀ to the lower triangle of G, a row piece at a
 * time: rows a…a+p−1 and columns 0…a+p−1 (the triangle and a diagonal block) per Gemm.
 *
 * The pieces accumulate in place (ort.ts runInto: the Gemm's C input is its output), packed
 * one after the other at the start of G, since a piece of G's rows without their upper part
 * is not contiguous in G; they are moved to their rows at the end (each row only moves
 * forward, so one backward pass does it) and mirrored. Each piece's output is at most
 * IN_PLACE_CHUNK_BYTES, and the binding's discarded copies are collected young (gc.ts).
 *
 * The numbers are the one GEMM's, to the bit: onnxruntime's MLAS sums each element of G over
 * k in blocks, in order, adding each block to C, so chunks that start at multiples of
 * CHUNK_ALIGN rows, accumulated through C, add the same products in the same order
 * (test/spectrum/gram-tall.test.ts, one and two threads; chunks of 300 rows do not).
 */
import { outputCopies } from './gc.js';
import type { GraphSpec } from './onnx-model.js';
import { IN_PLACE_CHUNK_BYTES, type OrtBackend } from './ort.js';
import { mirrorLower, transposeInto } from './transpose.js';
import type { Workspace } from './workspace.js';

/** Largest transposed chunk of W's rows (float64 bytes): kept by the worker (MAX_POOLED_BYTES). */
export const TALL_CHUNK_BYTES = 32 * 2 ** 20;

/** Rows of G per piece: at most this many (the triangle's granularity), at least MIN_PIECE. */
const MAX_PIECE = 256;
const MIN_PIECE = 16;

/** Chunks of W's rows start at multiples of this, which keeps the one GEMM's bits (see the header). */
export const CHUNK_ALIGN = 256;

/** One piece of the lower triangle: Y = X·Bᵀ + A, written into A (in place). */
export const GRAM_ACCUMULATE_GRAPH: [string, () => GraphSpec] = [
  'gram:accTB',
  () => ({
    inputs: [
      { name: 'X', dims: ['p', 'h'] },
      { name: 'B', dims: ['w', 'h'] },
      { name: 'A', dims: ['p', 'w'] },
    ],
    outputs: [{ name: 'Y', dims: ['p', 'w'] }],
    nodes: [{ op: 'Gemm', inputs: ['X', 'B', 'A'], outputs: ['Y'], attributes: { transB: 1 } }],
  }),
];

/**
 * The row pieces [a, a + p) of an n×n lower triangle: p ≤ MAX_PIECE, and a piece's output
 * 8·p·(a + p) bytes ≤ IN_PLACE_CHUNK_BYTES unless p = MIN_PIECE.
 */
export function trianglePieces(n: number): { readonly a: number; readonly p: number }[] {
  const pieces: { a: number; p: number }[] = [];
  for (let a = 0; a < n; ) {
    const fit = Math.floor(IN_PLACE_CHUNK_BYTES / (8 * Math.min(n, a + MAX_PIECE)));
    const p = Math.min(n - a, MAX_PIECE, Math.max(MIN_PIECE, fit));
    pieces.push({ a, p });
    a += p;
  }
  return pieces;
}

/**
 * Rows of W per chunk for M = n columns: the transposed chunk fits TALL_CHUNK_BYTES, in whole
 * multiples of CHUNK_ALIGN rows.
 */
export function tallChunkRows(n: number): number {
  return CHUNK_ALIGN * Math.max(1, Math.floor(TALL_CHUNK_BYTES / (8 * n * CHUNK_ALIGN)));
}

/** G = WᵀW (cols×cols, both triangles) for the row-major rows×cols W, as described above. */
export async function gramTallChunked(
  ort: OrtBackend,
  W: Float64Array,
  rows: number,
  cols: number,
  ws: Workspace,
  /** Rows of W per chunk (tests set fewer; a multiple of CHUNK_ALIGN keeps the bits). */
  chunkRows = tallChunkRows(cols),
): Promise<{ G: Float64Array; n: number }> {
  const n = cols;
  const pieces = trianglePieces(n);
  const packed = pieces.reduce((s, { a, p }) => s + p * (a + p), 0);
  const G = ws.get('gram', n * n);
  G.fill(0, 0, packed);
  const chunk = Math.min(rows, chunkRows);
  const T = ws.get('transpose', n * chunk);
  const discard = outputCopies();
  for (let r0 = 0; r0 < rows; r0 += chunk) {
    const h = Math.min(chunk, rows - r0);
    transposeInto(W.subarray(r0 * cols, (r0 + h) * cols), h, cols, T);
    let off = 0;
    for (const { a, p } of pieces) {
      const w = a + p;
      const acc = ort.tensor(G.subarray(off, off + p * w), [p, w]);
      const feeds = {
        X: ort.tensor(T.subarray(a * h, w * h), [p, h]),
        B: ort.tensor(T.subarray(0, w * h), [w, h]),
        A: acc,
      };
      await ort.runInto(...GRAM_ACCUMULATE_GRAPH, feeds, { Y: acc });
      discard(p * w * 8); // the binding's copy of the piece, unused
      off += p * w;
    }
  }
  unpackLower(G, n, pieces, packed);
  mirrorLower(G, n);
  return { G, n };
}

/**
 * Moves the packed pieces (`packed` values in all) to their rows of the row-major G, last row
 * first. Row r of a piece starting at row a lies at packed offset off + (r − a)·(a + p) ≤
 * a·n + (r − a)·n = r·n: it only moves forward, and past no row still to move.
 */
function unpackLower(G: Float64Array, n: number, pieces: readonly { a: number; p: number }[], packed: number): void {
  let end = packed;
  for (let k = pieces.length - 1; k >= 0; k--) {
    const { a, p } = pieces[k]!;
    const w = a + p;
    const off = end - p * w;
    for (let r = a + p - 1; r >= a; r--) {
      const from = off + (r - a) * w;
      G.copyWithin(r * n, from, from + w);
    }
    end = off;
  }
}
