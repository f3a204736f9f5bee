/**
 * The accurate-rank route on the engine's worker threads: the same σᵢ² as on the calling
 * thread (singular-values.ts), the matrix transferred, and the backend the eigen jobs
 * reported left alone; large shapes take the two-stage route on onnxruntime, unless the model
 * keeps off it.
 */
import { describe, expect, it } from 'vitest';
import { createSpectrumEngine } from '../../src/spectrum/index.js';
import {
  accurateSquaredSingularValues,
  accurateSquaredSingularValuesOrt,
  usesTwoStageSvd,
} from '../../src/spectrum/singular-values.js';
import { OrtBackend } from '../../src/spectrum/ort.js';
import { Rng } from '../generators/rng.js';
import { matmul } from '../generators/linalg.js';

function gaussian(rng: Rng, rows: number, cols: number): Float64Array {
  const W = new Float64Array(rows * cols);
  for (let i = 0; i < W.length; i++) W[i] = rng.normal();
  return W;
}

describe('SpectrumEngine.singularValues (worker threads)', () => {
  it('matches the calling thread on rank-deficient and full matrices, side by side', async () => {
    const engine = createSpectrumEngine({ jobs: 2, backend: 'typescript' });
    try {
      const rng = new Rng(3);
      const cases = [
        { W: matmul(gaussian(rng, 150, 7), gaussian(rng, 7, 120), 150, 7, 120), rows: 150, cols: 120 },
        { W: gaussian(rng, 40, 90), rows: 40, cols: 90 },
        { W: gaussian(rng, 12, 12), rows: 12, cols: 12 },
      ];
      const want = cases.map((c) => accurateSquaredSingularValues(c.W, c.rows, c.cols));
      const sent = cases.map((c) => c.W.slice());
      const got = await Promise.all(cases.map((c, i) => engine.singularValues(sent[i]!, c.rows, c.cols)));
      for (const [i, g] of got.entries()) {
        const top = want[i]![want[i]!.length - 1]!;
        expect(g).toHaveLength(want[i]!.length);
        // Same algorithm: identical to rounding, absolute error ≤ 1e-14·σ²_max.
        for (let k = 0; k < g.length; k++) expect(Math.abs(g[k]! - want[i]![k]!)).toBeLessThanOrEqual(1e-14 * top);
        // Transferred to a worker, but for the tiny 12×12, computed on this thread.
        expect(sent[i]).toHaveLength(i === 2 ? 144 : 0);
      }
      expect(engine.backendInfo.backend).toBe('unknown');
    } finally {
      await engine.close();
    }
  });

  it('a shape of the two-stage route takes it on onnxruntime, unless twoStage is false', async () => {
    const ort = OrtBackend.load(1);
    if (!(ort instanceof OrtBackend)) return; // no onnxruntime here: the first test covers the route
    const engine = createSpectrumEngine({ jobs: 1, warmUp: false });
    try {
      const rng = new Rng(8);
      const W = matmul(gaussian(rng, 280, 50), gaussian(rng, 50, 320), 280, 50, 320);
      expect(usesTwoStageSvd(280, 320)).toBe(true);
      const twoStage = await engine.singularValues(W.slice(), 280, 320);
      const oneStage = await engine.singularValues(W.slice(), 280, 320, false);
      expect(Array.from(twoStage)).toEqual(Array.from(await accurateSquaredSingularValuesOrt(ort, W, 280, 320)));
      expect(Array.from(oneStage)).toEqual(Array.from(accurateSquaredSingularValues(W, 280, 320)));
    } finally {
      await engine.close();
      await ort.close();
    }
  });

  it('refuses an invalid shape', async () => {
    const engine = createSpectrumEngine({ jobs: 1, backend: 'typescript' });
    try {
      await expect(engine.singularValues(new Float64Array(4), -2, -2)).rejects.toThrow(RangeError);
    } finally {
      await engine.close();
    }
  });
});
