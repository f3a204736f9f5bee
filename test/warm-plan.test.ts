/**
 * src/compute.ts warmPlanFor: which workers a model's matrices get before the first one is
 * read — none for small matrices only, one with every core for a large one, and for medium
 * ones one worker per core only when their work reaches SECOND_WORKER_MIN_FLOPS; onnxruntime
 * only when a matrix takes the two-stage path.
 */
import { describe, expect, it } from 'vitest';
import { Compute, onnxruntimePays, SECOND_WORKER_MIN_FLOPS, warmPlanFor } from '../src/compute.js';
import type { LayerPlan } from '../src/matrices.js';
import { EXCLUSIVE_N, pairedUpTo, TWO_STAGE_MIN_N, usesTwoStage } from '../src/spectrum/index.js';
import {
  ONE_STAGE_MAX_GRAM_WORK,
  ONE_STAGE_MAX_N,
  ONNXRUNTIME_START_MS,
  twoStageSavingMs,
} from '../src/spectrum/eigen.js';

function plan(rows: number, cols: number, slices = 1): LayerPlan {
  return { status: 'analyze', idSuffix: '', kind: 'dense', rows, cols, slices, eigenScale: 1, extract: (v) => v };
}

/** Gram N·M² + reduction 4M³/3 per slice, as warmPlanFor counts. */
const flops = (n: number, m: number, slices = 1) => slices * (n * m * m + (4 / 3) * m ** 3);

describe('warmPlanFor', () => {
  it('no workers when every matrix is computed on the calling thread', () => {
    expect(warmPlanFor([plan(4096, TWO_STAGE_MIN_N - 1), plan(64, 64, 9)], 2)).toBeUndefined();
    const skipped = {
      status: 'skipped',
      idSuffix: '',
      kind: 'dense',
      detail: { code: 'too-small' },
    } as unknown as LayerPlan;
    expect(warmPlanFor([skipped], 2)).toBeUndefined();
  });

  it('one worker with every core for a large matrix, then single-threaded ones for the medium', () => {
    expect(warmPlanFor([plan(4096, EXCLUSIVE_N)], 2)).toEqual({
      plan: { threads: [2], largest: EXCLUSIVE_N, onnxruntime: true },
      workers: 2,
    });
    expect(warmPlanFor([plan(4096, EXCLUSIVE_N), plan(512, 256)], 4)).toEqual({
      plan: { threads: [4, 1], largest: EXCLUSIVE_N, onnxruntime: true },
      workers: 4,
    });
  });

  it('large matrices that pair (pairedUpTo): two workers with every core each, if two or more', () => {
    expect(warmPlanFor([plan(2048, 1536), plan(1536, 2048)], 2)).toEqual({
      plan: { threads: [2, 2], largest: 1536, onnxruntime: true },
      workers: 2,
    });
    expect(warmPlanFor([plan(EXCLUSIVE_N, EXCLUSIVE_N, 9)], 2)?.plan.threads).toEqual([2, 2]);
    expect(warmPlanFor([plan(2048, 1536)], 2)?.plan.threads).toEqual([2]);
    expect(warmPlanFor([plan(2048, 2048), plan(2048, 2048)], 2)?.plan.threads).toEqual([2]);
  });

  it('with the pairUpTo of a model (scheduler.ts pairedUpTo), larger matrices pair too', () => {
    const mlp = [plan(1024, 4096), plan(4096, 1024)];
    expect(warmPlanFor(mlp, 2)?.plan.threads).toEqual([2]);
    expect(warmPlanFor(mlp, 2, true, pairedUpTo(50257 * 1024 * 8))?.plan.threads).toEqual([2, 2]);
    // The pipeline: set per model by warmUpFor, from every tensor of the model (`whole`).
    const compute = new Compute({ solve: () => new Float64Array(0), jobs: 2 });
    expect(compute.weight([plan(1024, 4096)], 1024 * 4096)).toBe(4);
    compute.warmUpFor(mlp, [plan(50257, 1024), ...mlp]);
    expect(compute.weight([plan(1024, 4096)], 1024 * 4096)).toBe(2);
    expect(compute.weight([plan(50257, 1024)], 50257 * 1024)).toBe(4);
    compute.warmUpFor(mlp);
    expect(compute.weight([plan(1024, 4096)], 1024 * 4096)).toBe(4);
  });

  it('the pipeline holds two pairable large tensors at once, a larger one alone', () => {
    const compute = new Compute({ solve: () => new Float64Array(0), jobs: 2 });
    expect(compute.budget.cores).toBe(4);
    expect(compute.weight([plan(2048, 1536)], 2048 * 1536)).toBe(2);
    expect(compute.weight([plan(EXCLUSIVE_N, EXCLUSIVE_N, 9)], 9 * EXCLUSIVE_N ** 2)).toBe(2);
    expect(compute.weight([plan(2048, 2048)], 2048 * 2048)).toBe(4);
    expect(compute.weight([plan(4096, 11008)], 4096 * 11008)).toBe(4);
  });

  it('medium matrices: one worker below SECOND_WORKER_MIN_FLOPS, one per core from it', () => {
    // 480²: 0.26 GFLOP a slice.
    const per = flops(480, 480);
    const below = Math.floor(SECOND_WORKER_MIN_FLOPS / per);
    expect(below * per).toBeLessThan(SECOND_WORKER_MIN_FLOPS);
    expect(warmPlanFor([plan(480, 480, below)], 2)).toEqual({
      plan: { threads: [1], largest: 480, onnxruntime: true },
      workers: 1,
    });
    expect(warmPlanFor([plan(480, 480, below + 1)], 2)).toEqual({
      plan: { threads: [1, 1], largest: 480, onnxruntime: true },
      workers: 2,
    });
    expect(warmPlanFor([plan(480, 480, below + 1)], 8)?.workers).toBe(8);
    // Never more workers than medium slices.
    expect(warmPlanFor([plan(20_000, 700)], 8)).toEqual({
      plan: { threads: [1], largest: 700, onnxruntime: true },
      workers: 1,
    });
    expect(flops(20_000, 700)).toBeGreaterThan(SECOND_WORKER_MIN_FLOPS);
  });

  it('medium matrices that all take the one-stage path: a worker, without onnxruntime', () => {
    // M-LSD large's shapes: 36× 128², 384×96, 4× 576×96.
    const mlsd = [plan(128, 128, 36), plan(384, 96), plan(576, 96, 4)];
    expect(mlsd.every((p) => p.status === 'analyze' && !usesTwoStage(p.rows, p.cols))).toBe(true);
    expect(warmPlanFor(mlsd, 2)).toEqual({ plan: { threads: [1], largest: 128, onnxruntime: false }, workers: 1 });
    // One matrix past either limit is enough to load it.
    const wide = ONE_STAGE_MAX_N + 1;
    const tall = Math.floor(ONE_STAGE_MAX_GRAM_WORK / (128 * 128)) + 1;
    expect(usesTwoStage(wide, wide) && usesTwoStage(tall, 128) && !usesTwoStage(tall - 1, 128)).toBe(true);
    expect(warmPlanFor([...mlsd, plan(wide, wide)], 2)?.plan.onnxruntime).toBe(true);
    expect(warmPlanFor([...mlsd, plan(128, tall)], 2)?.plan.onnxruntime).toBe(true);
    expect(warmPlanFor([...mlsd, plan(128, tall - 1)], 2)?.plan.onnxruntime).toBe(false);
  });

  it('one core: one worker, and no matrix is exclusive', () => {
    expect(warmPlanFor([plan(4096, 4096)], 1)).toEqual({
      plan: { threads: [1], largest: 4096, onnxruntime: true },
      workers: 1,
    });
  });
});

