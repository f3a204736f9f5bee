/**
 * The chunked Gram of tall matrices (src/spectrum/gram-tall.ts): its row pieces tile the
 * lower triangle within the in-place output limit, its chunks are whole multiples of
 * CHUNK_ALIGN rows, and the G it returns is onnxruntime's one-GEMM WᵀW to the bit (MLAS sums
 * each element over k in the same order when the chunks start at multiples of its K blocks),
 * and so is gramOrt's, whichever route the shape takes. Onnxruntime with one and two
 * threads; skipped where it does not load.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  CHUNK_ALIGN,
  gramTallChunked,
  TALL_CHUNK_BYTES,
  tallChunkRows,
  trianglePieces,
} from '../../src/spectrum/gram-tall.js';
import { GRAM_TALL, gramLowerTs, gramOrt, TALL_CHUNKED_MIN_N } from '../../src/spectrum/gram.js';
import { IN_PLACE_CHUNK_BYTES, OrtBackend } from '../../src/spectrum/ort.js';
import { Workspace } from '../../src/spectrum/workspace.js';
import { Rng } from '../generators/rng.js';

const backends = [1, 2].map((t) => OrtBackend.load(t)).filter((b): b is OrtBackend => b instanceof OrtBackend);
afterAll(() => Promise.all(backends.map((b) => b.close())));

/** How many elements of a and b differ (Object.is), without a diff of the arrays on failure. */
function differing(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

function gaussian(rng: Rng, rows: number, cols: number): Float64Array {
  const W = new Float64Array(rows * cols);
  for (let i = 0; i < W.length; i++) W[i] = rng.normal();
  return W;
}

describe('trianglePieces and tallChunkRows', () => {
  for (const n of [1, 16, 17, 255, 256, 257, 600, 1024, 4096, 11008]) {
    it(`n = ${n}: pieces tile 0…n, each at most 256 rows and within the in-place limit`, () => {
      const pieces = trianglePieces(n);
      let next = 0;
      let packed = 0;
      for (const { a, p } of pieces) {
        expect(a).toBe(next);
        expect(p).toBeGreaterThanOrEqual(1);
        expect(p).toBeLessThanOrEqual(256);
        expect(p * (a + p) * 8 <= IN_PLACE_CHUNK_BYTES || p === 16).toBe(true);
        next = a + p;
        packed += p * (a + p);
      }
      expect(next).toBe(n);
      // The packed pieces fit in G, and hold the triangle plus at most the diagonal blocks.
      expect(packed).toBeLessThanOrEqual(n * n);
      expect(packed).toBeLessThanOrEqual((n * (n + 1)) / 2 + 128 * n);
    });
  }

  it('chunks are whole multiples of CHUNK_ALIGN rows within TALL_CHUNK_BYTES', () => {
    for (const n of [480, 768, 1024, 4096, 8192, 20000, 70000]) {
      const rows = tallChunkRows(n);
      expect(rows % CHUNK_ALIGN).toBe(0);
      expect(rows).toBeGreaterThanOrEqual(CHUNK_ALIGN);
      if (rows > CHUNK_ALIGN) expect(rows * n * 8).toBeLessThanOrEqual(TALL_CHUNK_BYTES);
    }
    expect(tallChunkRows(1024)).toBe(4096);
    expect(tallChunkRows(4096)).toBe(1024);
  });
});

describe.skipIf(backends.length === 0)('gramTallChunked', () => {
  const cases: [number, number, number][] = [
    [1300, 600, 512], // three chunks (the last 276 rows), three pieces
    [700, 500, 256], // a tail of 188 rows
    [900, 40, 256], // one piece, four chunks
    [2000, 1100, 1024], // pieces narrower than 256 rows near the end
  ];
  for (const [rows, cols, chunk] of cases) {
    it(`${rows}×${cols} in chunks of ${chunk} rows: the one GEMM's WᵀW to the bit, both triangles`, async () => {
      const W = gaussian(new Rng(rows * 31 + cols), rows, cols);
      for (const ort of backends) {
        const one = (await ort.run(...GRAM_TALL, { W: ort.tensor(W, [rows, cols]) })).G!;
        const { G, n } = await gramTallChunked(ort, W, rows, cols, new Workspace(), chunk);
        expect(n).toBe(cols);
        expect(G.length).toBe(cols * cols);
        expect(differing(G, one), `threads ${ort.threads}`).toBe(0);
      }
    });
  }

  it('against the TypeScript Gram, to rounding (relative 1e-13 of the largest entry)', async () => {
    const rows = 800;
    const cols = 480;
    const W = gaussian(new Rng(5), rows, cols);
    const { G } = await gramTallChunked(backends[0]!, W, rows, cols, new Workspace(), 512);
    const ref = gramLowerTs(W, rows, cols).G;
    let scale = 0;
    for (let i = 0; i < cols; i++) scale = Math.max(scale, ref[i * cols + i]!);
    for (let i = 0; i < cols; i++) {
      for (let j = 0; j <= i; j++) {
        expect(Math.abs(G[i * cols + j]! - ref[i * cols + j]!)).toBeLessThan(1e-13 * scale);
        expect(G[j * cols + i]).toBe(G[i * cols + j]);
      }
    }
  });

  it('a workspace reused from a larger matrix (dirty buffers) gives the same G', async () => {
    const ws = new Workspace();
    const ort = backends[0]!;
    await gramTallChunked(ort, gaussian(new Rng(1), 1200, 700), 1200, 700, ws, 256);
    const W = gaussian(new Rng(2), 800, 500);
    const { G } = await gramTallChunked(ort, W, 800, 500, ws, 256);
    const fresh = (await gramTallChunked(ort, W, 800, 500, new Workspace(), 256)).G;
    expect(differing(G, fresh)).toBe(0);
  });

  it('gramOrt: every tall route gives the one GEMM bits', async () => {
    const ort = backends[backends.length - 1]!;
    // one GEMM (few columns), the transposed copy (rows ≥ 2·cols), the chunked route (twice)
    for (const [rows, cols] of [
      [500, TALL_CHUNKED_MIN_N - 1],
      [1300, TALL_CHUNKED_MIN_N],
      [900, 600],
      [600, TALL_CHUNKED_MIN_N],
    ] as const) {
      const W = gaussian(new Rng(rows + cols), rows, cols);
      const one = (await ort.run(...GRAM_TALL, { W: ort.tensor(W, [rows, cols]) })).G!;
      const { G } = await gramOrt(ort, W, rows, cols, new Workspace());
      expect(differing(G, one), `${rows}×${cols}`).toBe(0);
    }
  });
});
