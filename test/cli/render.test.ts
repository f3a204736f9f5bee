/**
 * Issue 15, item 8: `rmt-analyze render REPORT.json --format …` prints exactly what the
 * analysis printed in that format; a report passed to `analyze` is pointed to render/compare.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATED, runCli } from '../helpers.js';

const DTYPES = join(GENERATED, 'safetensors', 'dtypes.safetensors');
const TIED = join(GENERATED, 'safetensors', 'tied.safetensors');
const tmp = mkdtempSync(join(tmpdir(), 'rmt-render-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const GATE = ['--gate-layers', 'conv*', '--alpha-range', '5:6'];
const saved = join(tmp, 'saved.json');
const savedEig = join(tmp, 'saved-eig.json');
beforeAll(() => {
  const r = runCli([DTYPES, TIED, '--json', ...GATE]);
  expect(r.code).toBe(1);
  writeFileSync(saved, r.stdout);
  writeFileSync(savedEig, runCli([DTYPES, '--json', '--eigenvalues']).stdout);
});

describe('render', () => {
  it.each([
    [['--format', 'table']],
    [['--format', 'table', '--explain', '--show-skipped']],
    [['--format', 'markdown']],
    [['--format', 'github']],
    [['--format', 'csv']],
    [['--json']],
  ])('%j: the same stdout as the analysis (two models, a failed gate)', (format) => {
    const analysed = runCli([DTYPES, TIED, ...GATE, ...format]);
    expect(analysed.code).toBe(1);
    const rendered = runCli(['render', saved, ...format]);
    expect(rendered.code, rendered.stderr).toBe(0);
    expect(rendered.stdout).toBe(analysed.stdout);
    expect(rendered.stdout.length).toBeGreaterThan(100);
  });

  it('html and --plot from a report saved with --eigenvalues: the same as the analysis', () => {
    const html = runCli(['render', savedEig, '--format', 'html']);
    expect(html.code).toBe(0);
    expect(html.stderr).toBe('');
    expect(html.stdout).toBe(runCli([DTYPES, '--format', 'html']).stdout);
    expect(html.stdout).toMatch(/<svg class="plot esd-log"/);
    expect(runCli(['render', savedEig, '--plot']).stdout).toBe(runCli([DTYPES, '--plot']).stdout);
  });

  it('html from a report without eigenvalues: a note on stderr that there are no plots', () => {
    const r = runCli(['render', saved, '--format', 'html']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('<!doctype html>')).toBe(true);
    expect(r.stderr).toMatch(/^rmt-analyze: note: the report holds no eigenvalues, so there are no plots/);
  });

  it('a model, a shard part or a missing file is refused (exit 2)', () => {
    const model = runCli(['render', DTYPES]);
    expect(model.code).toBe(2);
    expect(model.stderr).toMatch(/dtypes\.safetensors: not an rmt-analyze JSON report/);
    const part = join(tmp, 'part.json');
    writeFileSync(part, runCli([DTYPES, '--json', '--shard', '1/2']).stdout);
    expect(runCli(['render', part]).stderr).toMatch(/is part 1\/2 of a sharded run: merge the parts first/);
    expect(runCli(['render', join(tmp, 'nope.json')]).code).toBe(2);
  });
});

describe('a report passed to analyze', () => {
  it('says to use render or compare (exit 2, nothing on stdout)', () => {
    for (const args of [[saved], ['analyze', saved, '--format', 'markdown'], [DTYPES, saved]]) {
      const r = runCli(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        `rmt-analyze: ${saved} is an rmt-analyze report, not a model: print it in another format with ` +
          `'rmt-analyze render ${saved} --format …', or compare it with 'rmt-analyze compare OLD NEW'\n`,
      );
    }
  });
});
