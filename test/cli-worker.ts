/**
 * The built CLI run in one long-lived worker process (scripts/fuzz/worker.mjs, shared with
 * the fuzzer), for the hostile-input and hardening tests: each run reports its exit code,
 * stdout, stderr, time and the worker's peak RSS, so that memory ceilings are measured in a
 * child process, not in the test runner. Call at the top level of a test file.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { ROOT } from './helpers.js';

export interface CliOutcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  readonly maxRssMB: number;
}

export function cliWorker(): (args: string[]) => Promise<CliOutcome> {
  let worker: ChildProcess;
  let nextId = 0;
  beforeAll(async () => {
    worker = fork(join(ROOT, 'scripts', 'fuzz', 'worker.mjs'), [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    await new Promise((resolve) => worker.once('message', resolve));
  });
  afterAll(() => {
    worker.kill();
  });
  return (args) => {
    const id = nextId++;
    return new Promise((resolve) => {
      worker.once('message', (m) => resolve(m as CliOutcome));
      worker.send({ id, args });
    });
  };
}

/**
 * The bad-input contract on one outcome: exit 2, nothing on stdout, exactly one stderr line
 * that names `path` first and matches `cause`, and the worker's peak RSS under `maxRssMB`.
 */
export function expectRefused(r: CliOutcome, path: string, cause: RegExp, maxRssMB: number): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]!.startsWith(`rmt-analyze: ${path}: `), lines[0]).toBe(true);
  expect(lines[0]).toMatch(cause);
  expect(r.maxRssMB).toBeLessThan(maxRssMB);
}
