/**
 * src/spectrum/take-back.ts: while the calling thread says it is idle, it computes matrices
 * that wait for a worker itself (an engine with fewer workers than cores), one per turn of the
 * event loop, oldest first; a matrix whose turn comes first goes to its worker. Either way the
 * answer is the same to the bit, and a matrix whose route is two-stage is never taken. The
 * reverse: a small matrix the caller would compute itself goes to a worker that has room.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createSpectrumEngine } from '../../src/spectrum/index.js';
import { GIVE_AWAY_MIN_WORK } from '../../src/spectrum/engine.js';
import { eigenvaluesTs, usesTwoStage } from '../../src/spectrum/eigen.js';
import { TakeBack } from '../../src/spectrum/take-back.js';
import { Rng } from '../generators/rng.js';

function gaussian(rng: Rng, rows: number, cols: number): Float64Array {
  const W = new Float64Array(rows * cols);
  for (let i = 0; i < W.length; i++) W[i] = rng.normal();
  return W;
}

/** A grant the test opens by hand: tasks wait until `open()`. */
function manualGrant() {
  const tasks: (() => Promise<void>)[] = [];
  return {
    grant: (task: () => Promise<void>) => new Promise<void>((done, fail) => tasks.push(() => task().then(done, fail))),
    open: async () => {
      while (tasks.length > 0) await tasks.shift()!();
    },
  };
}

const turn = () => new Promise((ok) => setImmediate(ok));

describe('TakeBack', () => {
  it('an idle caller takes waiting matrices, oldest first, one per turn; their turn then runs nothing', async () => {
    const tb = new TakeBack();
    const { grant, open } = manualGrant();
    const ran: string[] = [];
    const a = tb.run(
      grant,
      async () => (ran.push('remote a'), 'a remote'),
      () => (ran.push('local a'), 'a local'),
    );
    const b = tb.run(
      grant,
      async () => (ran.push('remote b'), 'b remote'),
      () => (ran.push('local b'), 'b local'),
    );
    await turn();
    expect(ran).toEqual([]); // busy caller: nothing taken
    tb.callerIdle(true);
    await turn();
    expect(ran).toEqual(['local a']);
    expect(tb.waiting).toBe(1);
    await turn();
    expect(ran).toEqual(['local a', 'local b']);
    await open();
    expect(await Promise.all([a, b])).toEqual(['a local', 'b local']);
    expect(ran).toEqual(['local a', 'local b']);
  });

  it('a busy caller takes nothing: each matrix runs remotely when its turn comes', async () => {
    const tb = new TakeBack();
    const { grant, open } = manualGrant();
    const out = [1, 2, 3].map((i) =>
      tb.run(
        grant,
        async () => `remote ${i}`,
        () => `local ${i}`,
      ),
    );
    await turn();
    await open();
    expect(await Promise.all(out)).toEqual(['remote 1', 'remote 2', 'remote 3']);
    // Granted: none is left to take once the caller is idle.
    tb.callerIdle(true);
    expect(tb.waiting).toBe(0);
  });

  it('stops taking when the caller is busy again; a failure reaches the caller', async () => {
    const tb = new TakeBack();
    const { grant, open } = manualGrant();
    const bad = tb.run(
      grant,
      async () => 'remote',
      () => {
        throw new Error('local failed');
      },
    );
    const later = tb.run(
      grant,
      async () => 'remote later',
      () => 'local later',
    );
    tb.callerIdle(true);
    await expect(bad).rejects.toThrow('local failed');
    tb.callerIdle(false);
    await turn();
    await turn();
    expect(tb.waiting).toBe(1);
    await open();
    expect(await later).toBe('remote later');
  });
});

