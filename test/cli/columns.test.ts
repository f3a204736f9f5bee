/**
 * Issue 16, item 4: per-layer Hill α, α̂ (alpha-weighted) and log α-norm in the table behind
 * `--columns`; each cell is the JSON's number, rendered the same by `render`; unknown names
 * are a usage error.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GENERATED, runCli } from '../helpers.js';
import type { AnalysisReport, AnalyzedLayer } from '../../src/index.js';

const MODEL = join(GENERATED, 'lora', 'base.safetensors');
const tmp = mkdtempSync(join(tmpdir(), 'rmt-columns-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The table's rows as cells split on runs of two or more spaces. */
const rowsOf = (table: string) => table.split('\n').map((line) => line.trim().split(/ {2,}/));

describe('--columns', () => {
  const json = runCli([MODEL, '--json']);
  const doc = JSON.parse(json.stdout) as AnalysisReport;
  const layers = doc.layers.filter((l): l is AnalyzedLayer => l.status === 'analyzed');

  it('hill, alpha-weighted, log-alpha-norm: one column each, holding the JSON’s numbers', () => {
    const r = runCli([MODEL, '--columns', 'hill,alpha-weighted', '--columns', 'log-alpha-norm']);
    expect(r.code, r.stderr).toBe(0);
    const rows = rowsOf(r.stdout);
    const header = rows[0]!;
    const at = (title: string) => header.indexOf(title);
    expect([at('α Hill'), at('α̂'), at('log α-norm')].every((i) => i > 0)).toBe(true);
    expect(layers.length).toBeGreaterThan(3);
    for (const l of layers) {
      const row = rows.find((cells) => cells[0] === l.id)!;
      expect(Number(row[at('α Hill')])).toBeCloseTo(l.hill!.alpha!, 2);
      expect(Number(row[at('α̂')])).toBeCloseTo(l.metrics.alphaWeighted!, 2);
      expect(Number(row[at('log α-norm')])).toBeCloseTo(l.metrics.logAlphaNorm!, 2);
    }
    // Hill α is the formula on the layer's eigenvalues.
    const withEvals = JSON.parse(runCli([MODEL, '--json', '--eigenvalues']).stdout) as AnalysisReport;
    for (const l of withEvals.layers as AnalyzedLayer[]) {
      if (l.status !== 'analyzed') continue;
      const ev = l.eigenvalues!;
      const i = Math.floor(ev.length / 2);
      const direct = 1 + (ev.length - i) / ev.slice(i).reduce((s, x) => s + Math.log(x / ev[i]!), 0);
      expect(Math.abs(l.hill!.alpha! - direct) / direct).toBeLessThan(1e-12);
    }
  });

  it('without --columns the table is unchanged; render gives the same columns', () => {
    expect(runCli([MODEL]).stdout).not.toContain('α Hill');
    const saved = join(tmp, 'saved.json');
    writeFileSync(saved, json.stdout);
    const rendered = runCli(['render', saved, '--columns', 'hill']);
    expect(rendered.code, rendered.stderr).toBe(0);
    expect(rendered.stdout).toBe(runCli([MODEL, '--columns', 'hill']).stdout);
  });

  it('an unknown column is a usage error naming the choices', () => {
    const r = runCli([MODEL, '--columns', 'hil']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/expected some of hill, alpha-weighted, log-alpha-norm; got 'hil'/);
  });
});
