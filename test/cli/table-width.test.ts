/**
 * Issue 15, item 3: the table fits the terminal (stdout.columns, or COLUMNS), shortening
 * names in the middle and dropping low-priority columns first (listed in --help); never a
 * line wider than the terminal; unlimited when piped.
 */
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { GENERATED, runCli, SILERO } from '../helpers.js';

const MODEL = join(SILERO, 'silero_vad.onnx');
const DTYPES = join(GENERATED, 'safetensors', 'dtypes.safetensors');
const ANSI = /\x1b\[[0-9;]*m/g;
const widest = (text: string) => Math.max(...text.split('\n').map((l) => [...l.replace(ANSI, '')].length));
const rows = (table: string) => table.split('\n').filter((l) => /\s(heavy-tailed|bulk-decay|random-like)$/.test(l));

/** The CLI in-process with stdout a terminal of `columns`. */
async function onTerminal(args: string[], columns: number, env: NodeJS.ProcessEnv = {}) {
  let out = '';
  const stdout = Object.assign(
    new Writable({
      write(chunk, _enc, cb) {
        out += String(chunk);
        cb();
      },
    }),
    { isTTY: true, columns },
  );
  const stderr = new Writable({ write: (_c, _e, cb) => cb() });
  const code = await main(['node', 'rmt-analyze', ...args], { stdout, stderr, env });
  return { code, out };
}

describe('the table fits the terminal', () => {
  it('piped: unlimited, every column and full names', () => {
    const r = runCli([MODEL]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(
      /^layer\s+kind\s+shape\s+N×M\s+Q\s+λmax\s+stable rank\s+entropy\s+α\s+D\s+xmin/,
    );
    expect(r.stdout).toContain('If_0_else_branch__Inline_0__encoder.0.reparam_conv.weight ');
    expect(widest(r.stdout)).toBeGreaterThan(150);
  });

  it('COLUMNS=80: no line over 80, names shortened in the middle and still distinct, xmin and D dropped first', () => {
    const r = runCli([MODEL], { COLUMNS: '80' });
    expect(r.code).toBe(0);
    expect(widest(r.stdout)).toBeLessThanOrEqual(80);
    const header = r.stdout.split('\n')[0]!;
    expect(header).toMatch(/^layer\s.*\sα\s+phase$/);
    expect(header).not.toMatch(/\b(xmin|D|entropy)\b/);
    const table = rows(r.stdout);
    expect(table).toHaveLength(12);
    const names = table.map((l) => l.split(/\s+/)[0]!);
    expect(names.every((n) => n.includes('…'))).toBe(true);
    expect(new Set(names).size).toBe(12);
    expect(names[0]).toMatch(/^If_0_else.*….*0\.reparam_conv\.weight$/);
    // the numbers are those of the full table
    const full = rows(runCli([MODEL]).stdout);
    expect(table.map((l) => l.split(/\s+/).at(-2))).toEqual(full.map((l) => l.split(/\s+/).at(-5)));
  });

  it('a terminal of 60 columns (stdout.columns), with colour and --explain: no line over 60', async () => {
    const r = await onTerminal([MODEL, '--explain'], 60);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(ANSI);
    expect(widest(r.out)).toBeLessThanOrEqual(60);
    expect(r.out).toMatch(/↳ power-law tail α/);
    // COLUMNS overrides the terminal's width
    expect(widest((await onTerminal([MODEL], 60, { COLUMNS: '100' })).out)).toBeGreaterThan(60);
  });

  it('a narrow terminal keeps the layer, α and the phase; small tables are unchanged', async () => {
    const narrow = runCli([MODEL], { COLUMNS: '40' });
    expect(widest(narrow.stdout)).toBeLessThanOrEqual(40);
    expect(narrow.stdout.split('\n')[0]).toMatch(/^layer\s+α\s+phase$/);
    expect(runCli([DTYPES], { COLUMNS: '200' }).stdout).toBe(runCli([DTYPES]).stdout);
  });

  it('--help says which columns go first', () => {
    const help = runCli(['analyze', '--help']).stdout;
    expect(help).toMatch(/fits the terminal width/);
    expect(help).toMatch(/columns are dropped, first: log α-norm, α̂, α Hill, xmin, D, entropy, Q, fit, shape/);
  });
});