describe('onnxruntimePays: the two-stage path only for a model whose savings pay its start', () => {
  it('saves nothing where the one-stage path is taken, and grows with the work', () => {
    expect(twoStageSavingMs(256, 256)).toBe(0);
    expect(twoStageSavingMs(128, 1000)).toBe(0);
    const at480 = twoStageSavingMs(480, 480);
    // bench/README.md "Medium matrices": 26.4 vs 18.8 ms measured.
    expect(at480).toBeGreaterThan(3);
    expect(at480).toBeLessThan(15);
    expect(twoStageSavingMs(4320, 480)).toBeGreaterThan(at480);
    expect(twoStageSavingMs(480, 4320)).toBe(twoStageSavingMs(4320, 480));
  });

  it("PP-OCRv4 rec's medium matrices do not pay; ISNet-like ones and any M ≥ 1024 do", () => {
    const ppocr = [plan(480, 480, 3), plan(6625, 120), plan(240, 240, 4), plan(480, 240)];
    expect(onnxruntimePays(ppocr)).toBe(false);
    const enough = Math.ceil(ONNXRUNTIME_START_MS / twoStageSavingMs(480, 480));
    expect(onnxruntimePays([plan(480, 480, enough)])).toBe(true);
    expect(onnxruntimePays([plan(480, 480, enough - 1)])).toBe(false);
    expect(onnxruntimePays([...ppocr, plan(1024, 1024)])).toBe(true);
    expect(onnxruntimePays([plan(4096, 1023)])).toBe(true);
  });
});
