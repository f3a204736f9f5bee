/**
 * --format table|json|csv|markdown|github: the CSV parses back to the JSON's numbers, the
 * Markdown is a well-formed GFM table, the GitHub format's workflow commands are one per gate
 * failure and escaped. Reporters are pure, so the escaping cases use synthetic reports.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED, runCli } from './helpers.js';
import { PHASE_NAMES, type AnalysisReport, type AnalyzedLayer } from '../src/index.js';
import { renderCsv } from '../src/report/csv.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { renderGithub } from '../src/report/github.js';
import { evaluateGate } from '../src/gate.js';
import { REPORT_FORMATS } from '../src/report/index.js';
import { analyzedLayer, reportOf, skippedLayer } from './report-factory.js';

const DTYPES = join(GENERATED, 'safetensors', 'dtypes.safetensors');
const ALL = PHASE_NAMES.join(',');

/** RFC 4180 parser (quoted fields, doubled quotes, newlines inside quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** A GFM table starting at line `at`: header, delimiter row, body rows; every row with the same cell count. */
function gfmTable(lines: string[], at: number): string[][] {
  const cells = (l: string) =>
    l
      .slice(2, -2)
      .split(/(?<!\\) \| /)
      .map((c) => c.trim());
  const rows: string[][] = [];
  for (let i = at; i < lines.length && lines[i]!.startsWith('| '); i++) {
    expect(lines[i]!.endsWith(' |'), lines[i]).toBe(true);
    rows.push(cells(lines[i]!));
  }
  expect(rows.length).toBeGreaterThanOrEqual(2);
  expect(rows[1]!.every((c) => /^:?-{3,}:?$/.test(c))).toBe(true);
  for (const r of rows) expect(r.length).toBe(rows[0]!.length);
  return rows;
}

describe('--format choices', () => {
  it('include table, json, csv, markdown, github; --json is json', () => {
    expect(REPORT_FORMATS).toEqual(expect.arrayContaining(['table', 'json', 'csv', 'markdown', 'github']));
    expect(runCli([DTYPES, '--json']).stdout).toBe(runCli([DTYPES, '--format', 'json']).stdout);
  });
});

