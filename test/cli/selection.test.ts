/**
 * Issue 15, item 9: layer selection that behaves the same everywhere. A pattern without glob
 * characters matches any part of a name (--layers, --exclude, --gate-layers); with several
 * models a selection that fits only some is a stderr note; plot accepts the `path: id` names
 * it lists; --kind filters by kind; --sort orders the rows.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED, runCli } from '../helpers.js';
import type { AnalysisReport, AnalyzedLayer } from '../../src/index.js';

const DTYPES = join(GENERATED, 'safetensors', 'dtypes.safetensors');
const TIED = join(GENERATED, 'safetensors', 'tied.safetensors');
const ids = (stdout: string) => (JSON.parse(stdout) as AnalysisReport).layers.map((l) => l.id);
const tableIds = (stdout: string) =>
  stdout
    .split('\n')
    .slice(1)
    .filter((l) => /\srandom-like$/.test(l))
    .map((l) => l.split(' ')[0]!);

describe('patterns', () => {
  it('a plain word matches any part of the name, case-insensitively; globs stay globs', () => {
    expect(ids(runCli([DTYPES, '--json', '--layers', 'f32']).stdout)).toEqual(['dense.f32.weight', 'dense.f32.bias']);
    expect(ids(runCli([DTYPES, '--json', '--layers', 'F32']).stdout)).toEqual(['dense.f32.weight', 'dense.f32.bias']);
    expect(
      ids(runCli([DTYPES, '--json', '--layers', 'dense', '--exclude', 'bias', '--exclude', 'f64']).stdout),
    ).toEqual(['dense.f32.weight', 'dense.f16.weight', 'dense.bf16.weight']);
    expect(ids(runCli([DTYPES, '--json', '--layers', 'dense.f*.weight']).stdout)).toEqual([
      'dense.f32.weight',
      'dense.f16.weight',
      'dense.f64.weight',
    ]);
    // a glob matches the whole name: f32* matches none of them
    expect(runCli([DTYPES, '--json', '--layers', 'f32*']).stderr).toMatch(/--layers leaves none of the 9 weight/);
  });

  it('--gate-layers takes the same patterns', () => {
    const r = runCli([DTYPES, '--json', '--gate-layers', 'conv', '--alpha-range', '5:6']);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as AnalysisReport).gate?.failures.map((f) => f.layer)).toEqual(['conv.weight']);
  });
});

describe('several models', () => {
  it('a selection that fits only some models is a note per model, not an error', () => {
    const r = runCli([DTYPES, TIED, '--json', '--layers', 'dense']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`rmt-analyze: note: --layers leaves none of the 2 weight tensors of ${TIED}\n`);
    const doc = JSON.parse(r.stdout) as AnalysisReport;
    expect(doc.models.map((m) => m.path)).toEqual([DTYPES, TIED]);
    expect(doc.layers.every((l) => l.model === 0)).toBe(true);
  });

  it('a selection that fits none is still a usage error; so is one that empties a single model', () => {
    const none = runCli([DTYPES, TIED, '--layers', 'nothing-like-this']);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/--layers leaves no weight tensor in any of the 2 models\n$/);
    const single = runCli([TIED, '--layers', 'dense']);
    expect(single.code).toBe(2);
    expect(single.stderr).toBe(`rmt-analyze: --layers leaves none of the 2 weight tensors of ${TIED}\n`);
  });

  it('plot accepts the `path: id` names it lists for several models', () => {
    const listed = runCli(['plot', DTYPES, TIED, '--layer', 'weight']);
    expect(listed.code).toBe(2);
    expect(listed.stderr).toContain(`\n  ${TIED}: embed.weight\n`);
    const r = runCli(['plot', DTYPES, TIED, '--layer', `${TIED}: embed.weight`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^embed\.weight\s/);
  });
});

describe('--kind', () => {
  it('keeps only layers of the listed kinds; an unknown kind is a usage error naming the kinds', () => {
    const doc = JSON.parse(runCli([DTYPES, '--json', '--kind', 'conv2d,embedding']).stdout) as AnalysisReport;
    expect(doc.layers.map((l) => [l.id, l.kind])).toEqual([
      ['conv.weight', 'conv2d'],
      ['embed_tokens.weight', 'embedding'],
    ]);
    expect(ids(runCli([DTYPES, '--json', '--kind', 'norm', '--kind', 'bias']).stdout)).toEqual([
      'dense.f32.bias',
      'ln_f.weight',
    ]);
    const bad = runCli([DTYPES, '--kind', 'dense,attention']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^rmt-analyze: --kind: unknown kind 'attention' \(kinds: dense, embedding, conv1d/);
  });
});

describe('--sort', () => {
  it('orders the table by alpha, lambda-max or name; file order by default; JSON keeps file order', () => {
    const doc = JSON.parse(runCli([DTYPES, '--json']).stdout) as AnalysisReport;
    const analyzed = doc.layers.filter((l): l is AnalyzedLayer => l.status === 'analyzed');
    const alpha = (l: AnalyzedLayer) => (l.powerLaw.status === 'ok' ? l.powerLaw.alpha : Infinity);
    const by = (f: (l: AnalyzedLayer) => number) => [...analyzed].sort((a, b) => f(a) - f(b)).map((l) => l.id);
    expect(tableIds(runCli([DTYPES]).stdout)).toEqual(analyzed.map((l) => l.id));
    expect(tableIds(runCli([DTYPES, '--sort', 'alpha']).stdout)).toEqual(by(alpha));
    expect(tableIds(runCli([DTYPES, '--sort', 'lambda-max']).stdout)).toEqual(by((l) => l.metrics.lambdaMax));
    expect(tableIds(runCli([DTYPES, '--sort', 'name']).stdout)).toEqual(analyzed.map((l) => l.id).sort());
    expect(by(alpha)).not.toEqual(analyzed.map((l) => l.id));
    expect(runCli([DTYPES, '--json', '--sort', 'alpha']).stdout).toBe(runCli([DTYPES, '--json']).stdout);
    expect(runCli([DTYPES, '--sort', 'size']).code).toBe(2);
  });
});
