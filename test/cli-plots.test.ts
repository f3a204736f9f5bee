/**
 * The plotting surface of the built CLI: --report FILE.html, --plot, --format html and the
 * `plot` subcommand — stdout carrying only the report, JSON unchanged by --report.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { GENERATED, REFERENCE, runCli } from './helpers.js';
import type { AnalysisReport } from '../src/index.js';

const DTYPES = join(GENERATED, 'safetensors', 'dtypes.safetensors');
const SYNTHETIC = join(REFERENCE, 'synthetic.safetensors');
const ANSI = /\x1b\[/;
const dir = mkdtempSync(join(tmpdir(), 'rmt-cli-plots-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--report FILE.html', () => {
  it('writes the HTML report and leaves the JSON on stdout exactly as without it', () => {
    const file = join(dir, 'r.html');
    const plain = runCli([DTYPES, '--json']);
    const withReport = runCli([DTYPES, '--json', '--report', file]);
    expect(withReport.code).toBe(0);
    // the written report is named on stderr (issue 15, item 7)
    expect(withReport.stderr).toMatch(/^rmt-analyze: wrote .*r\.html \(\d+ KB\)\n$/);
    expect(withReport.stdout).toBe(plain.stdout);
    const html = readFileSync(file, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<details class="layer"/g)).toHaveLength(6);
    expect(html.match(/<svg class="plot esd-log"/g)).toHaveLength(6);
  });

  it('with --randomize and --vectors too, the JSON is the same with or without --report', () => {
    const file = join(dir, 'r3.html');
    const args = [DTYPES, '--json', '--randomize', '--vectors', '--layers', 'dense.f32*'];
    const plain = runCli(args);
    const withReport = runCli([...args, '--report', file]);
    expect(withReport.stdout).toBe(plain.stdout);
    const layer = (JSON.parse(plain.stdout) as AnalysisReport).layers[0]!;
    expect(layer.status === 'analyzed' && layer.traps !== undefined && layer.vectors !== undefined).toBe(true);
    expect(plain.stdout).not.toContain('perVector');
    expect(plain.stdout).not.toMatch(/"traps": \{[^}]*"eigenvalues"/);
  });

  it('--eigenvalues still puts them in the JSON; the table is unchanged too', () => {
    const file = join(dir, 'r2.html');
    const doc = JSON.parse(runCli([DTYPES, '--json', '--eigenvalues', '--report', file]).stdout) as AnalysisReport;
    expect(doc.layers.filter((l) => l.status === 'analyzed' && l.eigenvalues?.length).length).toBe(6);
    expect(runCli([DTYPES, '--report', file]).stdout).toBe(runCli([DTYPES]).stdout);
  });

  it('an unwritable path: exit 2, one line naming it, nothing on stdout', () => {
    const r = runCli([DTYPES, '--report', join(dir, 'no', 'such', 'dir', 'r.html')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^rmt-analyze: .*r\.html: cannot write the report \(ENOENT\)\n$/);
  });

  it('--format html prints the report itself', () => {
    const r = runCli([DTYPES, '--format', 'html']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('<!doctype html>')).toBe(true);
    expect(r.stdout).toContain('<svg class="plot esd-lin"');
  });
});

describe('--plot', () => {
  it('prints a histogram under each analysed row, none under skipped ones', () => {
    const r = runCli([DTYPES, '--plot']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    const conv = lines.findIndex((l) => l.startsWith('conv.weight'));
    expect(lines[conv + 1]).toMatch(/^ {4}\S+ [▁▂▃▄▅▆▇█ ]{40} \S+$/u);
    expect(lines[conv + 2]).toMatch(/▲/u);
    const tiny = lines.findIndex((l) => l.startsWith('tiny.weight'));
    expect(lines[tiny + 1]).not.toMatch(/[▁▂▃▄▅▆▇█]/u);
    expect(lines.filter((l) => /^ {4}\S+ [▁▂▃▄▅▆▇█ ]{40} \S+/u.test(l))).toHaveLength(6);
  });

  it('with --json: a note on stderr, the JSON unchanged', () => {
    const r = runCli([DTYPES, '--json', '--plot']);
    expect(r.stderr).toBe('rmt-analyze: note: --plot only affects table output\n');
    expect(r.stdout).toBe(runCli([DTYPES, '--json']).stdout);
  });
});

describe('rmt-analyze plot MODEL --layer NAME', () => {
  it('draws one layer in the given width, on stdout only', () => {
    const r = runCli(['plot', SYNTHETIC, '--layer', 'b_gauss_spike3_1000x500', '--width', '72']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(ANSI);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^b_gauss_spike3_1000x500 {2}1000×500/);
    for (const l of lines.slice(3)) expect([...l].length, l).toBeLessThanOrEqual(72);
    expect(lines.filter((l) => /[│┤]/.test(l))).toHaveLength(12);
    expect(r.stdout).toMatch(/10³/);
    expect(r.stdout).toMatch(/xmin/);
  });

  it('a unique part of a name is enough', () => {
    const r = runCli(['plot', SYNTHETIC, '--layer', 'spike3', '--width', '60', '--height', '4']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^b_gauss_spike3_1000x500/);
  });

  it.each([
    [
      ['gauss'],
      /^rmt-analyze: --layer 'gauss' matches 4 layers; give one of them exactly:\n {2}a_gauss_1000x500\n(.*\n){3}$/,
    ],
    [
      ['nothing-like-this'],
      /^rmt-analyze: --layer 'nothing-like-this' matches no layer; the analysable layers are:\n {2}a_gauss_1000x500\n(.*\n){11}$/,
    ],
    [
      ['h_tiny_8x5'],
      /^rmt-analyze: layer 'h_tiny_8x5' is not analysed: 5 eigenvalues \(M·slices\), fewer than --min-evals 10\n$/,
    ],
  ])('--layer %j: exit 2, the candidates listed', ([layer], message) => {
    const r = runCli(['plot', SYNTHETIC, '--layer', layer!]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('--layer is required', () => {
    const r = runCli(['plot', SYNTHETIC]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/required option '--layer <name>'/);
  });

  it('colours on a terminal unless NO_COLOR or --no-color; width from the terminal', async () => {
    const run = async (args: string[], env: NodeJS.ProcessEnv) => {
      let out = '';
      const stdout = Object.assign(
        new Writable({
          write(chunk, _e, cb) {
            out += String(chunk);
            cb();
          },
        }),
        { isTTY: true, columns: 50 },
      );
      const stderr = new Writable({ write: (_c, _e, cb) => cb() });
      const code = await main(['node', 'rmt-analyze', 'plot', DTYPES, '--layer', 'conv.weight', ...args], {
        stdout,
        stderr,
        env,
      });
      return { code, out };
    };
    const coloured = await run([], {});
    expect(coloured.code).toBe(0);
    expect(coloured.out).toMatch(ANSI);
    const plain = (await run([], { NO_COLOR: '1' })).out;
    expect(plain).not.toMatch(ANSI);
    expect((await run(['--no-color'], {})).out).toBe(plain);
    for (const l of plain.trimEnd().split('\n').slice(3)) expect([...l].length).toBeLessThanOrEqual(50);
  });
});
