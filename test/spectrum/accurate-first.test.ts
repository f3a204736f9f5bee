/**
 * src/spectrum/accurate-first.ts: a slice with a nearly dead row or column takes the accurate
 * route instead of the Gram route's reduction, and gets what resolveSlice (slice-rank.ts) gives
 * after the full Gram route: the same σᵢ² to the bit, rank and flag. Seeded families: dead
 * vectors on either side, a square matrix whose dead vector only its rows show, dead vectors
 * beside exact zeros (where the proof may fail and the Gram route runs after all), vectors just
 * above the prediction's limit, and healthy matrices, where the route is never stopped.
 */
import { describe, expect, it } from 'vitest';
import { accurateSettles, resolveSliceOf } from '../../src/spectrum/accurate-first.js';
import { eigenvaluesTs, eigenvaluesTsUnless, type GramStop } from '../../src/spectrum/eigen.js';
import { accurateSquaredSingularValues } from '../../src/spectrum/singular-values.js';
import { GRAM_RESOLUTION, resolveSlice } from '../../src/spectrum/slice-rank.js';
import { matmul } from '../generators/linalg.js';
import { Rng } from '../generators/rng.js';

const U = Number.EPSILON / 2;

function gaussian(rng: Rng, rows: number, cols: number): Float64Array {
  const W = new Float64Array(rows * cols);
  for (let i = 0; i < W.length; i++) W[i] = rng.normal();
  return W;
}

function scaleRow(W: Float64Array, cols: number, i: number, s: number): void {
  for (let j = 0; j < cols; j++) W[i * cols + j]! *= s;
}

function scaleCol(W: Float64Array, rows: number, cols: number, j: number, s: number): void {
  for (let i = 0; i < rows; i++) W[i * cols + j]! *= s;
}

/** B₀ of the header, from the exact Σσ² = ‖W‖²_F and a given σ²_max. */
function b0Of(W: Float64Array, rows: number, cols: number, largest: number): number {
  let sum = 0;
  for (const x of W) sum += x * x;
  return (Math.max(rows, cols) * sum + Math.min(rows, cols) * largest) * U;
}

interface Outcome {
  readonly ev: Float64Array;
  readonly rank: number;
  readonly nearSingular: boolean;
  /** Gram routes stopped after the product, and run to the end. */
  readonly stopped: number;
  readonly full: number;
}

async function viaAccurateFirst(W: Float64Array, rows: number, cols: number, rowNorms = true): Promise<Outcome> {
  let stopped = 0;
  let full = 0;
  const gram = (stop: GramStop | undefined) => {
    // rowNorms false: as the onnxruntime route, which has only the diagonal.
    const seen: GramStop | undefined = stop && ((diagonal, norms) => stop(diagonal, rowNorms ? norms : undefined));
    const ev = eigenvaluesTsUnless(W, rows, cols, seen);
    if (ev === undefined) stopped++;
    else full++;
    return ev;
  };
  const s = await resolveSliceOf(W, rows, cols, gram, accurateSquaredSingularValues);
  return { ...s, stopped, full };
}

async function viaGram(W: Float64Array, rows: number, cols: number) {
  return resolveSlice(eigenvaluesTs(W, rows, cols), rows, cols, () => W, accurateSquaredSingularValues);
}

function expectSame(a: Outcome, b: { ev: Float64Array; rank: number; nearSingular: boolean }): void {
  expect(a.rank).toBe(b.rank);
  expect(a.nearSingular).toBe(b.nearSingular);
  expect(a.ev.length).toBe(b.ev.length);
  let differing = 0;
  for (let i = 0; i < a.ev.length; i++) if (!Object.is(a.ev[i], b.ev[i])) differing++;
  expect(differing).toBe(0);
}

const rng = new Rng(2026);

