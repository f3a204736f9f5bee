/**
 * A failure while computing one layer (the solver throws, the worker thread dies, the tensor
 * cannot be re-read) is that layer's `failed` result with a code; the rest of the model is
 * still analysed with the same numbers, and the document still validates against schema v1.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../src/analyze.js';
import { WorkerCrash } from '../src/errors.js';
import { renderTable } from '../src/report/table.js';
import { evaluateGate } from '../src/gate.js';
import { eigenvaluesTs } from '../src/spectrum/eigen.js';
import type { EigenSolver } from '../src/esd.js';
import { writeSafetensors } from '../scripts/fixtures/safetensors-writer.js';
import { signedPermutedDiagonal } from '../scripts/fixtures/seeded.js';
import { ROOT } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'rmt-layer-failure-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Three 12×10 layers with known singular values 1..10 (times 1, 2, 3). */
async function threeLayers(): Promise<string> {
  const file = join(tmp, 'three.safetensors');
  const sv = Array.from({ length: 10 }, (_, i) => i + 1);
  await writeSafetensors(
    file,
    [1, 2, 3].map((k) => ({
      name: `l${k}.weight`,
      dtype: 'F64' as const,
      shape: [12, 10],
      values: signedPermutedDiagonal(
        12,
        10,
        sv.map((s) => s * k),
        k,
      ),
    })),
  );
  return file;
}

/** The TypeScript solver, except for the matrix whose largest entry is `poison` (the second layer). */
function failingOn(poison: number, error: () => Error): EigenSolver {
  return (W, rows, cols) => {
    if (W.some((v) => Math.abs(v) === poison)) throw error();
    return eigenvaluesTs(W, rows, cols);
  };
}

describe('a failure on one layer is that layer’s result', () => {
  it.each([
    ['solver', () => new Error('QL did not converge after 30 iterations')],
    ['worker', () => new WorkerCrash('spectrum worker exited with code 134')],
  ] as const)('%s: the layer fails with its code; the others are analysed exactly', async (code, error) => {
    const file = await threeLayers();
    const good = await analyze([file], { solve: eigenvaluesTs });
    const report = await analyze([file], { solve: failingOn(20, error) });
    expect(report.layers.map((l) => l.status)).toEqual(['analyzed', 'failed', 'analyzed']);
    expect(report.layers[1]).toMatchObject({
      id: 'l2.weight',
      status: 'failed',
      failure: { code, reason: error().message },
    });
    expect(report.layers[0]).toEqual(good.layers[0]);
    expect(report.layers[2]).toEqual(good.layers[2]);
    expect(report.summary).toMatchObject({ layers: 3, analyzed: 2, skipped: 0, failed: 1 });
    // Without failures the summary has no `failed` field (documents stay as they were).
    expect('failed' in good.summary).toBe(false);

    const ajv = new Ajv2020({ strict: true, allErrors: true });
    const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schema', 'report.v1.schema.json'), 'utf8')));
    expect(validate(JSON.parse(JSON.stringify(report))), JSON.stringify(validate.errors)).toBe(true);

    const table = renderTable(report, { color: false });
    expect(table).toContain(`failed (${code}): ${error().message}`);
    expect(table).toContain('2 of 3 layers analysed, 1 failed');
  });

  it('a failed layer cannot meet an expected phase; other rules pass over it', async () => {
    const report = await analyze([await threeLayers()], { solve: failingOn(20, () => new Error('boom')) });
    const gate = evaluateGate(report, [
      {
        kind: 'expect-phase',
        phases: ['random-like', 'bleeding-out', 'bulk+spikes', 'bulk-decay', 'heavy-tailed', 'rank-collapse'],
        scope: [],
      },
      { kind: 'fail-on-phase', phases: ['heavy-tailed'], scope: ['nothing'] },
    ]);
    expect(gate.failures).toEqual([
      { layer: 'l2.weight', model: 0, rule: expect.stringContaining('expect-phase'), value: 'failed' },
    ]);
  });
});
