/**
 * Issue 15, item 14: the library exports the renderers (pure functions of a report, the
 * CLI's own output) and `analyzeMatrix`, which gives an in-memory matrix the layer result a
 * file holding it gives.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  analyze,
  analyzeMatrix,
  renderCsv,
  renderGithub,
  renderHtml,
  renderMarkdown,
  renderTable,
  REPORTERS,
  type AnalyzedLayer,
  type LayerResult,
} from '../../src/index.js';
import { writeSafetensors } from '../../scripts/fixtures/safetensors-writer.js';
import { Rng } from '../generators/index.js';
import { GENERATED } from '../helpers.js';

const gaussianMatrix = (rows: number, cols: number, seed: number) => {
  const rng = new Rng(seed);
  return Array.from({ length: rows * cols }, () => rng.normal());
};
const tmp = mkdtempSync(join(tmpdir(), 'rmt-library-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('analyzeMatrix', () => {
  it('an in-memory Float32Array gives the layer a safetensors file with the same matrix gives', async () => {
    const values = Float32Array.from(gaussianMatrix(60, 40, 11));
    const file = join(tmp, 'one.safetensors');
    await writeSafetensors(file, [{ name: 'fc.weight', dtype: 'F32', shape: [60, 40], values }]);
    const fromFile = (await analyze([file], { eigenvalues: true })).layers[0]!;
    const inMemory = await analyzeMatrix(values, 60, 40, { name: 'fc.weight', eigenvalues: true });
    expect(inMemory.status).toBe('analyzed');
    expect(inMemory).toEqual(fromFile);
  });

  it('a Float64Array is analysed as float64; --randomize/--vectors options; too small is skipped with the reason', async () => {
    const values = Float64Array.from(gaussianMatrix(30, 20, 5));
    const layer = (await analyzeMatrix(values, 30, 20, { randomize: true, seed: 3, vectors: true })) as AnalyzedLayer;
    expect(layer).toMatchObject({ id: 'matrix', dtype: 'F64', kind: 'dense', N: 30, M: 20, model: 0 });
    expect(layer.traps?.seed).toBe(3);
    expect(layer.vectors?.dimension).toBe(20);
    const tiny: LayerResult = await analyzeMatrix(new Float32Array(12), 4, 3);
    expect(tiny).toMatchObject({ status: 'skipped', skipCode: 'too-few-eigenvalues' });
  });

  it('a size mismatch is a usage error', async () => {
    await expect(analyzeMatrix(new Float32Array(10), 3, 4)).rejects.toThrow(/10 values for a 3×4 matrix/);
    await expect(analyzeMatrix(new Float32Array(0), 0, 4)).rejects.toThrow(/rows must be a positive integer/);
  });
});

describe('renderers', () => {
  it('are the reporters the CLI uses, pure functions of a report', async () => {
    const report = await analyze([join(GENERATED, 'safetensors', 'dtypes.safetensors')]);
    expect(renderTable(report, { color: false })).toBe(REPORTERS.table(report, { color: false }));
    expect(renderTable(report, { color: false })).toMatch(/^layer\s+kind\s+shape/);
    expect(renderMarkdown(report)).toMatch(/^### rmt-analyze: /);
    expect(renderCsv(report).split('\n')[0]).toMatch(/^model,id,name,kind,/);
    expect(renderHtml(report)).toMatch(/^<!doctype html>/);
    expect(renderGithub(report)).toMatch(/^::group::rmt-analyze: /);
    expect(renderMarkdown(report)).toBe(renderMarkdown(report));
  });
});
