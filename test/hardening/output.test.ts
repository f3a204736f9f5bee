/**
 * Issue 12, the output side of the bad-input contract, through the built CLI:
 *  4. output faults: a reader that goes away ends the run quietly with the run's exit code;
 *     a write error (a full disk) is one line on stderr and exit 2 — never a stack trace;
 *  6. log and terminal injection: tensor names are attacker-controlled text; no name may
 *     start a GitHub workflow command line, and control, bidi and zero-width characters are
 *     shown escaped in every human-readable format (table, github, markdown, csv, html, the
 *     gate's stderr lines, the progress bar), while JSON keeps the exact names;
 * 11. several models, one unreadable: every readable model is reported, the unreadable one
 *     gets its stderr line and `models[i].error`, exit 2.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { encodeSafetensors } from '../../scripts/fixtures/safetensors-writer.js';
import { runCliAsync } from '../cli-async.js';
import { CLI, REFERENCE, ROOT } from '../helpers.js';
import { progressLine } from '../../src/commands/progress.js';
import type { AnalysisReport } from '../../src/index.js';
import { injectionProblem } from '../../scripts/fuzz/run.js';

const tmp = mkdtempSync(join(tmpdir(), 'rmt-output-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Seeded values (a Lehmer generator: the fixture only needs to be analysable). */
function values(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647 - 0.5;
  });
}

const HOSTILE = [
  '::stop-commands::x',
  '::error title=pwn::owned',
  '  ::warning::indented',
  '\u00a0::notice::nbsp-indented',
  '##[error]legacy',
  '\x1b[31mred\x07',
  'a\rb\nc',
  'bidi\u202eevil\u2066x\u200bz\ufeff',
  '%0A::error::pct',
  '=HYPERLINK("http://x")',
];
/** Characters that must never reach a human-readable output raw (LF aside, which ends lines). */
const UNSEEN_RAW =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/u;
/** The workflow commands rmt-analyze itself writes with --format github. */
const OURS = /^(::group::rmt-analyze: |::endgroup::$|::error title=rmt-analyze gate%3A |::notice title=rmt-analyze::)/;

let hostile: string;
let good: string;
let broken: string;
beforeAll(() => {
  hostile = join(tmp, 'hostile.safetensors');
  writeFileSync(
    hostile,
    encodeSafetensors(
      HOSTILE.flatMap((name, i) => [
        { name, dtype: 'F32' as const, shape: [40, 30], values: values(1200, i + 1) },
        { name: `${name}.bias`, dtype: 'F32' as const, shape: [30], values: values(30, i + 100) },
      ]),
    ),
  );
  good = join(tmp, 'good.safetensors');
  writeFileSync(good, encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [40, 30], values: values(1200, 7) }]));
  broken = join(tmp, 'broken.safetensors');
  writeFileSync(broken, readFileSync(good).subarray(0, 60)); // cut inside the header
});

