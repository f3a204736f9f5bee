/**
 * Numerically degenerate layers (issue 3): NaN/Inf weights, an all-zero matrix, a constant
 * matrix, a 1×N matrix each get their own skipped/failed result with the reason; the rest
 * of the model is still analysed and the run exits 0.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { AnalysisReport, AnalyzedLayer } from '../src/index.js';
import { GENERATED, runCli } from './helpers.js';

it('degenerate layers are reported individually and the healthy one is analysed', () => {
  const r = runCli([join(GENERATED, 'safetensors', 'numerics.safetensors'), '--json']);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  const doc = JSON.parse(r.stdout) as AnalysisReport;
  const byName = new Map(doc.layers.map((l) => [l.name, l]));
  expect(byName.get('nan.weight')).toMatchObject({
    status: 'skipped',
    skipCode: 'non-finite',
    skipReason: 'contains 1 non-finite value (NaN or Inf)',
  });
  expect(byName.get('inf.weight')).toMatchObject({
    status: 'skipped',
    skipCode: 'non-finite',
    skipReason: 'contains 1 non-finite value (NaN or Inf)',
  });
  expect(byName.get('zero.weight')).toMatchObject({
    status: 'skipped',
    skipCode: 'all-zero',
    skipReason: 'all entries are zero',
  });
  expect(byName.get('row.weight')).toMatchObject({
    status: 'skipped',
    skipCode: 'no-spectrum',
    skipReason: '1×40 matrix (M = 1, no spectrum)',
  });

  // A constant matrix has rank 1: one eigenvalue 120·0.25² = 7.5, the rest exactly zero.
  const constant = byName.get('constant.weight') as AnalyzedLayer;
  expect(constant.status).toBe('analyzed');
  expect(constant.metrics.lambdaMax).toBeCloseTo(7.5, 12);
  expect(constant.metrics.rank).toBe(1);
  expect(constant.metrics.rankLoss).toBe(9);
  expect(constant.powerLaw).toEqual({
    status: 'failed',
    code: 'too-few-eigenvalues',
    reason: 'only 1 eigenvalue(s) above 0.00001',
  });
  expect(constant.metrics.alphaWeighted).toBeNull();

  const healthy = byName.get('healthy.weight') as AnalyzedLayer;
  expect(healthy.status).toBe('analyzed');
  expect(healthy.metrics.lambdaMax).toBeCloseTo(100, 10);
  expect(doc.summary).toMatchObject({ layers: 6, analyzed: 2, skipped: 4 });
});
