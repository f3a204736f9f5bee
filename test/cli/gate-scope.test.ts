/**
 * Issue 15, item 1: a gate rule whose layer glob matches nothing is a usage error (exit 2,
 * naming the glob and some layers), from the flags and from the config file alike; rules
 * read implicitly from ./rmt-analyze.config.json are announced on stderr.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, GENERATED, runCli } from '../helpers.js';

const DTYPES = join(GENERATED, 'safetensors', 'dtypes.safetensors');
const tmp = mkdtempSync(join(tmpdir(), 'rmt-gate-scope-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function runIn(cwd: string, args: readonly string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('a gate glob that matches no layer', () => {
  it('from --gate-layers: exit 2, nothing on stdout, the glob and the layers named', () => {
    const r = runCli([DTYPES, '--gate-layers', '*atn*', '--alpha-range', '5:6']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^rmt-analyze: --gate-layers '\*atn\*' matches no layer/);
    expect(r.stderr).toContain('\n  dense.f32.weight\n');
    expect(r.stderr).toContain('\n  conv.weight\n');
    // a glob that does match keeps the gate working (α of the dense layers is 2.84)
    const ok = runCli([DTYPES, '--gate-layers', '*conv*', '--alpha-range', '5:6', '--json']);
    expect(ok.code).toBe(1);
    expect(JSON.parse(ok.stdout).gate.failures.map((f: { layer: string }) => f.layer)).toEqual(['conv.weight']);
  });

  it('from the config file, implicit or explicit: exit 2 naming the file and the glob', () => {
    const dir = mkdtempSync(join(tmp, 'cfg-'));
    writeFileSync(
      join(dir, 'rmt-analyze.config.json'),
      JSON.stringify({ gate: [{ layers: '*atn*', alphaRange: '5:6' }] }),
    );
    const r = runIn(dir, [DTYPES]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/\.\/rmt-analyze\.config\.json: layers '\*atn\*' matches no layer/);
    const explicit = runCli([DTYPES, '--config', join(dir, 'rmt-analyze.config.json')]);
    expect(explicit.code).toBe(2);
    expect(explicit.stderr).toMatch(/rmt-analyze\.config\.json: layers '\*atn\*' matches no layer/);
    expect(explicit.stderr).toContain('\n  embed_tokens.weight');
  });
});

describe('the implicit config file is announced', () => {
  it('one stderr line when ./rmt-analyze.config.json supplies rules; none with --config or --no-config', () => {
    const dir = mkdtempSync(join(tmp, 'cfg-'));
    const file = join(dir, 'rmt-analyze.config.json');
    writeFileSync(file, JSON.stringify({ gate: [{ layers: 'dense*', failOnPhase: ['rank-collapse'] }] }));
    const r = runIn(dir, [DTYPES, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('rmt-analyze: note: 1 gate rule from ./rmt-analyze.config.json (--no-config ignores it)\n');
    expect(JSON.parse(r.stdout).gate).toEqual({ passed: true, failures: [] });
    expect(runIn(dir, [DTYPES, '--json', '--config', file]).stderr).toBe('');
    const off = runIn(dir, [DTYPES, '--json', '--no-config']);
    expect(off.stderr).toBe('');
    expect(JSON.parse(off.stdout).gate).toBeUndefined();
  });
});
