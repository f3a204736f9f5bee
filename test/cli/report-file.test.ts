/**
 * Issue 15, item 7: --report to a path that cannot be written fails before the analysis
 * (exit 2, nothing on stdout, no file created); a written report is named on stderr.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GENERATED, runCli } from '../helpers.js';

const DTYPES = join(GENERATED, 'safetensors', 'dtypes.safetensors');
const tmp = mkdtempSync(join(tmpdir(), 'rmt-report-file-'));
afterAll(() => {
  chmodSync(join(tmp, 'ro'), 0o755);
  rmSync(tmp, { recursive: true, force: true });
});

describe('--report', () => {
  it('an unwritable path is refused before any model is opened', () => {
    // The model does not exist either: the report path is checked first.
    const r = runCli(['missing.onnx', '--report', join(tmp, 'no', 'dir', 'r.html')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^rmt-analyze: .*no\/dir\/r\.html: cannot write the report \(ENOENT\)\n$/);
  });

  it('a directory, a file as the parent, a read-only directory: exit 2 naming the cause', () => {
    mkdirSync(join(tmp, 'adir'));
    writeFileSync(join(tmp, 'afile'), '');
    mkdirSync(join(tmp, 'ro'));
    chmodSync(join(tmp, 'ro'), 0o555);
    const cases: [string, RegExp][] = [
      [join(tmp, 'adir'), /adir: cannot write the report \(EISDIR\)\n$/],
      [join(tmp, 'afile', 'r.html'), /afile\/r\.html: cannot write the report \(ENOTDIR\)\n$/],
    ];
    // root may write anywhere: the read-only case only means something for other users
    if (process.getuid?.() !== 0)
      cases.push([join(tmp, 'ro', 'r.html'), /ro\/r\.html: cannot write the report \(EACCES\)\n$/]);
    for (const [file, message] of cases) {
      const r = runCli([DTYPES, '--report', file]);
      expect(r.code, file).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
    }
    expect(existsSync(join(tmp, 'ro', 'r.html'))).toBe(false);
  });

  it('a written report is named on stderr, with its size; stdout is the table as without it', () => {
    const file = join(tmp, 'ok.html');
    const r = runCli([DTYPES, '--report', file]);
    expect(r.code).toBe(0);
    const kb = (statSync(file).size / 1024).toFixed(0);
    expect(r.stderr).toBe(`rmt-analyze: wrote ${file} (${kb} KB)\n`);
    expect(r.stdout).toBe(runCli([DTYPES]).stdout);
  });
});
