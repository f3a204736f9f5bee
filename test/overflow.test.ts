/**
 * Finite weights whose squares overflow float64 (found by the fuzzer: a float64 tensor with
 * entries near 1e303) are skipped with the reason instead of failing the eigen-solver.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { analyze } from '../src/analyze.js';
import { writeSafetensors } from '../scripts/fixtures/safetensors-writer.js';
import { signedPermutedDiagonal } from '../scripts/fixtures/seeded.js';

const tmp = mkdtempSync(join(tmpdir(), 'rmt-overflow-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('a layer with entries too large to square is skipped; the others are analysed', async () => {
  const file = join(tmp, 'huge.safetensors');
  const sv = Array.from({ length: 10 }, (_, i) => i + 1);
  const huge = signedPermutedDiagonal(12, 10, sv, 1).map((x) => x * 1e300);
  const large = signedPermutedDiagonal(12, 10, sv, 2).map((x) => x * 1e100);
  await writeSafetensors(file, [
    { name: 'huge.weight', dtype: 'F64', shape: [12, 10], values: huge },
    { name: 'large.weight', dtype: 'F64', shape: [12, 10], values: large },
  ]);
  const report = await analyze([file]);
  expect(report.layers[0]).toMatchObject({
    status: 'skipped',
    skipCode: 'overflow',
    skipReason: 'entries too large for float64 spectra (max |w| = 1.00e+301)',
  });
  const ok = report.layers[1]!;
  expect(ok.status).toBe('analyzed');
  if (ok.status === 'analyzed') expect(ok.metrics.lambdaMax / 1e200).toBeCloseTo(100, 8);
});
