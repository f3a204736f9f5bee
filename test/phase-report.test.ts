/**
 * How phases reach users (issue 4, item 5): the coloured phase column, --explain reasons
 * under each row, and JSON `phase`, `mp` and `summary`. Runs the CLI in-process on the
 * reference fixture.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main, type CliIO } from '../src/cli.js';
import type { AnalysisReport } from '../src/schema/index.js';
import { PHASE_NAMES, PHASE_RULES } from '../src/schema/index.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/reference/synthetic.safetensors', import.meta.url));

async function run(args: string[], { tty = false, env = {} as NodeJS.ProcessEnv } = {}) {
  let out = '';
  let err = '';
  const io: CliIO = {
    stdout: Object.assign(
      new (await import('node:stream')).Writable({ write: (c, _e, cb) => ((out += String(c)), cb()) }),
      { isTTY: tty },
    ),
    stderr: Object.assign(
      new (await import('node:stream')).Writable({ write: (c, _e, cb) => ((err += String(c)), cb()) }),
      { isTTY: false },
    ),
    env,
  };
  const code = await main(['node', 'rmt-analyze', ...args], io);
  return { code, out, err };
}

describe('phase in the reports', () => {
  it('JSON: phase { name, rule, reason } and mp { … } on every analysed layer, summary counts per phase', async () => {
    const { code, out } = await run([FIXTURE, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(out) as AnalysisReport;
    const analysed = report.layers.filter((l) => l.status === 'analyzed');
    expect(analysed).toHaveLength(12);
    for (const l of analysed) {
      expect(Object.keys(l.phase).sort()).toEqual(['evidence', 'name', 'reason', 'rule']);
      expect(PHASE_RULES).toContain(l.phase.rule);
      expect(PHASE_NAMES).toContain(l.phase.name);
      expect(l.mp.status).toBe('ok');
      if (l.mp.status === 'ok') {
        for (const k of ['sigma', 'lambdaPlus', 'lambdaMinus', 'twWidth', 'numSpikes', 'softRank', 'bulkKS'] as const) {
          expect(typeof l.mp[k]).toBe('number');
        }
      }
    }
    const counts = Object.fromEntries(PHASE_NAMES.map((p) => [p, analysed.filter((l) => l.phase.name === p).length]));
    expect(report.summary.phases).toEqual(counts);
    expect(report.summary.phases['rank-collapse']).toBe(1);
    for (const k of ['meanAlpha', 'meanAlphaWeighted', 'meanLogNorm', 'meanStableRank'] as const)
      expect(typeof report.summary[k]).toBe('number');
  });

  it('--explain prints each reason under its row; the phase column is coloured on a terminal', async () => {
    const { out } = await run([FIXTURE, '--explain'], { tty: true });
    const lines = out.split('\n');
    const row = lines.findIndex((l) => l.startsWith('d_rank50_1000x500'));
    expect(lines[row]).toMatch(/\x1b\[31mrank-collapse\x1b\[39m$/);
    expect(lines[row + 1]).toMatch(/↳ 450 of 500 eigenvalues \(90%\) are zero at float32 precision/);
    expect(lines.find((l) => l.startsWith('b_gauss_spike3'))).toContain('\x1b[34mbulk+spikes');
    // Each of the 12 analysed rows is followed by its phase reason (then the tail-fit line).
    const rows = lines.map((l, i) => [l, i] as const).filter(([l]) => /^[a-i]_\S+ /.test(l) && !l.includes('skipped'));
    expect(rows).toHaveLength(12);
    for (const [, i] of rows) expect(lines[i + 1]).toMatch(/^\S*\s+↳ /);
  });

  it('no reasons without --explain, no colour with NO_COLOR', async () => {
    const plain = await run([FIXTURE, '--layers', 'd_*'], { tty: true, env: { NO_COLOR: '1' } });
    expect(plain.out).toMatch(/^d_rank50_1000x500 .* rank-collapse$/m);
    expect(plain.out).not.toContain('↳');
    expect(plain.out).not.toContain('\x1b[');
  });
});
