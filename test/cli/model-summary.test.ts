/**
 * Issue 15, item 6: with several models each gets its own summary (`models[i].summary`, the
 * shape of the top-level one and equal to that model's own run), a summary line per model in
 * the table, and per-model α histograms in the HTML report; shard parts still merge.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { GENERATED, ROOT, runCli } from '../helpers.js';
import type { AnalysisReport, ReadModel } from '../../src/index.js';

const DTYPES = join(GENERATED, 'safetensors', 'dtypes.safetensors');
const TIED = join(GENERATED, 'safetensors', 'tied.safetensors');
const json = (args: string[]) => JSON.parse(runCli([...args, '--json']).stdout) as AnalysisReport;
const tmp = mkdtempSync(join(tmpdir(), 'rmt-model-summary-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('per-model summaries', () => {
  it('each model of several has the summary its own run gives; one model has none', () => {
    const doc = json([DTYPES, TIED]);
    const [a, b] = doc.models as ReadModel[];
    expect(a!.summary).toEqual(json([DTYPES]).summary);
    expect(b!.summary).toEqual(json([TIED]).summary);
    expect(Object.keys(a!.summary!)).toEqual(Object.keys(doc.summary));
    expect(a!.summary!.meanAlpha).not.toBe(b!.summary!.meanAlpha);
    expect((json([DTYPES]).models[0] as ReadModel).summary).toBeUndefined();
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schema', 'report.v1.schema.json'), 'utf8')));
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
  });

  it('a summary line under each model in the table', () => {
    const lines = runCli([DTYPES, TIED]).stdout.split('\n');
    const line = (n: string) => lines.findIndex((l) => l.startsWith(n));
    const a = line('6 of 9 layers analysed, 3 skipped: random-like 6; mean α 2.9,');
    const b = line('1 of 2 layers analysed, 1 skipped: random-like 1; mean α 2.84,');
    expect(a).toBeGreaterThan(lines.indexOf(DTYPES));
    expect(a).toBeLessThan(lines.indexOf(TIED));
    expect(b).toBeGreaterThan(lines.indexOf(TIED));
    expect(lines).toContain('7 of 11 layers analysed, 4 skipped: random-like 7');
  });

  it('the HTML report has an α histogram per model besides the pooled one', () => {
    const html = runCli([DTYPES, TIED, '--format', 'html']).stdout;
    expect(html.match(/<svg class="plot alpha-hist"/g)).toHaveLength(3);
    expect(html).toContain(`<title>α across layers — ${TIED}</title>`);
    expect(runCli([DTYPES, '--format', 'html']).stdout.match(/<svg class="plot alpha-hist"/g)).toHaveLength(1);
  });

  it('shard parts of several models merge into the single run, summaries included', () => {
    const parts = ['1/2', '2/2'].map((s, i) => {
      const file = join(tmp, `part-${i}.json`);
      writeFileSync(file, runCli([DTYPES, TIED, '--json', '--shard', s]).stdout);
      return file;
    });
    const merged = runCli(['merge', ...parts, '--json']);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toBe(runCli([DTYPES, TIED, '--json']).stdout);
  });
});
