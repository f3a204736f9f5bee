/**
 * The built CLI run asynchronously: tests that spawn it many times keep the test worker's
 * event loop free (spawnSync blocks it, and vitest's worker RPC times out), and can run
 * independent invocations side by side.
 */
import { execFile } from 'node:child_process';
import { CLI, ROOT, type CliRun } from './helpers.js';

export function runCliAsync(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd: options.cwd ?? ROOT,
        encoding: 'utf8',
        timeout: 120_000,
        maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...options.env },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
