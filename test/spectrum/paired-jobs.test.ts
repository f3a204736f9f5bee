/**
 * Large matrices that pair (scheduler.ts pairedUpTo) run two at a time, one per
 * worker, and each still asks for every core's onnxruntime threads (a GEMM's last bits follow
 * its thread count, so the numbers stay those of a matrix run alone); larger ones run alone,
 * on the first worker. Small matrices may wait on a busy worker, two per worker; medium ones
 * wait for a free one. The workers are stand-ins that hold each job until the test answers it.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createSpectrumEngine, type EngineWorker, pairedUpTo, QUEUED_MAX_BYTES } from '../../src/spectrum/index.js';
import type { JobMessage } from '../../src/spectrum/worker.js';

class HeldWorker extends EventEmitter implements EngineWorker {
  readonly jobs: JobMessage[] = [];

  postMessage(message: { type: string }): void {
    if (message.type === 'job') this.jobs.push(message as JobMessage);
  }
  answer(): void {
    for (const job of this.jobs.splice(0)) {
      const values = new Float64Array(Math.min(job.rows, job.cols));
      this.emit('message', { id: job.id, ok: true, values, backend: 'typescript' });
    }
  }
  ref(): void {}
  unref(): void {}
}

const settle = () => new Promise((r) => setTimeout(r, 20));

/** Posts `count` rows×cols matrices at once; what each worker holds before any answer. */
async function twoAtOnce(rows: number, cols: number, pairUpTo?: () => number, count = 2, jobs = 2) {
  const workers: HeldWorker[] = [];
  const engine = createSpectrumEngine({
    pairUpTo,
    jobs,
    warmUp: false,
    backend: 'typescript',
    createWorker: () => {
      const w = new HeldWorker();
      workers.push(w);
      return w;
    },
  });
  const done = Array.from({ length: count }, () => engine.eigenvalues(new Float64Array(rows * cols), rows, cols));
  await settle();
  const held = workers.map((w) => w.jobs.map((j) => j.threads));
  while (workers.some((w) => w.jobs.length > 0)) {
    for (const w of workers) w.answer();
    await settle();
  }
  await Promise.all(done);
  return held;
}

describe('large matrices side by side', () => {
  it('two 1536×2048 (24 MiB) at once, one per worker, each with both cores', async () => {
    expect(await twoAtOnce(1536, 2048)).toEqual([[2], [2]]);
  });

  it('2048² (32 MiB) one after the other, on the first worker', async () => {
    expect(await twoAtOnce(2048, 2048)).toEqual([[2]]);
  });

  it('with pairUpTo (half the largest matrix of the model), larger ones pair too', async () => {
    // A GPT-2 medium shape: its 50257×1024 embedding lets the 1024×4096 MLP matrices (32 MiB) pair.
    const half = () => pairedUpTo(50257 * 1024 * 8);
    expect(await twoAtOnce(1024, 4096, half)).toEqual([[2], [2]]);
    expect(await twoAtOnce(4096, 1024, half)).toEqual([[2], [2]]);
    expect(await twoAtOnce(4096, 4096, half)).toEqual([[2], [2]]);
    // The embedding itself (the largest) runs alone.
    expect(await twoAtOnce(50257, 1024, half)).toEqual([[2]]);
    // Never below PAIRED_MAX_BYTES: a smaller answer leaves the default.
    expect(await twoAtOnce(1536, 2048, () => 0)).toEqual([[2], [2]]);
    expect(await twoAtOnce(2048, 2048, () => 0)).toEqual([[2]]);
  });

  it('medium matrices as before: one core each, side by side', async () => {
    expect(await twoAtOnce(600, 500)).toEqual([[1], [1]]);
  });
});

describe('small matrices queued on a busy worker (engine.ts QUEUED_MAX_BYTES)', () => {
  it('up to QUEUED_MAX_BYTES: two per worker at once, each with one core', async () => {
    expect(512 * 512 * 8).toBeLessThanOrEqual(QUEUED_MAX_BYTES);
    expect(await twoAtOnce(512, 512, undefined, 6)).toEqual([
      [1, 1],
      [1, 1],
    ]);
    expect(await twoAtOnce(512, 512, undefined, 3, 1)).toEqual([[1, 1]]);
  });

  it('larger medium matrices wait for a free worker: one per worker', async () => {
    expect(1100 * 1000 * 8).toBeGreaterThan(QUEUED_MAX_BYTES);
    expect(await twoAtOnce(1100, 1000, undefined, 4)).toEqual([[1], [1]]);
    expect(await twoAtOnce(1100, 1000, undefined, 3, 1)).toEqual([[1]]);
  });
});
