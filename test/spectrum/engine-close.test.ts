/**
 * Closing the engine while a worker is still loading onnxruntime (its warm-up) must not
 * abort the process: terminating a worker during native onnxruntime work throws a
 * Napi::Error at teardown and kills everything (seen as exit 134 on short runs). Each run
 * is a child process on the built package, so an abort shows as its exit code.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
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

it('short CLI runs that start the eigen workers all exit 0 (12 runs, 2 at a time)', { timeout: 180_000 }, async () => {
  // Without the graceful close about one run in five aborted here (exit 134).
  const { runCliAsync } = await import('../cli-async.js');
  const model = join(ROOT, 'fixtures', 'generated', 'safetensors', 'sharded-lm', 'model.safetensors.index.json');
  const codes: (number | null)[] = [];
  for (let i = 0; i < 6; i++) {
    const pair = await Promise.all([runCliAsync([model, '--json']), runCliAsync([model, '--json', '--jobs', '1'])]);
    codes.push(...pair.map((r) => r.code));
  }
  expect(codes).toEqual(new Array(12).fill(0));
});
