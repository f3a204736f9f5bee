/**
 * Workers started ahead of time (src/spectrum/spawn.ts) are the ones the engine uses, give
 * the same eigenvalues as workers it starts itself, and keep no process alive when unused.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSpectrumEngine } from '../../src/spectrum/engine.js';
import { eigenvaluesTs } from '../../src/spectrum/eigen.js';
import { prestartWorkers, takePrestarted } from '../../src/spectrum/spawn.js';
import { Rng } from '../generators/rng.js';
import { ROOT } from '../helpers.js';

function gaussian(rows: number, cols: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: rows * cols }, () => rng.normal());
}

describe('prestarted spectrum workers', () => {
  it('the engine adopts them and its eigenvalues are those of the TypeScript path (1e-12·λmax)', async () => {
    prestartWorkers(2);
    const engine = createSpectrumEngine({ jobs: 2, warmUp: { threads: [1, 1], largest: 160 } });
    try {
      // Both were adopted by the warm-up: none is left for anyone else.
      expect(takePrestarted()).toBeUndefined();
      const shapes: [number, number][] = [
        [300, 160],
        [128, 200],
      ];
      const got = await Promise.all(shapes.map(([r, c], i) => engine.eigenvalues(gaussian(r, c, i + 1), r, c)));
      for (const [i, [r, c]] of shapes.entries()) {
        const want = eigenvaluesTs(gaussian(r, c, i + 1), r, c);
        const top = want[want.length - 1]!;
        expect(got[i]!.length).toBe(want.length);
        for (let k = 0; k < want.length; k++) expect(Math.abs(got[i]![k]! - want[k]!)).toBeLessThan(1e-12 * top);
      }
    } finally {
      await engine.close();
    }
  });

  it('a process whose prestarted workers were never used still exits at once, with its own status', () => {
    const script = `import('${join(ROOT, 'dist', 'spectrum', 'spawn.js')}').then((m) => { m.prestartWorkers(2); process.exitCode = 3; });`;
    const started = Date.now();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(3);
    expect(r.stderr).toBe('');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