describe('csv', () => {
  it('one row per layer with the JSON’s numbers at full precision; empty cells where nothing applies', () => {
    const doc = JSON.parse(runCli([DTYPES, '--json']).stdout) as AnalysisReport;
    const r = runCli([DTYPES, '--format', 'csv']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const [head, ...rows] = parseCsv(r.stdout);
    expect(head!.slice(0, 8)).toEqual(['model', 'id', 'name', 'kind', 'shape', 'dtype', 'status', 'skipReason']);
    expect(head).not.toContain('gate');
    expect(rows).toHaveLength(doc.layers.length);
    const col = (name: string) => head!.indexOf(name);
    rows.forEach((row, i) => {
      const l = doc.layers[i]!;
      expect(row).toHaveLength(head!.length);
      expect(row[col('model')]).toBe(DTYPES);
      expect(row[col('id')]).toBe(l.id);
      expect(row[col('shape')]).toBe(l.shape.join('x'));
      expect(row[col('status')]).toBe(l.status);
      if (l.status === 'skipped') {
        expect(row[col('skipReason')]).toBe(l.skipReason);
        expect(row[col('lambdaMax')]).toBe('');
        expect(row[col('phase')]).toBe('');
        return;
      }
      if (l.status !== 'analyzed') throw new Error(`no failed layer expected: ${l.id}`);
      expect(Number(row[col('lambdaMax')])).toBe(l.metrics.lambdaMax);
      expect(Number(row[col('logNorm')])).toBe(l.metrics.logNorm);
      expect(Number(row[col('stableRank')])).toBe(l.metrics.stableRank);
      expect(Number(row[col('N')])).toBe(l.N);
      expect(row[col('phase')]).toBe(l.phase.name);
      expect(row[col('powerLawStatus')]).toBe(l.powerLaw.status);
      if (l.powerLaw.status === 'ok') expect(Number(row[col('alpha')])).toBe(l.powerLaw.alpha);
      else expect(row[col('alpha')]).toBe('');
    });
  });

  it('with gate rules: gate and gateFailures columns per analysed layer', () => {
    const r = runCli([
      DTYPES,
      '--format',
      'csv',
      '--gate-layers',
      'conv.*',
      '--fail-on-phase',
      ALL,
      '--alpha-range',
      ':0.5',
    ]);
    expect(r.code).toBe(1);
    const [head, ...rows] = parseCsv(r.stdout);
    expect(head!.slice(-2)).toEqual(['gate', 'gateFailures']);
    const byId = new Map(rows.map((row) => [row[1], row]));
    expect(byId.get('conv.weight')!.slice(-2)).toEqual([
      'fail',
      `fail-on-phase ${ALL} for conv.*; alpha-range :0.5 for conv.*`,
    ]);
    expect(byId.get('dense.f32.weight')!.slice(-2)).toEqual(['pass', '']);
    expect(byId.get('dense.f32.bias')!.slice(-2)).toEqual(['', '']);
  });

  it('quotes commas and quotes (RFC 4180); a newline in a name is shown escaped, as in the table', () => {
    const report = reportOf([skippedLayer('a,b "c"\nd', 'why, "because"')]);
    const text = renderCsv(report);
    expect(text).toContain('"a,b ""c""\\nd"');
    const rows = parseCsv(text);
    expect(rows).toHaveLength(2);
    expect(rows[1]![1]).toBe('a,b "c"\\nd');
    expect(rows[1]![7]).toBe('why, "because"');
  });
});

describe('markdown', () => {
  it('a summary line, a GFM table of analysed layers, skipped layers folded, no gate section without rules', () => {
    const doc = JSON.parse(runCli([DTYPES, '--json']).stdout) as AnalysisReport;
    const r = runCli([DTYPES, '--format', 'markdown']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`### rmt-analyze: \`${DTYPES}\``);
    expect(lines[2]).toMatch(/^6 of 9 layers analysed, 3 skipped · /);
    const table = gfmTable(
      lines,
      lines.indexOf('| layer | kind | shape | N×M | α | D | log norm | stable rank | phase |'),
    );
    const analyzed = doc.layers.filter((l): l is AnalyzedLayer => l.status === 'analyzed');
    expect(table.slice(2).map((row) => [row[0], row[8]])).toEqual(analyzed.map((l) => [`\`${l.id}\``, l.phase.name]));
    expect(r.stdout).toContain('<details><summary>3 skipped layers</summary>');
    const skipped = gfmTable(lines, lines.indexOf('| layer | shape | reason |'));
    expect(skipped.slice(2).map((row) => row[2])).toEqual([
      'bias vector',
      'normalization parameters (1-D)',
      '5 eigenvalues (M·slices), fewer than --min-evals 10',
    ]);
    expect(r.stdout).not.toMatch(/Gate/);
  });

  it('the gate verdict and a table of failures', () => {
    const failed = runCli([DTYPES, '--format', 'markdown', '--gate-layers', 'dense.f32*', '--fail-on-phase', ALL]);
    expect(failed.code).toBe(1);
    const lines = failed.stdout.split('\n');
    expect(lines).toContain('**Gate: ❌ failed** (1 violation in 1 layer)');
    const t = gfmTable(lines, lines.indexOf('| layer | rule | value |'));
    expect(t.slice(2)).toHaveLength(1);
    expect(t[2]![0]).toBe('`dense.f32.weight`');
    // rules (and their globs) are code spans: `*` is no italics (issue 15, item 11)
    expect(t[2]![1]).toBe(`\`fail-on-phase ${ALL} for dense.f32*\``);
    const passed = runCli([DTYPES, '--format', 'markdown', '--expect-phase', ALL]);
    // the verdict comes first, under the heading (issue 15, item 11)
    expect(passed.stdout.split('\n')[2]).toBe('**Gate: ✅ passed**');
  });

  it('escapes pipes and HTML so a layer name cannot break the table', () => {
    const report = reportOf([
      analyzedLayer({ id: 'a|b<script>', phase: 'random-like' }),
      skippedLayer('c`d', 'x | y <b>'),
    ]);
    const md = renderMarkdown({
      ...report,
      gate: evaluateGate(report, [{ kind: 'fail-on-phase', scope: [], phases: ['random-like'] }]),
    });
    expect(md).toContain('| `a\\|b<script>` |');
    expect(md).toContain('| ``c`d`` |');
    expect(md).toContain('| x \\| y &lt;b&gt; |');
    expect(md).not.toContain('<b>');
    // control characters (a terminal escape in a hostile name) are shown, not sent
    const esc = renderMarkdown(reportOf([analyzedLayer({ id: 'x\u001b[31my\nz' })]));
    expect(esc).toContain('| `x\\x1b[31my\\nz` |');
    expect(esc).not.toContain('\u001b');
  });
});

describe('github', () => {
  it('the table in a log group, one ::error per gate failure, a ::notice summary', () => {
    const r = runCli([DTYPES, '--format', 'github', '--gate-layers', 'dense.*', '--fail-on-phase', ALL]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`::group::rmt-analyze: ${DTYPES} (9 layers)`);
    expect(lines).toContain('::endgroup::');
    const commands = lines.filter((l) => l.startsWith('::'));
    const errors = commands.filter((l) => l.startsWith('::error '));
    expect(errors).toHaveLength(4);
    for (const [i, name] of [
      'dense.f32.weight',
      'dense.f16.weight',
      'dense.bf16.weight',
      'dense.f64.weight',
    ].entries()) {
      expect(errors[i]).toMatch(
        new RegExp(
          `^::error title=rmt-analyze gate%3A ${name.replace(/\./g, '\\.')}::fail-on-phase ${ALL.replace(/\+/g, '\\+')} for dense\\.\\* \\(phase [a-z+-]+\\)$`,
        ),
      );
    }
    expect(commands.at(-1)).toMatch(
      /^::notice title=rmt-analyze::6 of 9 layers analysed, 3 skipped \(.*\); mean α [\d.]+; gate failed: 4 violations in 4 layers$/,
    );
    // the group holds the plain table
    expect(lines[1]).toMatch(/^layer\s+kind\s+shape/);
  });

  it('without rules or with a passing gate: no ::error', () => {
    const plain = runCli([DTYPES, '--format', 'github']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toMatch(/^::error/m);
    expect(plain.stdout).toMatch(/^::notice title=rmt-analyze::6 of 9 layers analysed, 3 skipped .*[^d]$/m);
    const passed = runCli([DTYPES, '--format', 'github', '--expect-phase', ALL]);
    expect(passed.stdout).not.toMatch(/^::error/m);
    expect(passed.stdout).toMatch(/; gate passed$/m);
  });

  it('escapes %, newlines, and : , in titles', () => {
    const report = reportOf([analyzedLayer({ id: 'enc:0,attn%\nq', phase: 'bulk-decay' })]);
    const out = renderGithub({
      ...report,
      gate: evaluateGate(report, [{ kind: 'fail-on-phase', scope: [], phases: ['bulk-decay'] }]),
    });
    const error = out.split('\n').find((l) => l.startsWith('::error'))!;
    expect(error).toBe(
      '::error title=rmt-analyze gate%3A enc%3A0%2Cattn%25%0Aq::fail-on-phase bulk-decay (phase bulk-decay)',
    );
    const esc = renderGithub({
      ...report,
      layers: [analyzedLayer({ id: 'a\u001bb', phase: 'bulk-decay' })],
      gate: {
        passed: false,
        failures: [{ layer: 'a\u001bb', model: 0, rule: 'fail-on-phase bulk-decay', value: 'bulk-decay' }],
      },
    });
    expect(esc).toContain('::error title=rmt-analyze gate%3A a\\x1bb::');
    expect(esc).not.toContain('\u001b');
  });
});
