/**
 * Which matrices are followed by full collections (spectrum/gc.ts): those of at least
 * GC_ABOVE_BYTES by default, and at least the engine's collectAbove when it says more;
 * compute.ts sets that to a quarter of the model's largest matrix (largestMatrixBytes), so that a
 * model with one huge matrix does not collect after each of its medium ones.
 * The worker is a stand-in that records the jobs and answers them at once.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Compute, largestMatrixBytes } from '../../src/compute.js';
import type { LayerPlan } from '../../src/matrices.js';
import { GC_ABOVE_BYTES } from '../../src/spectrum/gc.js';
import { createSpectrumEngine, type EngineWorker } from '../../src/spectrum/index.js';
import type { JobMessage } from '../../src/spectrum/worker.js';

class AnsweringWorker extends EventEmitter implements EngineWorker {
  readonly jobs: JobMessage[] = [];

  postMessage(message: { type: string }): void {
    if (message.type !== 'job') return;
    const job = message as JobMessage;
    this.jobs.push(job);
    const values = new Float64Array(Math.min(job.rows, job.cols));
    setImmediate(() => this.emit('message', { id: job.id, ok: true, values, backend: 'typescript' }));
  }
  ref(): void {}
  unref(): void {}
}

/** The `collect` flag of each job the engine posts for these shapes, in order. */
async function collectFlags(shapes: [number, number][], collectAbove?: () => number): Promise<boolean[]> {
  const worker = new AnsweringWorker();
  const engine = createSpectrumEngine({
    jobs: 1,
    warmUp: false,
    backend: 'typescript',
    createWorker: () => worker,
    ...(collectAbove ? { collectAbove } : {}),
  });
  for (const [rows, cols] of shapes) await engine.eigenvalues(new Float64Array(rows * cols), rows, cols);
  return worker.jobs.map((j) => j.collect);
}

describe('full collections after large matrices', () => {
  // 1500×1400 float64 is 16.8 MB, just above GC_ABOVE_BYTES (16 MiB); 1000² is 8 MB.
  it('by default, every matrix of at least GC_ABOVE_BYTES', async () => {
    expect(1500 * 1400 * 8).toBeGreaterThanOrEqual(GC_ABOVE_BYTES);
    expect(
      await collectFlags([
        [1000, 1000],
        [1500, 1400],
      ]),
    ).toEqual([false, true]);
  });

  it('with collectAbove, only matrices that reach it, and never below GC_ABOVE_BYTES', async () => {
    const shapes: [number, number][] = [
      [1500, 1400],
      [1600, 1600],
      [1000, 1000],
    ];
    expect(await collectFlags(shapes, () => 20e6)).toEqual([false, true, false]);
    expect(await collectFlags(shapes, () => 1)).toEqual([true, true, false]);
    let above = 20e6;
    const flags = collectFlags(shapes, () => above);
    above = 1; // read per job: a later model's largest matrix sets it again
    expect(await flags).toEqual([true, true, false]);
  });

  it('compute.ts: the largest analysed matrix of a model', () => {
    const plan = (rows: number, cols: number, status = 'analyze') =>
      ({ status, idSuffix: '', kind: 'dense', rows, cols, slices: 1 }) as unknown as LayerPlan;
    expect(largestMatrixBytes([plan(768, 3072), plan(50257, 768), plan(768, 768)])).toBe(50257 * 768 * 8);
    expect(largestMatrixBytes([plan(768, 3072), plan(99999, 9999, 'skipped')])).toBe(768 * 3072 * 8);
    expect(largestMatrixBytes([])).toBe(0);
    // The pipeline's engine collects from a quarter of it, set per model (no engine started here).
    const compute = new Compute({ solve: () => new Float64Array(0) });
    compute.warmUpFor([plan(768, 3072), plan(50257, 768)]);
    expect(compute.collectAboveBytes()).toBe((50257 * 768 * 8) / 4);
    compute.warmUpFor([plan(768, 3072)]);
    expect(compute.collectAboveBytes()).toBe((768 * 3072 * 8) / 4);
  });
});
