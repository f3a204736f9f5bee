/**
 * The Gram route decides a slice's rank only when its error bound allows (gram-rank.ts):
 * the rank computeEsd reports must equal, exactly, the one the accurate route counts, on
 * matrices built to sit at the edge: dead rows and columns, products of rank k, fp16-rounded
 * matrices, columns scaled down to just above and below the Gram's resolution.
 */
import { describe, expect, it } from 'vitest';
import { computeEsd, GRAM_RESOLUTION } from '../../src/esd.js';
import type { MatrixPlan } from '../../src/matrices.js';
import { numericalRank } from '../../src/fit/metrics.js';
import { eigenvaluesTs } from '../../src/spectrum/eigen.js';
import { accurateSquaredSingularValues } from '../../src/spectrum/singular-values.js';
import { gramBound, gramDecidedRank, structuralZeros } from '../../src/spectrum/gram-rank.js';
import { Rng } from '../generators/rng.js';
import { roundF16 } from '../generators/storage.js';
import { matmul } from '../generators/linalg.js';

function plan(rows: number, cols: number): MatrixPlan {
  return { status: 'analyze', idSuffix: '', kind: 'dense', rows, cols, slices: 1, eigenScale: 1, extract: (v) => v };
}

function gaussian(rng: Rng, rows: number, cols: number): Float64Array {
  const W = new Float64Array(rows * cols);
  for (let i = 0; i < W.length; i++) W[i] = rng.normal();
  return W;
}

/** The rank as computed before the Gram decision existed: accurate route below GRAM_RESOLUTION. */
function accurateRank(W: Float64Array, rows: number, cols: number): number {
  const N = Math.max(rows, cols);
  const ev = eigenvaluesTs(W, rows, cols);
  const top = ev[ev.length - 1]!;
  if (top > 0 && ev[0]! < GRAM_RESOLUTION * top) return numericalRank(accurateSquaredSingularValues(W, rows, cols), N);
  return numericalRank(ev, N);
}

/** computeEsd's rank, and how often it asked the accurate route. */
async function esdRank(
  W: Float64Array,
  rows: number,
  cols: number,
): Promise<{ rank: number; accurate: number; nearSingular: boolean }> {
  let accurate = 0;
  const esd = await computeEsd(W, plan(rows, cols), {
    accurate: (A, r, c) => {
      accurate++;
      return accurateSquaredSingularValues(A, r, c);
    },
  });
  return { rank: esd.rank, accurate, nearSingular: esd.nearSingular };
}

const cases: [string, (rng: Rng) => { W: Float64Array; rows: number; cols: number }][] = [
  [
    'dead rows and columns (zeroed filters)',
    (rng) => {
      const rows = rng.int(20, 70);
      const cols = rng.int(20, 70);
      const W = gaussian(rng, rows, cols);
      for (let d = rng.int(1, 6); d > 0; d--) {
        const r = rng.int(0, rows - 1);
        W.fill(0, r * cols, (r + 1) * cols);
      }
      for (let d = rng.int(0, 4); d > 0; d--) {
        const j = rng.int(0, cols - 1);
        for (let i = 0; i < rows; i++) W[i * cols + j] = 0;
      }
      return { W, rows, cols };
    },
  ],
  [
    'a product of rank k < min(rows, cols)',
    (rng) => {
      const rows = rng.int(20, 60);
      const cols = rng.int(20, 60);
      const k = rng.int(1, Math.min(rows, cols) - 1);
      return { W: matmul(gaussian(rng, rows, k), gaussian(rng, k, cols), rows, k, cols), rows, cols };
    },
  ],
  [
    'fp16-rounded, with a duplicated row',
    (rng) => {
      const rows = rng.int(20, 60);
      const cols = rng.int(20, 60);
      const W = gaussian(rng, rows, cols).map((x) => roundF16(0.05 * x));
      W.copyWithin(0, cols, 2 * cols);
      return { W, rows, cols };
    },
  ],
  [
    'one column scaled to σ² near the Gram bound',
    (rng) => {
      const rows = rng.int(30, 60);
      const cols = rng.int(10, 29);
      const W = gaussian(rng, rows, cols);
      const s = 10 ** rng.between(-8, -4);
      for (let i = 0; i < rows; i++) W[i * cols] = W[i * cols]! * s;
      return { W, rows, cols };
    },
  ],
];

describe('the rank the Gram route decides', () => {
  for (const [name, make] of cases) {
    it(`${name}: equals the accurate route's, exactly (40 seeds)`, async () => {
      for (let seed = 1; seed <= 40; seed++) {
        const { W, rows, cols } = make(new Rng(seed));
        const expected = accurateRank(W, rows, cols);
        expect({ seed, rank: (await esdRank(W.slice(), rows, cols)).rank }).toEqual({ seed, rank: expected });
      }
    });
  }

  it('skips the accurate route for dead filters and well-resolved small eigenvalues', async () => {
    const rng = new Rng(7);
    const W = gaussian(rng, 64, 48);
    W.fill(0, 5 * 48, 9 * 48); // four dead rows
    for (let i = 0; i < 64; i++) W[i * 48 + 3] = 0; // one dead column
    expect(structuralZeros(W, 64, 48)).toBe(1);
    for (let i = 0; i < 64; i++) W[i * 48 + 7] = W[i * 48 + 7]! * 1e-5; // σ² ≈ 3e-11·λ_max
    const { rank, accurate, nearSingular } = await esdRank(W.slice(), 64, 48);
    expect(nearSingular).toBe(true); // below GRAM_RESOLUTION: the accurate route would have run
    expect(accurate).toBe(0);
    expect(rank).toBe(47);
    expect(rank).toBe(accurateRank(W, 64, 48));
  });

  it('leaves a true rank deficiency to the accurate route', async () => {
    const rng = new Rng(8);
    const W = matmul(gaussian(rng, 40, 5), gaussian(rng, 5, 30), 40, 5, 30);
    const ev = eigenvaluesTs(W, 40, 30);
    expect(gramDecidedRank(ev, 40, structuralZeros(W, 40, 30))).toBeUndefined();
    const { rank, accurate } = await esdRank(W, 40, 30);
    expect(accurate).toBe(1);
    expect(rank).toBe(5);
  });

  it('bounds the Gram error by (N·Σλ + M·λ_max)·ε', () => {
    // λ = 1, 2, 3 of a 10×3 matrix: (10·6 + 3·3)·ε.
    expect(gramBound(new Float64Array([1, 2, 3]), 10)).toBe(69 * Number.EPSILON);
  });
});
