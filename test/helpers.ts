/** Shared test helpers: paths, the built CLI, and tolerance checks. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = join(ROOT, 'fixtures');
export const GENERATED = join(FIXTURES, 'generated');
export const REFERENCE = join(FIXTURES, 'reference');
export const SILERO = join(ROOT, 'node_modules', '@jjhbw', 'silero-vad', 'weights');
export const CLI = join(ROOT, 'bin', 'rmt-analyze.js');

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI (npm test builds first) with a clean colour environment. */
export function runCli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 120_000,
): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, COLUMNS: undefined, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** |actual − expected| ≤ rel·|expected| (or ≤ rel when expected is 0). */
export function expectRelClose(actual: number | null | undefined, expected: number, rel: number, what = ''): void {
  expect(actual, what).not.toBeNull();
  expect(actual, what).not.toBeUndefined();
  const tol = rel * Math.max(Math.abs(expected), expected === 0 ? 1 : 0);
  expect(Math.abs((actual as number) - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}
