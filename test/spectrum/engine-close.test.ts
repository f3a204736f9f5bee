/**
 * Closing the engine while a worker is still in native onnxruntime work (its warm-up, or a
 * job) must not abort the process: terminating a worker then throws a Napi::Error at
 * teardown and kills everything (seen as exit 134 on about one short run in five, fixed in
 * 80b47a6: the engine asks the worker to finish and waits for its exit).
 *
 * The race itself is forced with hand-driven stand-ins (the engine's createWorker, the
 * worker's port and native work), so the interleaving that broke — close() while a worker
 * is busy — happens on every run, on both sides of the protocol.
 * The child processes below check the same on real workers and the built package.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { createSpectrumEngine, type EngineWorker } from '../../src/spectrum/index.js';
import type { OrtBackend } from '../../src/spectrum/ort.js';
import {
  serveSpectrum,
  type CloseMessage,
  type JobMessage,
  type ResultMessage,
  type WarmMessage,
  type WorkerPort,
} from '../../src/spectrum/worker.js';
import { ROOT } from '../helpers.js';

const script = `
  const { createSpectrumEngine } = await import(${JSON.stringify(join(ROOT, 'dist', 'spectrum', 'index.js'))});
  const [rows, cols, delay] = process.argv.slice(2).map(Number);
  const engine = createSpectrumEngine({ jobs: 2 });
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  const matrix = () => Float64Array.from({ length: rows * cols }, (_, i) => Math.sin(i));
  let n = 0;
  // Two at once: with jobs 2 they run side by side, the second on a worker of its own.
  if (rows > 0) n = Math.min(...(await Promise.all([engine.eigenvalues(matrix(), rows, cols), engine.eigenvalues(matrix(), rows, cols)])).map((e) => e.length));
  await engine.close();
  console.log(n);
`;

const dir = mkdtempSync(join(tmpdir(), 'rmt-engine-'));
const file = join(dir, 'close.mjs');
writeFileSync(file, script);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it.each([
  ['no matrix at all', 0, 0, 0],
  ['no matrix, after 30 ms', 0, 0, 30],
  ['a small matrix computed inline', 40, 30, 0],
  ['a small matrix, after 10 ms', 40, 30, 10],
  ['a matrix for the worker', 200, 120, 0],
])('close during or after warm-up (%s) ends cleanly', (_what, rows, cols, delay) => {
  const r = spawnSync(process.execPath, [file, String(rows), String(cols), String(delay)], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout.trim()).toBe(String(Math.min(rows, cols)));
});

/** A worker that does nothing until the test says so, and records what the engine asks of it. */
class HeldWorker extends EventEmitter implements EngineWorker {
  readonly received: (JobMessage | WarmMessage | CloseMessage)[] = [];
  /** Set when the engine kills the thread instead of letting it wind down. */
  terminatedWhileBusy = false;
  exited = false;

  postMessage(message: JobMessage | WarmMessage | CloseMessage): void {
    this.received.push(message);
  }
  ref(): void {}
  unref(): void {}
  /** Not part of EngineWorker: present so that an engine calling it again is caught, not a TypeError. */
  terminate(): Promise<number> {
    if (!this.exited) this.terminatedWhileBusy = true;
    return Promise.resolve(1);
  }
  kinds(): string[] {
    return this.received.map((m) => m.type);
  }
  /** The worker's side of CloseMessage: native work done, sessions released, thread ends. */
  windDown(): void {
    this.exited = true;
    this.emit('message', { closed: true });
    this.emit('exit', 0);
  }
  answer(values: Float64Array): void {
    const job = this.received.find((m): m is JobMessage => m.type === 'job')!;
    const msg: ResultMessage = { id: job.id, ok: true, values, backend: 'onnxruntime' };
    this.emit('message', msg);
  }
}

const settle = () => new Promise<void>((r) => setImmediate(r));

function heldEngine(jobs: number) {
  const workers: HeldWorker[] = [];
  const engine = createSpectrumEngine({
    jobs,
    createWorker: () => {
      const w = new HeldWorker();
      workers.push(w);
      return w;
    },
  });
  return { engine, workers };
}

describe('close() with a worker still busy (the interleaving that aborted)', () => {
  it('during the warm-up: asks the worker to finish and waits for its exit, never terminates it', async () => {
    const { engine, workers } = heldEngine(2);
    expect(workers.map((w) => w.kinds())).toEqual([['warm']]);
    let closed = false;
    const closing = engine.close().then(() => (closed = true));
    await settle();
    const [w] = workers;
    expect(w!.terminatedWhileBusy).toBe(false);
    expect(w!.kinds()).toEqual(['warm', 'close']);
    expect(closed).toBe(false);
    w!.windDown();
    await closing;
    expect(closed).toBe(true);
  });

  it('with matrices on two workers: waits for both results, then winds both down', async () => {
    const { engine, workers } = heldEngine(2);
    const matrix = () => new Float64Array(120 * 100).fill(1);
    const results = [engine.eigenvalues(matrix(), 120, 100), engine.eigenvalues(matrix(), 120, 100)];
    await settle();
    expect(workers.map((w) => w.kinds())).toEqual([['warm', 'job'], ['job']]);
    let closed = false;
    const closing = engine.close().then(() => (closed = true));
    await settle();
    // Jobs under way: nothing is closed or terminated yet.
    expect(workers.map((w) => w.kinds())).toEqual([['warm', 'job'], ['job']]);
    workers[1]!.answer(Float64Array.of(1));
    await settle();
    expect(workers.map((w) => w.kinds())).toEqual([['warm', 'job'], ['job']]);
    workers[0]!.answer(Float64Array.of(2));
    await settle();
    expect(await Promise.all(results)).toEqual([Float64Array.of(2), Float64Array.of(1)]);
    expect(workers.map((w) => w.kinds())).toEqual([
      ['warm', 'job', 'close'],
      ['job', 'close'],
    ]);
    expect(workers.some((w) => w.terminatedWhileBusy)).toBe(false);
    workers[0]!.windDown();
    await settle();
    expect(closed).toBe(false);
    workers[1]!.windDown();
    await closing;
    expect(closed).toBe(true);
  });
});

describe("the worker's side: close waits for native work under way", () => {
  it('a warm-up in progress finishes before sessions are released and the thread ends', async () => {
    const events: string[] = [];
    let onMessage: ((m: JobMessage | WarmMessage | CloseMessage) => void) | undefined;
    const port: WorkerPort = {
      on: (_event, listener) => (onMessage = listener),
      postMessage: (m) => events.push('closed' in m ? 'posted closed' : 'posted result'),
      close: () => events.push('port closed'),
    };
    let finishWarmUp: () => void = () => {};
    const backend = { close: async () => void events.push('sessions released') } as unknown as OrtBackend;
    serveSpectrum(port, {
      load: () => backend,
      warmUp: () => {
        events.push('warm-up started');
        return new Promise<void>((r) => (finishWarmUp = r));
      },
    });
    onMessage!({ type: 'warm', threads: 2 });
    onMessage!({ type: 'close' });
    await settle();
    // Still inside onnxruntime: nothing may be released or ended yet.
    expect(events).toEqual(['warm-up started']);
    events.push('warm-up done');
    finishWarmUp();
    await settle();
    expect(events).toEqual(['warm-up started', 'warm-up done', 'sessions released', 'posted closed', 'port closed']);
  });
});