/** Lines a GitHub runner would read as a command: starting, after blanks, with `::` or `##[`. */
function commandLines(text: string): string[] {
  return text.split('\n').filter((l) => /^\s*(::|##\[)/u.test(l));
}

describe('6. hostile tensor names in every output', () => {
  // A gate that every analysed layer breaks, so the names reach the gate's lines too.
  const gate = ['--alpha-range', '100:200'];

  it.each(['table', 'markdown', 'csv', 'html'])('--format %s: no workflow command, no raw control text', async (f) => {
    const r = await runCliAsync([hostile, '--format', f, '--explain', ...gate]);
    expect(r.code, r.stderr).toBe(1);
    expect(commandLines(r.stdout)).toEqual([]);
    expect(commandLines(r.stderr)).toEqual([]);
    expect(r.stdout).not.toMatch(UNSEEN_RAW);
    expect(r.stderr).not.toMatch(UNSEEN_RAW);
    // Every analysed layer is there (none dropped to hide it), shown escaped.
    if (f !== 'csv') expect(r.stdout).toContain('\\x1b[31mred\\x07');
    expect(r.stdout).toContain('bidi\\u{202e}evil\\u{2066}x\\u{200b}z\\u{feff}');
  });

  it('--format github: only rmt-analyze’s own commands start a line; their data is escaped', async () => {
    const r = await runCliAsync([hostile, '--format', 'github', ...gate]);
    expect(r.code, r.stderr).toBe(1);
    const commands = commandLines(r.stdout);
    expect(commands.filter((l) => !OURS.test(l))).toEqual([]);
    const errors = commands.filter((l) => l.startsWith('::error '));
    expect(errors).toHaveLength(HOSTILE.length);
    // In an annotation, %, CR and LF are escaped as the runner expects (%25, %0D, %0A; in the
    // title also ':' and ','), so a name can neither end the command early nor start a new one.
    expect(errors.some((l) => l.includes('%250A%3A%3Aerror%3A%3Apct'))).toBe(true);
    expect(errors.some((l) => l.includes('a%0Db%0Ac'))).toBe(true);
    expect(r.stdout).not.toMatch(UNSEEN_RAW);
  });

  it('JSON keeps the exact names (it is data; JSON escapes controls itself)', async () => {
    const r = await runCliAsync([hostile, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as AnalysisReport;
    expect(doc.layers.filter((l) => l.status === 'analyzed').map((l) => l.name)).toEqual(HOSTILE);
  });

  it('CSV: a cell a spreadsheet would run as a formula is prefixed with an apostrophe', async () => {
    const r = await runCliAsync([hostile, '--format', 'csv']);
    expect(r.stdout).toContain(`'=HYPERLINK(""http://x"")`);
    expect(r.stdout.split('\n').some((l) => /,=/.test(l))).toBe(false);
  });

  it('the fuzzer’s injection check (run on text-format cases) catches what these tests forbid', () => {
    expect(injectionProblem('layer  α\n  ::error::x  1.2\n')).toMatch(/workflow command/);
    expect(injectionProblem('##[group]x\n')).toMatch(/workflow command/);
    expect(injectionProblem('a \x1b[2J b\n')).toMatch(/raw control/);
    expect(injectionProblem('a \u202e b\n')).toMatch(/raw control/);
    expect(injectionProblem('::group::rmt-analyze: m (1 layers)\n\\x3a:error::x\n::endgroup::\n')).toBeUndefined();
  });

  it('the progress bar shows names escaped', () => {
    for (const layer of HOSTILE) {
      const line = progressLine({ done: 1, total: 2, layer, model: 0, models: 1 }, 1000, 200);
      expect(line).not.toMatch(UNSEEN_RAW);
      expect(line).not.toMatch(/\n/);
    }
  });
});

/** Runs `script` in bash; returns its stdout (the script echoes the CLI's exit status). */
function bash(script: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('bash', ['-c', script], { cwd: ROOT, timeout: 120_000, encoding: 'utf8' }, (e, out) =>
      e ? reject(e) : resolve(out),
    ),
  );
}

describe('4. output faults', () => {
  it('a reader that closes early (| head -c 100) ends the run quietly with the run’s own code', async () => {
    const err = join(tmp, 'epipe.err');
    // --eigenvalues makes the JSON far larger than a pipe buffer (64 KiB).
    const model = join(REFERENCE, 'synthetic.safetensors');
    const ok = await bash(
      `node "${CLI}" "${model}" --json --eigenvalues 2>"${err}" | head -c 100 >/dev/null; echo \${PIPESTATUS[0]}`,
    );
    expect(ok.trim()).toBe('0');
    expect(readFileSync(err, 'utf8')).toBe('');
    const gated = await bash(
      `node "${CLI}" "${model}" --json --eigenvalues --alpha-range 100:200 2>/dev/null | head -c 100 >/dev/null; echo \${PIPESTATUS[0]}`,
    );
    expect(gated.trim()).toBe('1');
  });

  it('a write error (/dev/full) is one line naming the cause and exit 2', async () => {
    const err = join(tmp, 'enospc.err');
    const code = await bash(`node "${CLI}" "${good}" --json >/dev/full 2>"${err}"; echo $?`);
    expect(code.trim()).toBe('2');
    const lines = readFileSync(err, 'utf8').split('\n').filter(Boolean);
    expect(lines).toEqual([expect.stringMatching(/^rmt-analyze: cannot write the report to standard output: ENOSPC/)]);
  });
});

describe('11. several models, one unreadable', () => {
  let validate: (doc: unknown) => boolean;
  beforeAll(() => {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schema', 'report.v1.schema.json'), 'utf8')));
  });

  it.each([
    ['good first', () => [good, broken], 1],
    ['broken first', () => [broken, good], 0],
  ] as const)('%s: the readable model is reported, the other has models[i].error, exit 2', async (_, paths, bad) => {
    const r = await runCliAsync([...paths(), '--json']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as AnalysisReport;
    expect(validate(doc)).toBe(true);
    const badModel = doc.models[bad]!;
    expect('error' in badModel && badModel.error).toMatch(/broken\.safetensors: /);
    const okIndex = 1 - bad;
    expect(doc.layers.map((l) => [l.model, l.name, l.status])).toEqual([[okIndex, 'w', 'analyzed']]);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toEqual([expect.stringMatching(/^rmt-analyze: .*broken\.safetensors: /)]);
  });

  it('the table names the unreadable model; the readable one is analysed as on its own', async () => {
    const both = await runCliAsync([good, broken]);
    expect(both.code).toBe(2);
    expect(both.stdout).toMatch(/unreadable: .*broken\.safetensors: /);
    const alone = JSON.parse((await runCliAsync([good, '--json'])).stdout) as AnalysisReport;
    const pair = JSON.parse((await runCliAsync([good, broken, '--json'])).stdout) as AnalysisReport;
    expect(pair.layers).toEqual(alone.layers);
  });

  it('one model alone that is unreadable is still the run’s error: nothing on stdout', async () => {
    const r = await runCliAsync([broken, '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});