describe('accurate route first: the same answer as after the Gram route', () => {
  const settled: [string, number, number, () => Float64Array, number][] = [
    [
      'tall 160×100, a column at 1e-30',
      160,
      100,
      () => {
        const W = gaussian(rng, 160, 100);
        scaleCol(W, 160, 100, 17, 1e-30);
        return W;
      },
      99,
    ],
    [
      'wide 90×200, two rows at 1e-20 and 1e-35',
      90,
      200,
      () => {
        const W = gaussian(rng, 90, 200);
        scaleRow(W, 200, 4, 1e-20);
        scaleRow(W, 200, 61, 1e-35);
        return W;
      },
      88,
    ],
    [
      'square 120², a row at 1e-30 (its columns all healthy)',
      120,
      120,
      () => {
        const W = gaussian(rng, 120, 120);
        scaleRow(W, 120, 33, 1e-30);
        return W;
      },
      119,
    ],
    [
      'tall 150×80, three zero columns and one at 1e-28',
      150,
      80,
      () => {
        const W = gaussian(rng, 150, 80);
        for (const j of [2, 40, 71]) scaleCol(W, 150, 80, j, 0);
        scaleCol(W, 150, 80, 9, 1e-28);
        return W;
      },
      76,
    ],
    [
      'square 96², a column at 1e-9: below the limit, above the rank threshold',
      96,
      96,
      () => {
        const W = gaussian(rng, 96, 96);
        scaleCol(W, 96, 96, 50, 1e-9);
        return W;
      },
      96,
    ],
  ];
  for (const [name, rows, cols, make, rank] of settled) {
    it(`${name}: the reduction is skipped, rank ${rank}`, async () => {
      const W = make();
      const first = await viaAccurateFirst(W, rows, cols);
      expectSame(first, await viaGram(W, rows, cols));
      expect(first.rank).toBe(rank);
      expect([first.stopped, first.full]).toEqual([1, 0]);
    });
  }

  it('square 120² with a dead row, seen only through the diagonal (the onnxruntime route): the Gram route runs', async () => {
    const W = gaussian(rng, 120, 120);
    scaleRow(W, 120, 7, 1e-30);
    const first = await viaAccurateFirst(W, 120, 120, false);
    expectSame(first, await viaGram(W, 120, 120));
    expect([first.stopped, first.full]).toEqual([0, 1]);
  });

  it('tall 100×80 with 30 zero rows (structural zeros from the long side) and a dead column: same answer', async () => {
    const W = gaussian(rng, 100, 80);
    for (let i = 0; i < 30; i++) scaleRow(W, 80, i * 3, 0);
    scaleCol(W, 100, 80, 12, 1e-30);
    const first = await viaAccurateFirst(W, 100, 80);
    expectSame(first, await viaGram(W, 100, 80));
    // Whether the proof held or the Gram route ran after all, once each at most.
    expect(first.stopped).toBe(1);
    expect(first.full).toBeLessThanOrEqual(1);
  });

  it('dead columns that are exact zeros (decided by structure): never stopped', async () => {
    const W = gaussian(rng, 130, 70);
    for (const j of [0, 33, 69]) scaleCol(W, 130, 70, j, 0);
    const first = await viaAccurateFirst(W, 130, 70);
    expectSame(first, await viaGram(W, 130, 70));
    expect(first.rank).toBe(67);
    expect([first.stopped, first.full]).toEqual([0, 1]);
  });

  it('tall 20000×40 with a dead column: the Gram noise B₀ is above GRAM_RESOLUTION/3, never stopped', async () => {
    const W = gaussian(rng, 20000, 40);
    scaleCol(W, 20000, 40, 3, 1e-30);
    const largest = accurateSquaredSingularValues(W, 20000, 40)[39]!;
    expect(3 * b0Of(W, 20000, 40, largest)).toBeGreaterThan(GRAM_RESOLUTION * largest);
    const first = await viaAccurateFirst(W, 20000, 40);
    expectSame(first, await viaGram(W, 20000, 40));
    expect([first.stopped, first.full]).toEqual([0, 1]);
  });

  it('rank 30 by product (no dead vector): never stopped, the same answer', async () => {
    const W = matmul(gaussian(rng, 110, 30), gaussian(rng, 30, 90), 110, 30, 90);
    const first = await viaAccurateFirst(W, 110, 90);
    expectSame(first, await viaGram(W, 110, 90));
    expect(first.rank).toBe(30);
    expect([first.stopped, first.full]).toEqual([0, 1]);
  });

  it('healthy Gaussian and a column 2·B₀ small (above the limit): never stopped', async () => {
    const G = gaussian(rng, 140, 100);
    const a = await viaAccurateFirst(G, 140, 100);
    expectSame(a, await viaGram(G, 140, 100));
    expect([a.stopped, a.full]).toEqual([0, 1]);
    const W = gaussian(rng, 140, 100);
    // Column norm² = 2·B₀ (with σ²_max of the rest): above B₀/4.
    let norm2 = 0;
    for (let i = 0; i < 140; i++) norm2 += W[i * 100 + 5]! ** 2;
    const largest = accurateSquaredSingularValues(W, 140, 100)[99]!;
    scaleCol(W, 140, 100, 5, Math.sqrt((2 * b0Of(W, 140, 100, largest)) / norm2));
    const b = await viaAccurateFirst(W, 140, 100);
    expectSame(b, await viaGram(W, 140, 100));
    expect(b.stopped).toBe(0);
  });
});

describe('accurateSettles: the proof’s inequalities', () => {
  // σ² = 1 … M with one small value at the front (ascending), N = 200.
  const spectrum = (small: number, zeros = 0) => {
    const sv = new Float64Array(50);
    for (let i = 0; i < 50; i++) sv[i] = i + 1;
    for (let i = 0; i < zeros; i++) sv[i] = 0;
    sv[zeros] = small;
    return sv.sort();
  };
  const b0 = (sv: Float64Array) => (200 * sv.reduce((a, b) => a + b, 0) + 50 * sv[49]!) * U;

  it('settles up to B₀/4 at the first non-structural value, not beyond', () => {
    const base = b0(spectrum(0));
    expect(accurateSettles(spectrum(0.24 * base), 200, 0)).toBe(true);
    expect(accurateSettles(spectrum(0.26 * base), 200, 0)).toBe(false);
    expect(accurateSettles(spectrum(0.24 * base, 3), 200, 3)).toBe(true);
    // Three structural zeros but only two counted: the value that matters is a zero, fine;
    // counted four, the fifth value (a large one) decides: no.
    expect(accurateSettles(spectrum(0.24 * base, 3), 200, 4)).toBe(false);
  });

  it('needs 3·B₀ ≤ GRAM_RESOLUTION·σ²_max, and a positive σ²_max', () => {
    const flat = new Float64Array(50).fill(1);
    flat[0] = 0;
    // B₀ ≈ N·M·u: N = 1e7 puts 3·B₀ near 1.7e-7, far above GRAM_RESOLUTION.
    expect(accurateSettles(flat, 1e7, 0)).toBe(false);
    expect(accurateSettles(flat, 200, 0)).toBe(3 * (200 * 49 + 50) * U <= GRAM_RESOLUTION);
    expect(accurateSettles(new Float64Array(50), 200, 0)).toBe(false);
    expect(accurateSettles(spectrum(0), 200, 50)).toBe(false);
  });
});
