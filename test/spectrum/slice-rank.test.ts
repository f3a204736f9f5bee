/**
 * src/spectrum/slice-rank.ts on the engine's workers: a slice resolved where it was computed
 * (engine.eigenvaluesResolved, JobMessage.resolve) has the rank and near-singular flag that
 * resolving it on the calling thread gives, and where the accurate route ran, the very same
 * σᵢ² (the same function on the same matrix); the calling thread's accurate route is then
 * never asked. Matrices too large to keep on the worker come back unresolved. While the
 * calling thread says it is idle, a slice that needs the accurate route is handed back to it
 * and resolved there, to the same values.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { computeEsd } from '../../src/esd.js';
import type { MatrixPlan } from '../../src/matrices.js';
import { createSpectrumEngine } from '../../src/spectrum/index.js';
import {
  accurateSquaredSingularValues,
  accurateSquaredSingularValuesOrt,
  usesTwoStageSvd,
} from '../../src/spectrum/singular-values.js';
import { OrtBackend } from '../../src/spectrum/ort.js';
import { createHandBack, markIdle, release, TAKEN, takeHandBack } from '../../src/spectrum/hand-back.js';
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

  it('nearly dead rows and columns (accurate-first.ts): the σᵢ² the calling thread gets, bit for bit', async () => {
    const dead = new Rng(77);
    for (const [rows, cols, side] of [
      [140, 140, 'row'],
      [200, 120, 'column'],
      [100, 210, 'row'],
    ] as const) {
      const W = gaussian(dead, rows, cols);
      if (side === 'row') for (let j = 0; j < cols; j++) W[11 * cols + j]! *= 1e-30;
      else for (let i = 0; i < rows; i++) W[i * cols + 11]! *= 1e-30;
      const onWorker = await engine.eigenvaluesResolved(W.slice(), rows, cols);
      const here = await computeEsd(W.slice(), plan(rows, cols));
      expect(onWorker.resolvedOn).toBe('worker');
      expect(onWorker.resolved!.rank).toBe(Math.min(rows, cols) - 1);
      expect(here.rank).toBe(onWorker.resolved!.rank);
      expect(Array.from(onWorker.resolved!.ev)).toEqual(Array.from(here.evals));
    }
  });

  it('a nearly dead column at a two-stage shape: the worker’s two-stage accurate route, as resolveSlice takes it', async () => {
    const W = gaussian(new Rng(78), 300, 300);
    for (let i = 0; i < 300; i++) W[i * 300 + 5]! *= 1e-30;
    const got = await engine.eigenvaluesResolved(W.slice(), 300, 300);
    expect(got.resolved!.rank).toBe(299);
    const ort = OrtBackend.load(1);
    if (ort instanceof OrtBackend) {
      try {
        expect(Array.from(got.resolved!.ev)).toEqual(
          Array.from(await accurateSquaredSingularValuesOrt(ort, W, 300, 300)),
        );
      } finally {
        await ort.close();
      }
    }
  });

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

describe('slices handed back to an idle calling thread (hand-back.ts)', () => {
  // One worker on two cores, as compute.ts starts for a model of small and medium layers.
  const engine = createSpectrumEngine({ jobs: 1, handBack: true });
  afterAll(() => engine.close());
  const accurateCases = cases.filter((c) => c[4] === 'accurate');

  for (const [name, rows, cols, W] of accurateCases) {
    it(`${name}: resolved here while idle, with the worker's rank and σᵢ² bit for bit`, async () => {
      engine.callerIdle(true);
      const back = await engine.eigenvaluesResolved(W.slice(), rows, cols);
      engine.callerIdle(false);
      const kept = await engine.eigenvaluesResolved(W.slice(), rows, cols);
      expect(back.resolvedOn).toBe('caller');
      expect(kept.resolvedOn).toBe('worker');
      expect(back.resolved!.rank).toBe(kept.resolved!.rank);
      expect(back.resolved!.nearSingular).toBe(true);
      expect(Array.from(back.resolved!.ev)).toEqual(Array.from(kept.resolved!.ev));
      expect(Array.from(back.resolved!.ev)).toEqual(Array.from(accurateSquaredSingularValues(W, rows, cols)));
    });
  }

  it('several slices at once (two posted to the one worker): the same values wherever resolved', async () => {
    engine.callerIdle(true);
    const [, rows, cols, W] = accurateCases[0]!;
    const all = await Promise.all([1, 2, 3, 4].map(() => engine.eigenvaluesResolved(W.slice(), rows, cols)));
    engine.callerIdle(false);
    expect(all.map((r) => r.resolvedOn)).toContain('caller');
    for (const r of all) expect(Array.from(r.resolved!.ev)).toEqual(Array.from(all[0]!.resolved!.ev));
  });

  it('the flag: one slice at a time, and only while the caller says it is idle', () => {
    const flag = createHandBack();
    expect(takeHandBack(flag)).toBe(false); // busy until told otherwise
    markIdle(flag, true);
    expect(takeHandBack(flag)).toBe(true);
    expect(takeHandBack(flag)).toBe(false); // taken: the next slice stays on its worker
    markIdle(flag, false); // busy again while resolving: still taken
    expect(flag[0]).toBe(TAKEN);
    release(flag, false);
    expect(takeHandBack(flag)).toBe(false);
    markIdle(flag, true);
    markIdle(flag, true);
    expect(takeHandBack(flag)).toBe(true);
    release(flag, true);
    expect(takeHandBack(flag)).toBe(true);
  });

  it('a slice whose accurate route is two-stage stays on the worker while idle: same bits in every run', async () => {
    // 300×300 of rank 80: usesTwoStageSvd, so the worker (onnxruntime loaded for its
    // two-stage eigenvalues) resolves it; the calling thread has no onnxruntime.
    const rng = new Rng(31);
    const W = matmul(gaussian(rng, 300, 80), gaussian(rng, 80, 300), 300, 80, 300);
    expect(usesTwoStageSvd(300, 300)).toBe(true);
    engine.callerIdle(true);
    const idle = await engine.eigenvaluesResolved(W.slice(), 300, 300);
    engine.callerIdle(false);
    const busy = await engine.eigenvaluesResolved(W.slice(), 300, 300);
    expect([idle.resolvedOn, busy.resolvedOn]).toEqual(['worker', 'worker']);
    expect([idle.resolved!.rank, busy.resolved!.rank]).toEqual([80, 80]);
    expect(Array.from(idle.resolved!.ev)).toEqual(Array.from(busy.resolved!.ev));
    const ort = OrtBackend.load(1);
    if (ort instanceof OrtBackend) {
      try {
        const twoStage = await accurateSquaredSingularValuesOrt(ort, W, 300, 300);
        expect(Array.from(idle.resolved!.ev)).toEqual(Array.from(twoStage));
      } finally {
        await ort.close();
      }
    }
  });

  it('a slice the Gram decides stays on the worker, idle or not', async () => {
    engine.callerIdle(true);
    const got = await engine.eigenvaluesResolved(gaussian(new Rng(7), 200, 150), 200, 150);
    engine.callerIdle(false);
    expect(got.resolvedOn).toBe('worker');
    expect(got.resolved?.rank).toBe(150);
  });
});
