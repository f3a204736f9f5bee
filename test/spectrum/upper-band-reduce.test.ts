/**
 * The two-stage accurate route (issue 14, item 3): stage one (upper-band-reduce.ts) leaves
 * an upper band of half-width b with the input's singular values, and the whole route
 * (singular-values.ts accurateSquaredSingularValuesOrt) agrees with the one-stage route to
 * the accuracy both promise, absolute O(N·ε·σ²_max), with the same numerical rank wherever
 * the rank is not at the threshold. Run on onnxruntime with one thread; skipped where it
 * does not load.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { OrtBackend } from '../../src/spectrum/ort.js';
import { reduceToUpperBand } from '../../src/spectrum/upper-band-reduce.js';
import { usesTwoStage } from '../../src/spectrum/eigen.js';
import {
  accurateSquaredSingularValues,
  accurateSquaredSingularValuesOrt,
  usesTwoStageSvd,
} from '../../src/spectrum/singular-values.js';
import { numericalRank } from '../../src/fit/metrics.js';
import { matmul } from '../generators/linalg.js';
import { Rng } from '../generators/rng.js';

const ort = OrtBackend.load(1);
const backend = ort instanceof OrtBackend ? ort : undefined;
afterAll(() => backend?.close());

function gaussian(rng: Rng, rows: number, cols: number, scale = 1): Float64Array {
  const W = new Float64Array(rows * cols);
  for (let i = 0; i < W.length; i++) W[i] = scale * rng.normal();
  return W;
}

const frobenius2 = (W: Float64Array) => W.reduce((s, x) => s + x * x, 0);

/** |got − want| ≤ c·N·ε·σ²_max elementwise, with c stated by the caller; returns the worst ratio. */
function expectClose(got: Float64Array, want: Float64Array, N: number, c: number): number {
  expect(got).toHaveLength(want.length);
  const unit = N * Number.EPSILON * want[want.length - 1]!;
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / unit);
  expect(worst).toBeLessThanOrEqual(c);
  return worst;
}

describe.skipIf(!backend)('stage one: dense → upper band', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 4],
    [3, 2, 4],
    [9, 9, 4], // b does not divide M
    [40, 40, 8],
    [100, 37, 16], // tall
    [130, 130, 32],
    [300, 200, 32],
    [20, 20, 64], // b > M: one panel
  ];
  for (const [N, M, b] of shapes) {
    it(`${N}×${M}, b = ${b}: only band entries, each once; σ² and ‖·‖_F kept`, async () => {
      const W = gaussian(new Rng(N * 1000 + M + b), N, M);
      const B = new Float64Array(M * M);
      const written = new Set<number>();
      await reduceToUpperBand(backend!, W.slice(), N, M, b, (i, j, v) => {
        expect(j - i >= 0 && j - i <= b && j < M).toBe(true);
        expect(written.has(i * M + j)).toBe(false);
        written.add(i * M + j);
        B[i * M + j] = v;
      });
      // Orthogonal transformations keep the Frobenius norm (to rounding: 1e-13 relative).
      expect(Math.abs(frobenius2(B) - frobenius2(W)) / frobenius2(W)).toBeLessThan(1e-13);
      const want = accurateSquaredSingularValues(W, N, M);
      // Measured worst over these cases: 0.27·N·ε·σ²_max (backward stable: O(N·ε·σ²_max) expected).
      expectClose(accurateSquaredSingularValues(B, M, M), want, N, 4);
    });
  }

  it('refuses a wide matrix or a wrong length', async () => {
    await expect(reduceToUpperBand(backend!, new Float64Array(6), 2, 3, 2, () => {})).rejects.toThrow(RangeError);
    await expect(reduceToUpperBand(backend!, new Float64Array(5), 3, 2, 2, () => {})).rejects.toThrow(RangeError);
  });
});

describe.skipIf(!backend)('the two-stage route against the one-stage route', () => {
  const rng = new Rng(2024);
  const cases: [string, number, number, Float64Array, number | undefined][] = [];
  cases.push(['Gaussian 300×300', 300, 300, gaussian(rng, 300, 300), 300]);
  cases.push(['Gaussian, wide 200×520', 200, 520, gaussian(rng, 200, 520), 200]);
  {
    // Exactly rank 90 but for rounding: the rank the route exists to count.
    const L = matmul(gaussian(rng, 400, 90), gaussian(rng, 90, 270), 400, 90, 270);
    cases.push(['rank 90, 400×270', 400, 270, L, 90]);
  }
  {
    // Dead columns and a column scaled to 1e-12 (resolved: above σ_max·N·ε ≈ 1e-13·σ_max).
    const D = gaussian(rng, 290, 260);
    for (const j of [0, 31, 32, 200]) for (let i = 0; i < 290; i++) D[i * 260 + j] = 0;
    for (let i = 0; i < 290; i++) D[i * 260 + 100]! *= 1e-12;
    cases.push(['dead and tiny columns, 290×260', 290, 260, D, 256]);
  }
  {
    // Graded over 60 decades by rows: finite, and the norm kept.
    const G = gaussian(rng, 270, 270);
    for (let i = 0; i < 270; i++) for (let j = 0; j < 270; j++) G[i * 270 + j]! *= 10 ** (-60 * (i / 269));
    cases.push(['rows graded over 60 decades, 270×270', 270, 270, G, undefined]);
  }
  for (const [name, rows, cols, W, rank] of cases) {
    it(`${name}: σ² within 8·N·ε·σ²_max${rank === undefined ? '' : `, rank ${rank}`}`, async () => {
      const copy = W.slice();
      const got = await accurateSquaredSingularValuesOrt(backend!, copy, rows, cols);
      expect(copy).toEqual(W); // W is not modified
      const want = accurateSquaredSingularValues(W, rows, cols);
      const N = Math.max(rows, cols);
      for (const x of got) expect(Number.isFinite(x) && x >= 0).toBe(true);
      // Both routes are backward stable; measured worst 0.27·N·ε·σ²_max.
      expectClose(got, want, N, 8);
      const total = got.reduce((s, x) => s + x, 0);
      expect(Math.abs(total - frobenius2(W)) / frobenius2(W)).toBeLessThan(1e-13);
      if (rank !== undefined) {
        expect(numericalRank(got, N)).toBe(rank);
        expect(numericalRank(want, N)).toBe(rank);
      }
    });
  }

  it('an empty matrix has no values', async () => {
    expect(await accurateSquaredSingularValuesOrt(backend!, new Float64Array(0), 0, 5)).toHaveLength(0);
  });
});

describe('usesTwoStageSvd', () => {
  it('only shapes whose eigenvalues take the two-stage path (the worker has onnxruntime then)', () => {
    let some = 0;
    for (const m of [64, 96, 128, 192, 256, 257, 300, 512, 1024]) {
      for (const n of [m, 2 * m, 1100, 4000, 8193, 20000]) {
        if (n < m) continue;
        if (usesTwoStageSvd(n, m)) {
          some++;
          expect(usesTwoStage(n, m), `${n}×${m}`).toBe(true);
        }
        expect(usesTwoStageSvd(m, n)).toBe(usesTwoStageSvd(n, m));
      }
    }
    expect(some).toBeGreaterThan(10);
    // The measured crossovers (singular-values.ts): 256² and 1100×256 one-stage, 257² and 4000×192 two-stage.
    expect([usesTwoStageSvd(256, 256), usesTwoStageSvd(1100, 256)]).toEqual([false, false]);
    expect([usesTwoStageSvd(257, 257), usesTwoStageSvd(4000, 192)]).toEqual([true, true]);
  });
});
