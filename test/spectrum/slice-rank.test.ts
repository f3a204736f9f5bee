/**
 * src/spectrum/slice-rank.ts on the engine's workers: a slice resolved where it was computed
 * (engine.eigenvaluesResolved, JobMessage.resolve) has the rank and near-singular flag that
 * resolving it on the calling thread gives, and where the accurate route ran, the very same
 * σᵢ² (the same function on the same matrix); the calling thread's accurate route is then
 * never asked. Matrices too large to keep on the worker come back unresolved.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { computeEsd } from '../../src/esd.js';
import type { MatrixPlan } from '../../src/matrices.js';
import { createSpectrumEngine } from '../../src/spectrum/index.js';
import { accurateSquaredSingularValues } from '../../src/spectrum/singular-values.js';
import { matmul } from '../generators/linalg.js';
import { Rng } from '../generators/rng.js';

function plan(rows: number, cols: number): MatrixPlan {
  return { status: 'analyze', idSuffix: '', kind: 'dense', rows, cols, slices: 1, eigenScale: 1, extract: (v) => v };
}

function gaussian(rng: Rng, rows: number, cols: number, scale = 1): Float64Array {
  const W = new Float64Array(rows * cols);
  for (let i = 0; i < W.length; i++) W[i] = scale * rng.normal();
  return W;
}

const rng = new Rng(914);
const cases: [string, number, number, Float64Array, 'gram' | 'structural' | 'accurate'][] = [];
{
  // Full rank, well conditioned: the Gram decides.
  cases.push(['Gaussian 130×100', 130, 100, gaussian(rng, 130, 100), 'gram']);
  // Dead columns: exact zeros, decided by structure.
  const D = gaussian(rng, 150, 110);
  for (const j of [3, 40, 77]) for (let i = 0; i < 150; i++) D[i * 110 + j] = 0;
  cases.push(['dead columns 150×110', 150, 110, D, 'structural']);
  // Rank 60 plus noise at 1e-9 of its scale: singular values the Gram cannot resolve, above
  // the rank threshold (σ ≈ 1e-11·σ_max against N·ε ≈ 4e-14).
  const L = matmul(gaussian(rng, 160, 60), gaussian(rng, 60, 120), 160, 60, 120);
  const noise = gaussian(rng, 160, 120, 1e-9);
  for (let i = 0; i < L.length; i++) L[i]! += noise[i]!;
  cases.push(['rank 60 + 1e-9 noise, 160×120', 160, 120, L, 'accurate']);
  // Exactly rank 40 but for rounding, wide: the accurate route counts 40.
  const T = matmul(gaussian(rng, 100, 40), gaussian(rng, 40, 170), 100, 40, 170);
  cases.push(['rank 40, 100×170', 100, 170, T, 'accurate']);
}

describe('slices resolved on the worker', () => {
  const engine = createSpectrumEngine({ jobs: 2 });
  afterAll(() => engine.close());

  for (const [name, rows, cols, W, route] of cases) {
    it(`${name}: same rank as on the calling thread (${route})`, async () => {
      let mainAccurate = 0;
      const onWorker = await computeEsd(W.slice(), plan(rows, cols), {
        solveSlice: (A, r, c) => engine.eigenvaluesResolved(A, r, c),
        accurate: (A, r, c) => {
          mainAccurate++;
          return accurateSquaredSingularValues(A, r, c);
        },
      });
      const here = await computeEsd(W.slice(), plan(rows, cols));
      expect(mainAccurate).toBe(0);
      expect(onWorker.rank).toBe(here.rank);
      expect(onWorker.nearSingular).toBe(route !== 'gram');
      expect(here.nearSingular).toBe(route !== 'gram');
      if (route === 'accurate') {
        expect(onWorker.rank).toBe(rows === 160 ? 120 : 40);
        // The accurate route's values, bit for bit.
        expect(Array.from(onWorker.evals)).toEqual(Array.from(here.evals));
      }
      if (route === 'structural') expect(onWorker.rank).toBe(107);
    });
  }

  it('a matrix of 16 MiB or more is not kept on the worker: it comes back unresolved', async () => {
    const rows = 2100;
    const cols = 1000; // 16.8 MB as float64
    const W = gaussian(new Rng(5), rows, cols);
    const got = await engine.eigenvaluesResolved(W, rows, cols);
    expect(got.resolved).toBeUndefined();
    expect(got.ev.length).toBe(cols);
  });

  it('a small matrix is resolved on the worker', async () => {
    const got = await engine.eigenvaluesResolved(gaussian(new Rng(6), 200, 150), 200, 150);
    expect(got.resolved?.rank).toBe(150);
    expect(got.resolved?.ev).toBe(got.ev);
  });
});
