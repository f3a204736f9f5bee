/**
 * Issue 15, item 4: the table lists analysed (and failed) layers and counts the skipped ones
 * by reason in one line; --show-skipped lists them; JSON and CSV keep every layer; the HTML
 * index hides skipped rows behind a toggle (checked with --show-skipped).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GENERATED, runCli } from '../helpers.js';
import type { AnalysisReport } from '../../src/index.js';

const DTYPES = join(GENERATED, 'safetensors', 'dtypes.safetensors');
const TIED = join(GENERATED, 'safetensors', 'tied.safetensors');
const SKIPPED = ['dense.f32.bias', 'ln_f.weight', 'tiny.weight'];
const tmp = mkdtempSync(join(tmpdir(), 'rmt-skipped-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const rowNames = (table: string) =>
  table
    .split('\n')
    .slice(1)
    .map((l) => l.split(' ')[0]!);

describe('skipped layers', () => {
  it('the table counts them by reason in one line; --show-skipped lists them', () => {
    const r = runCli([DTYPES]);
    expect(r.code).toBe(0);
    const names = rowNames(r.stdout);
    for (const s of SKIPPED) expect(names).not.toContain(s);
    expect(names).toContain('conv.weight');
    expect(r.stdout).toContain('\n3 skipped: 1 bias, 1 norm, 1 too-few-eigenvalues (--show-skipped lists them)\n');
    const all = runCli([DTYPES, '--show-skipped']);
    expect(rowNames(all.stdout)).toEqual(expect.arrayContaining(SKIPPED));
    expect(all.stdout).not.toMatch(/--show-skipped lists them/);
    expect(all.stdout).toMatch(/^6 of 9 layers analysed, 3 skipped/m);
  });

  it('with several models, a count line under each model', () => {
    const r = runCli([DTYPES, TIED]);
    const lines = r.stdout.split('\n');
    const tied = lines.indexOf('1 skipped: 1 tied (--show-skipped lists them)');
    expect(tied).toBeGreaterThan(lines.indexOf(TIED));
    expect(lines.indexOf('3 skipped: 1 bias, 1 norm, 1 too-few-eigenvalues (--show-skipped lists them)')).toBeLessThan(
      lines.indexOf(TIED),
    );
  });

  it('JSON and CSV keep every layer', () => {
    const doc = JSON.parse(runCli([DTYPES, '--json']).stdout) as AnalysisReport;
    expect(doc.layers.filter((l) => l.status === 'skipped').map((l) => l.id)).toEqual(SKIPPED);
    const csv = runCli([DTYPES, '--format', 'csv']).stdout.trimEnd().split('\n');
    expect(csv).toHaveLength(1 + 9);
    for (const s of SKIPPED) expect(csv.some((row) => row.startsWith(`${s},`) || row.includes(`,${s},`))).toBe(true);
  });

  it('the HTML index hides skipped rows behind a toggle, checked with --show-skipped', () => {
    const file = join(tmp, 'r.html');
    expect(runCli([DTYPES, '--report', file]).code).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain(
      '<input type="checkbox" id="ss"><label for="ss"> show the 3 skipped: 1 bias, 1 norm, 1 too-few-eigenvalues</label>',
    );
    expect(html.match(/<tr class="skip sk">/g)).toHaveLength(3);
    expect(html).toContain('#ss:not(:checked)~.idx tr.sk{display:none}');
    expect(runCli([DTYPES, '--report', file, '--show-skipped']).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('<input type="checkbox" id="ss" checked>');
  });
});
