/**
 * src/esd.ts: a conv layer's slices are handed to the engine one ahead (sliceLookahead): slice
 * s+1 is posted before slice s is awaited, never more than two at once, and the pooled
 * spectrum and rank are those of one slice at a time, whatever order the answers come in. A
 * slice ahead that fails makes the layer fail with its error, not an unhandled rejection.
 */
import { describe, expect, it } from 'vitest';
import { computeEsd, sliceLookahead, type SliceSolver } from '../src/esd.js';
import { planLayers, type MatrixPlan } from '../src/matrices.js';
import { EXCLUSIVE_N, QUEUED_MAX_BYTES } from '../src/spectrum/index.js';
import { eigenvaluesTs } from '../src/spectrum/eigen.js';
import type { TensorRef } from '../src/types.js';
import { Rng } from './generators/rng.js';

/** The plan of a [out, in, 3, 3] convolution (nine out×in slices). */
function convPlan(out: number, inp: number): MatrixPlan {
  const tensor = { name: 'conv.weight', shape: [out, inp, 3, 3], dtype: 'F32' } as unknown as TensorRef;
  const plan = planLayers(tensor, 10)[0]!;
  if (plan.status !== 'analyze') throw new Error('not analysed');
  return plan;
}

describe('sliceLookahead', () => {
  it('one ahead for small slices of a multi-slice layer, none otherwise', () => {
    expect(sliceLookahead(512, 512, 9)).toBe(1);
    expect(sliceLookahead(512, 512, 1)).toBe(0);
    expect(sliceLookahead(EXCLUSIVE_N, EXCLUSIVE_N, 9)).toBe(0);
    expect(sliceLookahead(1100, 1000, 9)).toBe(0);
    expect(1100 * 1000 * 8).toBeGreaterThan(QUEUED_MAX_BYTES);
  });
});

describe('computeEsd with a slice solver', () => {
  const plan = convPlan(40, 30);
  const rng = new Rng(12);
  const values = Float64Array.from({ length: 40 * 30 * 9 }, () => rng.normal());

  it('posts slice s+1 before slice s is answered, at most two at once; the same spectrum and rank', async () => {
    const pending: { resolve: () => void; s: number }[] = [];
    let posted = 0;
    let most = 0;
    const solveSlice: SliceSolver = (W, rows, cols) => {
      const s = posted++;
      most = Math.max(most, pending.length + 1);
      const ev = eigenvaluesTs(W.slice(), rows, cols);
      return new Promise((ok) => pending.push({ s, resolve: () => ok({ ev }) }));
    };
    const run = computeEsd(values, plan, { solveSlice, unscaled: true });
    // Answer the newest first whenever two are waiting: out of order.
    while (posted < 9 || pending.length > 0) {
      await new Promise((r) => setImmediate(r));
      const next = pending.length > 1 ? pending.splice(1, 1)[0] : pending.shift();
      next?.resolve();
    }
    const got = await run;
    expect(most).toBe(2);
    const one = await computeEsd(values, plan, { solve: (W, r, c) => eigenvaluesTs(W, r, c), unscaled: true });
    expect(got.rank).toBe(one.rank);
    expect(got.evals.length).toBe(30 * 9);
    expect(got.evals.every((v, i) => Object.is(v, one.evals[i]))).toBe(true);
  });

  it('a slice ahead that fails fails the layer with its error', async () => {
    let calls = 0;
    const solveSlice: SliceSolver = async (W, rows, cols) => {
      const s = calls++;
      if (s === 3) throw new Error('worker lost slice 3');
      return { ev: eigenvaluesTs(W.slice(), rows, cols) };
    };
    await expect(computeEsd(values, plan, { solveSlice, unscaled: true })).rejects.toThrow('worker lost slice 3');
    // Slices 0–3, and slice 4, posted one ahead while slice 3 was still out.
    expect(calls).toBe(5);
  });
});
