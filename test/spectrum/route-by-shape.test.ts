/**
 * Issue 14, item 4: a medium matrix takes whichever path measured faster for its shape
 * (eigen.ts usesTwoStage: one-stage WebAssembly up to M = ONE_STAGE_MAX_N and Gram work
 * N·M² = ONE_STAGE_MAX_GRAM_WORK, two-stage onnxruntime beyond) when its model pays for
 * onnxruntime's start (compute.ts onnxruntimePays: test/warm-plan.test.ts), a choice made on
 * the whole model so that a selection gets the same numbers; a worker loads onnxruntime only
 * for the first job or warm-up that needs it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeSafetensors } from '../../scripts/fixtures/safetensors-writer.js';
import { runCli } from '../helpers.js';
import {
  eigenvaluesTs,
  eigenvaluesWith,
  ONE_STAGE_MAX_GRAM_WORK,
  ONE_STAGE_MAX_N,
  TWO_STAGE_MIN_N,
  usesTwoStage,
} from '../../src/spectrum/eigen.js';
import { OrtBackend } from '../../src/spectrum/ort.js';
import { createRng } from '../../src/random.js';
import { serveSpectrum, type JobMessage, type ResultMessage, type WarmMessage } from '../../src/spectrum/worker.js';

function gaussian(rows: number, cols: number, seed: number): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: rows * cols }, () => rng.nextGaussian());
}

describe('usesTwoStage', () => {
  it('is decided by min(rows, cols) and the Gram work, whichever way W lies', () => {
    const limitRows = Math.floor(ONE_STAGE_MAX_GRAM_WORK / (128 * 128));
    const cases: [number, number, boolean][] = [
      [TWO_STAGE_MIN_N - 1, 100_000, false],
      [TWO_STAGE_MIN_N, TWO_STAGE_MIN_N, false],
      [ONE_STAGE_MAX_N, ONE_STAGE_MAX_N, false],
      [ONE_STAGE_MAX_N + 1, ONE_STAGE_MAX_N + 1, true],
      [limitRows, 128, false],
      [limitRows + 1, 128, true],
      [480, 480, true],
      [6625, 120, true],
    ];
    for (const [rows, cols, two] of cases) {
      expect(usesTwoStage(rows, cols), `${rows}×${cols}`).toBe(two);
      expect(usesTwoStage(cols, rows), `${cols}×${rows}`).toBe(two);
    }
  });
});

const ort = OrtBackend.load(1);
const backend = ort instanceof OrtBackend ? ort : undefined;
afterAll(() => backend?.close());

describe.skipIf(!backend)('eigenvaluesWith takes the path usesTwoStage picks (bit for bit)', () => {
  for (const [rows, cols] of [
    [200, 200],
    [256, 256],
    [257, 257],
    [1024, 128],
    [128, 4097],
  ] as const) {
    it(`${rows}×${cols}`, async () => {
      const W = gaussian(rows, cols, rows + cols);
      const got = await eigenvaluesWith(backend!, W.slice(), rows, cols);
      const oneStage = eigenvaluesTs(W.slice(), rows, cols);
      const twoStage = await eigenvaluesWith(backend!, W.slice(), rows, cols, { minTwoStage: 0 });
      expect(got).toEqual(usesTwoStage(rows, cols) ? twoStage : oneStage);
      // Either path: the same spectrum to ~1e-15·λ_max (the paths' stated agreement).
      const top = oneStage[oneStage.length - 1]!;
      for (let i = 0; i < got.length; i++) expect(Math.abs(oneStage[i]! - twoStage[i]!)).toBeLessThan(1e-13 * top);
    });
  }
});

describe("a worker loads onnxruntime only when a job's shape needs it", () => {
  /** A worker served in-process; its native loader counts loads and hands back no backend. */
  function worker() {
    let onMessage: ((m: JobMessage | WarmMessage) => void) | undefined;
    const results: ResultMessage[] = [];
    let loads = 0;
    serveSpectrum(
      {
        on: (_event, listener) => (onMessage = listener as typeof onMessage),
        postMessage: (m) => void (!('closed' in m) && results.push(m)),
        close: () => {},
      },
      {
        load: () => {
          loads++;
          return { unavailable: 'stand-in' };
        },
        warmUp: async () => {},
      },
    );
    let id = 0;
    const job = async (rows: number, cols: number) => {
      const before = results.length;
      const W = gaussian(rows, cols, ++id);
      onMessage!({ type: 'job', id, W, rows, cols, threads: 1, useOrt: true, collect: false });
      while (results.length === before) await new Promise((r) => setImmediate(r));
      return results[before]!;
    };
    return { send: (m: WarmMessage) => onMessage!(m), job, loads: () => loads };
  }

  it('a warm-up for one-stage matrices only, and their jobs, load nothing', async () => {
    const w = worker();
    w.send({ type: 'warm', threads: 1, largest: 128, onnxruntime: false });
    expect(w.loads()).toBe(0);
    const r = await w.job(128, 128);
    expect(r).toMatchObject({ ok: true, backend: 'typescript' });
    expect('note' in r).toBe(false);
    expect(w.loads()).toBe(0);
    await w.job(1024, 128);
    expect(w.loads()).toBe(0);
  });

  it('the first two-stage job loads it (once); a warm-up that needs it loads it at once', async () => {
    const w = worker();
    await w.job(128, 128);
    expect(w.loads()).toBe(0);
    expect(await w.job(300, 300)).toMatchObject({ ok: true, backend: 'typescript', note: 'stand-in' });
    expect(w.loads()).toBe(1);
    await w.job(260, 300);
    expect(w.loads()).toBe(1);
    const v = worker();
    v.send({ type: 'warm', threads: 1, largest: 480 });
    expect(v.loads()).toBe(1);
  });
});

describe('a selection computes a layer exactly as the whole run does', () => {
  // A 1024² layer makes the model pay for onnxruntime, so its 480² layer takes the
  // two-stage path; selected alone, the 480² layer still does (a model of it alone would not).
  const dir = mkdtempSync(join(tmpdir(), 'rmt-route-'));
  const model = join(dir, 'two-layers.safetensors');
  const layer = (name: string, rows: number, cols: number) => {
    const rng = createRng(rows * 7 + cols);
    return {
      name,
      dtype: 'F32' as const,
      shape: [rows, cols],
      values: Array.from({ length: rows * cols }, () => rng.nextGaussian()),
    };
  };
  writeFileSync(model, encodeSafetensors([layer('big', 1024, 1024), layer('medium', 480, 480)]));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--layers medium: the same JSON for that layer as in the whole run', () => {
    const whole = runCli([model, '--json']);
    const one = runCli([model, '--json', '--layers', 'medium']);
    expect([whole.code, one.code]).toEqual([0, 0]);
    const pick = (out: string) => JSON.parse(out).layers.find((l: { name: string }) => l.name === 'medium');
    expect(pick(one.stdout)).toEqual(pick(whole.stdout));
    expect(pick(one.stdout).status).toBe('analyzed');
  }, 120_000);
});
