/**
 * Issue 15, item 12: colour conventions. --color always|never|auto (--no-color = never);
 * in auto, NO_COLOR (non-empty) wins, FORCE_COLOR forces colour when piped (not 0/false),
 * otherwise colour only on a terminal.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { GENERATED, runCli } from '../helpers.js';

const DTYPES = join(GENERATED, 'safetensors', 'dtypes.safetensors');
const ANSI = /\x1b\[/;

async function onTerminal(args: string[], env: NodeJS.ProcessEnv) {
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
  await main(['node', 'rmt-analyze', DTYPES, ...args], { stdout, stderr, env });
  return out;
}

describe('colour', () => {
  it.each([
    [[], {}, false],
    [['--color', 'always'], {}, true],
    [['--color', 'always'], { NO_COLOR: '1' }, true],
    [['--color', 'auto'], {}, false],
    [[], { FORCE_COLOR: '1' }, true],
    [[], { FORCE_COLOR: '' }, true],
    [[], { FORCE_COLOR: '0' }, false],
    [[], { FORCE_COLOR: 'false' }, false],
    [[], { FORCE_COLOR: '1', NO_COLOR: '1' }, false],
    [['--color', 'never'], { FORCE_COLOR: '1' }, false],
    [['--no-color'], { FORCE_COLOR: '1' }, false],
  ])('piped, %j with %j: colour %s', (args, env, coloured) => {
    const r = runCli([DTYPES, ...args], env);
    expect(r.code).toBe(0);
    expect(ANSI.test(r.stdout)).toBe(coloured);
  });

  it('on a terminal: colour unless --color never, --no-color or NO_COLOR', async () => {
    expect(await onTerminal([], {})).toMatch(ANSI);
    expect(await onTerminal(['--color', 'never'], {})).not.toMatch(ANSI);
    expect(await onTerminal(['--no-color'], {})).not.toMatch(ANSI);
    expect(await onTerminal([], { NO_COLOR: '1' })).not.toMatch(ANSI);
    expect(await onTerminal(['--color', 'always'], { NO_COLOR: '1' })).toMatch(ANSI);
  });

  it('the same for the other commands; a bad value is a usage error', () => {
    expect(runCli(['plot', DTYPES, '--layer', 'conv', '--color', 'always']).stdout).toMatch(ANSI);
    expect(runCli(['compare', DTYPES, DTYPES], { FORCE_COLOR: '1' }).stdout).toMatch(ANSI);
    const bad = runCli([DTYPES, '--color', 'sometimes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Allowed choices are auto, always, never/);
  });
});
