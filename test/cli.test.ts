/**
 * The built CLI, as users run it: exit codes, stdout carrying only the report, one-line
 * errors on stderr, JSON output, filters and options.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { GENERATED, REFERENCE, runCli } from './helpers.js';
import { runCliAsync } from './cli-async.js';
import type { AnalysisReport, AnalyzedLayer } from '../src/index.js';
import { convSliceSv, DENSE_SV } from '../scripts/fixtures/safetensors.js';

const DTYPES = join(GENERATED, 'safetensors', 'dtypes.safetensors');
const ANSI = /\x1b\[/;

const json = (stdout: string) => JSON.parse(stdout) as AnalysisReport;

describe('table output', () => {
  it('prints a row per tensor and a summary, nothing on stderr, no colour when piped', () => {
    const r = runCli([DTYPES]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(ANSI);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^layer\s+kind\s+shape\s+N×M\s+Q\s+λmax\s+stable rank\s+entropy\s+α\s+D\s+xmin\s+fit\s+phase$/,
    );
    expect(lines.find((l) => l.startsWith('conv.weight'))).toMatch(/conv2d\s+8×4×3×3\s+8×4·9\s+2\s+72\s/);
    // skipped layers are counted in one line; --show-skipped lists them (test/cli/skipped.test.ts)
    expect(lines).toContain('3 skipped: 1 bias, 1 norm, 1 too-few-eigenvalues (--show-skipped lists them)');
    expect(
      runCli([DTYPES, '--show-skipped'])
        .stdout.split('\n')
        .find((l) => l.startsWith('tiny.weight')),
    ).toMatch(/skipped: 5 eigenvalues \(M·slices\), fewer than --min-evals 10/);
    expect(r.stdout).toMatch(/^6 of 9 layers analysed, 3 skipped/m);
  });

  it('colours only on a terminal, and never with NO_COLOR or --no-color', async () => {
    const run = async (args: string[], env: NodeJS.ProcessEnv) => {
      let out = '';
      const stdout = Object.assign(
        new Writable({
          write(chunk, _enc, cb) {
            out += String(chunk);
            cb();
          },
        }),
        { isTTY: true },
      );
      const stderr = new Writable({ write: (_c, _e, cb) => cb() });
      const code = await main(['node', 'rmt-analyze', DTYPES, ...args], { stdout, stderr, env });
      return { code, out };
    };
    expect((await run([], {})).out).toMatch(ANSI);
    expect((await run([], { NO_COLOR: '1' })).out).not.toMatch(ANSI);
    expect((await run(['--no-color'], {})).out).not.toMatch(ANSI);
  });
});

describe('JSON output', () => {
  it('is one v1 document with models, layers and summary', () => {
    const r = runCli([DTYPES, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const doc = json(r.stdout);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.tool.name).toBe('rmt-analyze');
    expect(doc.models).toEqual([{ path: DTYPES, format: 'safetensors', tensors: 9, bytes: expect.any(Number) }]);
    expect(doc.layers).toHaveLength(9);
    expect(doc.summary).toMatchObject({ layers: 9, analyzed: 6, skipped: 3 });
    const bias = doc.layers.find((l) => l.name === 'dense.f32.bias');
    expect(bias).toMatchObject({
      status: 'skipped',
      kind: 'bias',
      skipCode: 'bias',
      skipReason: 'bias vector',
      shape: [12],
      dtype: 'F32',
    });
    expect(doc.layers.every((l) => l.status !== 'analyzed' || l.eigenvalues === undefined)).toBe(true);
  });

  it('--eigenvalues gives the exact spectra of the fixtures', () => {
    const doc = json(runCli([DTYPES, '--json', '--eigenvalues']).stdout);
    const dense = DENSE_SV.map((s) => s * s);
    for (const name of [
      'dense.f32.weight',
      'dense.f16.weight',
      'dense.bf16.weight',
      'dense.f64.weight',
      'embed_tokens.weight',
    ]) {
      const l = doc.layers.find((x) => x.name === name) as AnalyzedLayer;
      expect(l.eigenvalues!.length).toBe(10);
      l.eigenvalues!.forEach((v, i) => expect(Math.abs(v - dense[i]!)).toBeLessThanOrEqual(1e-12 * 100));
      expect(l.metrics.norm).toBeCloseTo(385, 10);
      expect(l.metrics.stableRank).toBeCloseTo(3.85, 12);
      expect(l.metrics.rankLoss).toBe(0);
    }
    const conv = doc.layers.find((x) => x.name === 'conv.weight') as AnalyzedLayer;
    const expected = Array.from({ length: 9 }, (_, p) => convSliceSv(p).map((s) => (s * s) / 2))
      .flat()
      .sort((a, b) => a - b);
    expect(conv.eigenvalues!.length).toBe(36);
    conv.eigenvalues!.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(1e-12 * 72));
    expect([conv.N, conv.M, conv.Q, conv.slices, conv.numEvals]).toEqual([8, 4, 2, 9, 36]);
  });

  it('tied weights are analysed once and the copy says so', () => {
    const doc = json(runCli([join(GENERATED, 'safetensors', 'tied.safetensors'), '--json']).stdout);
    expect(doc.layers.map((l) => [l.name, l.status])).toEqual([
      ['embed.weight', 'analyzed'],
      ['lm_head.weight', 'skipped'],
    ]);
    expect(doc.layers[1]).toMatchObject({
      skipCode: 'tied',
      skipReason: "same values as 'embed.weight' (tied weights, analysed once)",
    });
  });

  it('several models in one call are reported together, each layer naming its model', () => {
    const a = join(GENERATED, 'safetensors', 'hf-model');
    const b = join(GENERATED, 'safetensors', 'tied.safetensors');
    const doc = json(runCli([a, b, '--json']).stdout);
    expect(doc.models.map((m) => m.path)).toEqual([a, b]);
    expect(doc.layers.map((l) => l.model)).toEqual([0, 0, 1, 1]);
  });
});

describe('options', () => {
  it('--layers and --exclude select tensors by glob; * crosses dots', () => {
    const doc = json(
      runCli([DTYPES, '--json', '--layers', 'dense.*', '--exclude', '*.bias', '--exclude', '*f64*']).stdout,
    );
    expect(doc.layers.map((l) => l.name)).toEqual(['dense.f32.weight', 'dense.f16.weight', 'dense.bf16.weight']);
  });

  it('--min-evals changes which layers are analysed', () => {
    const doc = json(runCli([DTYPES, '--json', '--min-evals', '5']).stdout);
    expect(doc.layers.find((l) => l.name === 'tiny.weight')?.status).toBe('analyzed');
    const strict = json(runCli([DTYPES, '--json', '--min-evals', '11']).stdout);
    expect(strict.layers.find((l) => l.name === 'dense.f32.weight')?.status).toBe('skipped');
  });

  it('--randomize and --vectors add their JSON fields and table columns; --seed makes the shuffle reproducible', () => {
    const ref = join(REFERENCE, 'synthetic.safetensors');
    const args = [ref, '--layers', 'a_gauss*', '--layers', 'f_conv*'];
    const plain = json(runCli([...args, '--json']).stdout);
    for (const l of plain.layers as AnalyzedLayer[]) {
      expect(l.traps).toBeUndefined();
      expect(l.vectors).toBeUndefined();
      expect(l.powerLaw.status === 'ok' && ['PL', 'TPL', 'EXP'].includes(l.powerLaw.bestFit)).toBe(true);
      expect(l.powerLaw.status === 'ok' && l.powerLaw.alternatives?.status).toBe('ok');
    }
    const r = runCli([...args, '--json', '--randomize', '--seed', '5', '--vectors']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const doc = json(r.stdout);
    for (const l of doc.layers as AnalyzedLayer[]) {
      expect(l.traps).toMatchObject({ seed: 5, numTraps: 0 });
      expect(l.vectors?.bulk.participationRatio).toBeGreaterThan(0.25);
    }
    expect(
      json(runCli([...args, '--json', '--randomize', '--seed', '5']).stdout).layers.map(
        (l) => (l as AnalyzedLayer).traps,
      ),
    ).toEqual(doc.layers.map((l) => (l as AnalyzedLayer).traps));
    const table = runCli([...args, '--randomize', '--vectors', '--explain']).stdout;
    expect(table.split('\n')[0]).toMatch(/\sfit\s+traps\s+PR tail\/bulk\s+phase$/);
    expect(table).toMatch(/↳ tail fit (PL|TPL|EXP): /);
    expect(table).toMatch(/↳ traps 0: shuffled λmax /);
    expect(table).toMatch(/↳ eigenvectors \(power-law-tail\): tail \d+ PR /);
    expect(runCli([DTYPES, '--seed', '-1']).code).toBe(2);
  });

  it('--jobs changes how many cores work, never the numbers', async () => {
    const model = join(GENERATED, 'safetensors', 'sharded-lm', 'model.safetensors.index.json');
    const [one, two, three] = await Promise.all([
      runCliAsync([model, '--json', '--jobs', '1']),
      runCliAsync([model, '--json', '--jobs', '2']),
      runCliAsync([model, '--json', '--jobs', '3']),
    ]);
    expect([one.code, two.code, three.code]).toEqual([0, 0, 0]);
    expect(two.stdout).toBe(one.stdout);
    expect(three.stdout).toBe(one.stdout);
    const bad = runCli([model, '--jobs', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--jobs must be a positive integer, got '0'/);
  });

  it('the explicit analyze subcommand is the same as the default', () => {
    expect(runCli(['analyze', DTYPES, '--json']).stdout).toBe(runCli([DTYPES, '--json']).stdout);
  });
});

describe('errors: exit 2, one line on stderr naming the file, nothing on stdout', () => {
  it.each([
    [['missing.onnx'], /^rmt-analyze: missing\.onnx: no such file or directory\n$/],
    [
      [join(REFERENCE, 'README.md')],
      /^rmt-analyze: .*README\.md: neither ONNX, safetensors nor a PyTorch checkpoint \(unrecognised content\)\n$/,
    ],
    [[DTYPES, '--min-evals', '0'], /^rmt-analyze: .*--min-evals must be a positive integer, got '0'\n$/],
    [[DTYPES, '--format', 'xml'], /^rmt-analyze: .*Allowed choices are table, json/],
    [[DTYPES, '--bogus'], /^rmt-analyze: unknown option '--bogus'/],
    // no arguments: the usage (issue 15, item 5; test/cli/help.test.ts)
    [[], /^Usage: rmt-analyze \[analyze\] \[options\] <model\.\.\.>/],
  ])('%j', (args, message) => {
    const r = runCli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--debug adds the stack trace', () => {
    const r = runCli(['missing.onnx', '--debug']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('--help and --version exit 0 on stdout', () => {
    const help = runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: rmt-analyze/);
    const v = runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
