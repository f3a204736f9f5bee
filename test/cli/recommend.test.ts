/**
 * Issue 16, item 5 through the CLI: --prune and --lr-balance add `recommendations` to the
 * JSON (a valid v1 document) without changing the exit code; a shard part refuses them and
 * merge takes them, giving what the single run gives.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { GENERATED, ROOT, runCli } from '../helpers.js';
import type { AnalysisReport } from '../../src/index.js';

const MODEL = join(GENERATED, 'safetensors', 'sharded-lm');
const tmp = mkdtempSync(join(tmpdir(), 'rmt-recommend-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(
  JSON.parse(readFileSync(join(ROOT, 'schema', 'report.v1.schema.json'), 'utf8')),
);

describe('--prune and --lr-balance', () => {
  it('add recommendations to a valid document; the rest is unchanged', () => {
    const plain = runCli([MODEL, '--json']);
    const r = runCli([MODEL, '--json', '--prune', '0.5', '--prune-by', 'hill', '--lr-balance']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as AnalysisReport;
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    const { recommendations, ...rest } = doc;
    expect(rest).toEqual(JSON.parse(plain.stdout));
    expect(recommendations!.pruning).toMatchObject({ target: 0.5, epsilon: 0.3, alphaSource: 'hill' });
    expect(recommendations!.learningRate!.alphaSource).toBe('hill');
    const analysed = doc.layers.filter((l) => l.status === 'analyzed').length;
    expect(recommendations!.pruning!.layers).toHaveLength(analysed);
  });

  it('the table run says where the recommendations are', () => {
    const r = runCli([MODEL, '--prune', '0.5']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('--prune and --lr-balance write `recommendations` in the JSON output');
  });

  it.each([['0'], ['1'], ['x'], ['']])('--prune %j is a usage error', (v) => {
    const r = runCli([MODEL, '--prune', v]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--prune takes a number between 0 and 1/);
  });

  it('a shard part refuses them; merge of the parts gives the single run’s recommendations', () => {
    expect(runCli([MODEL, '--shard', '1/2', '--json', '--prune', '0.5']).stderr).toMatch(
      /need the whole model: give them to `rmt-analyze merge`/,
    );
    const parts = [1, 2].map((i) => {
      const file = join(tmp, `part-${i}.json`);
      writeFileSync(file, runCli([MODEL, '--shard', `${i}/2`, '--json']).stdout);
      return file;
    });
    const merged = runCli(['merge', ...parts, '--json', '--prune', '0.6', '--lr-balance']);
    expect(merged.code, merged.stderr).toBe(0);
    const single = runCli([MODEL, '--json', '--prune', '0.6', '--lr-balance']);
    expect(JSON.parse(merged.stdout).recommendations).toEqual(JSON.parse(single.stdout).recommendations);
  });
});