describe('the engine with one worker on two cores (compute.ts: a model of medium layers)', () => {
  const engine = createSpectrumEngine({ jobs: 1, handBack: true });
  afterAll(() => engine.close());
  const rng = new Rng(5);
  // Well conditioned: no accurate route, so 'caller' means taken, not handed back.
  const mats = [0, 1, 2, 3, 4, 5].map(() => gaussian(rng, 180, 140));

  it('an idle caller computes some of the queued one-stage matrices: the same bits as the worker', async () => {
    expect(usesTwoStage(180, 140)).toBe(false);
    engine.callerIdle(true);
    const idle = await Promise.all(mats.map((W) => engine.eigenvaluesResolved(W.slice(), 180, 140)));
    engine.callerIdle(false);
    const busy = await Promise.all(mats.map((W) => engine.eigenvaluesResolved(W.slice(), 180, 140)));
    expect(idle.map((r) => r.resolvedOn)).toContain('caller');
    expect(idle.map((r) => r.resolvedOn)).toContain('worker');
    expect(busy.every((r) => r.resolvedOn === 'worker')).toBe(true);
    for (const [i, W] of mats.entries()) {
      const expected = eigenvaluesTs(W.slice(), 180, 140);
      for (const r of [idle[i]!, busy[i]!]) {
        expect(r.resolved!.rank).toBe(140);
        expect(r.resolved!.ev.length).toBe(140);
        expect(r.resolved!.ev.every((v, j) => Object.is(v, expected[j]))).toBe(true);
      }
    }
  });

  it('the unresolved eigenvalue jobs too', async () => {
    engine.callerIdle(true);
    const out = await Promise.all(mats.map((W) => engine.eigenvalues(W.slice(), 180, 140)));
    engine.callerIdle(false);
    for (const [i, W] of mats.entries()) {
      const expected = eigenvaluesTs(W.slice(), 180, 140);
      expect(out[i]!.every((v, j) => Object.is(v, expected[j]))).toBe(true);
    }
  });

  it('a two-stage matrix is never taken: it waits for the worker (the caller has no onnxruntime)', async () => {
    expect(usesTwoStage(400, 300)).toBe(true);
    const W = gaussian(rng, 400, 300);
    engine.callerIdle(true);
    const out = await Promise.all([0, 1, 2, 3].map(() => engine.eigenvaluesResolved(W.slice(), 400, 300)));
    engine.callerIdle(false);
    expect(out.map((r) => r.resolvedOn)).toEqual(['worker', 'worker', 'worker', 'worker']);
    for (const r of out) expect(r.ev.every((v, j) => Object.is(v, out[0]!.ev[j]))).toBe(true);
  });
});

describe('small matrices given to a worker with room (engine.ts GIVE_AWAY_MIN_WORK)', () => {
  const rng = new Rng(8);
  const small = gaussian(rng, 90, 80); // M = 80 < 96, N·M² = 576000
  const tiny = gaussian(rng, 30, 20); // N·M² = 12000: never worth a round trip

  it('with a core of its own the caller gives them to an idle worker: the same bits as inline', async () => {
    expect(90 * 80 * 80).toBeGreaterThanOrEqual(GIVE_AWAY_MIN_WORK);
    const engine = createSpectrumEngine({ jobs: 1, handBack: true, warmUp: false });
    try {
      // No worker yet: none is started for a small matrix.
      const before = await engine.eigenvaluesResolved(small.slice(), 90, 80);
      expect(before.resolved).toBeUndefined();
      await engine.eigenvalues(gaussian(rng, 120, 100), 120, 100); // starts the worker
      const given = await engine.eigenvaluesResolved(small.slice(), 90, 80);
      expect(given.resolvedOn).toBe('worker');
      expect(given.resolved!.rank).toBe(80);
      const expected = eigenvaluesTs(small.slice(), 90, 80);
      expect(given.ev.every((v, j) => Object.is(v, expected[j]))).toBe(true);
      expect(before.ev.every((v, j) => Object.is(v, expected[j]))).toBe(true);
      // Below the work threshold: inline, as ever.
      expect((await engine.eigenvaluesResolved(tiny.slice(), 30, 20)).resolved).toBeUndefined();
      // A worker with no room: inline (two jobs in flight fill its budget).
      const busy = [0, 1].map(() => engine.eigenvalues(gaussian(rng, 300, 200), 300, 200));
      const inline = await engine.eigenvaluesResolved(small.slice(), 90, 80);
      expect(inline.resolved).toBeUndefined();
      expect(inline.ev.every((v, j) => Object.is(v, expected[j]))).toBe(true);
      await Promise.all(busy);
    } finally {
      await engine.close();
    }
  });

  it('without a core of its own (a worker per core) the caller computes them itself', async () => {
    const engine = createSpectrumEngine({ jobs: 1, warmUp: false });
    try {
      await engine.eigenvalues(gaussian(rng, 120, 100), 120, 100);
      expect((await engine.eigenvaluesResolved(small.slice(), 90, 80)).resolved).toBeUndefined();
    } finally {
      await engine.close();
    }
  });
});
