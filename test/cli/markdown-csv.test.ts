/**
 * Issue 15, item 11: Markdown and CSV that survive their readers. Names, rules and globs are
 * code spans (a glob's `*` is no italics) and other text escapes emphasis; the gate verdict
 * comes first; CSV gains the --randomize and --vectors columns when those ran.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED, REFERENCE, runCli } from '../helpers.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { reportOf, skippedLayer } from '../report-factory.js';
import type { AnalysisReport, AnalyzedLayer } from '../../src/index.js';

const DTYPES = join(GENERATED, 'safetensors', 'dtypes.safetensors');

describe('markdown', () => {
  it('the gate verdict first, its rules and globs as code spans', () => {
    const r = runCli([DTYPES, '--format', 'markdown', '--gate-layers', '*conv*', '--alpha-range', '5:6']);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`### rmt-analyze: \`${DTYPES}\``);
    expect(lines[2]).toBe('**Gate: ❌ failed** (1 violation in 1 layer)');
    expect(lines).toContain('| `conv.weight` | `alpha-range 5:6 for *conv*` | 3.22092 |');
    const verdict = lines.indexOf('**Gate: ❌ failed** (1 violation in 1 layer)');
    expect(verdict).toBeLessThan(lines.findIndex((l) => /^6 of 9 layers analysed/.test(l)));
    expect(verdict).toBeLessThan(lines.findIndex((l) => l.startsWith('| layer | kind |')));
  });

  it('text cells escape emphasis, code and link characters', () => {
    const md = renderMarkdown(reportOf([skippedLayer('a_b*c', "same values as '*x_y*' [z]")]));
    expect(md).toContain("| `a_b*c` | 64 | same values as '\\*x\\_y\\*' \\[z\\] |");
  });
});

describe('csv', () => {
  it('--randomize and --vectors add their columns, with the numbers of the JSON', () => {
    const args = [join(REFERENCE, 'synthetic.safetensors'), '--layers', 'a_gauss*', '--randomize', '--vectors'];
    const doc = JSON.parse(runCli([...args, '--json']).stdout) as AnalysisReport;
    const [head, ...rows] = runCli([...args, '--format', 'csv'])
      .stdout.trimEnd()
      .split('\n')
      .map((l) => l.split(','));
    for (const name of ['numTraps', 'trapsLambdaMaxRandom', 'trapsDistance', 'vectorsTailParticipationRatio'])
      expect(head).toContain(name);
    const col = (name: string) => rows.map((r) => r[head!.indexOf(name)]);
    const layers = doc.layers as AnalyzedLayer[];
    expect(col('numTraps')).toEqual(layers.map((l) => String(l.traps!.numTraps)));
    expect(col('trapsLambdaMaxRandom')).toEqual(layers.map((l) => String(l.traps!.lambdaMaxRandom)));
    expect(col('vectorsBulkParticipationRatio')).toEqual(layers.map((l) => String(l.vectors!.bulk.participationRatio)));
    expect(col('vectorsSplit')).toEqual(layers.map((l) => l.vectors!.split.by));
  });

  it('without them, no such columns', () => {
    const head = runCli([DTYPES, '--format', 'csv']).stdout.split('\n')[0]!;
    expect(head).not.toMatch(/traps|vectors/i);
  });
});
