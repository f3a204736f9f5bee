/**
 * src/launch.ts: large inputs are analysed in a child process started with glibc's tunables
 * (one malloc arena; huge pages on request, issue 14); everything else runs in-process, and the
 * child's output and exit status are the command's own.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  TUNED_CHILD_ABOVE_BYTES,
  ONE_PRESTART_BELOW_BYTES,
  PRESTART_ABOVE_BYTES,
  wantsHugePages,
  wantsTunedChild,
  workersToPrestart,
  childEnv,
  childTunables,
  prestartPreloads,
} from '../src/launch.js';
import { ROOT, runCli } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'rmt-launch-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A sparse file of `bytes` zero bytes (no disk written). */
function sparse(name: string, bytes: number): string {
  const path = join(tmp, name);
  const fd = openSync(path, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
  return path;
}

function thpOnRequest(): boolean {
  try {
    return readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8').includes('[madvise]');
  } catch {
    return false;
  }
}

const big = sparse('big.onnx', TUNED_CHILD_ABOVE_BYTES);
const small = sparse('small.onnx', 1024);

describe('wantsTunedChild', () => {
  const env = { PATH: process.env.PATH };
  const linux = process.platform === 'linux';

  it('a large file (or a folder of them), on Linux', () => {
    expect(wantsTunedChild([big, '--json'], env)).toBe(linux);
    expect(wantsTunedChild([tmp], env)).toBe(linux);
    expect(wantsTunedChild(['--format', 'json', small, big], env)).toBe(linux);
    expect(wantsTunedChild([big], { ...env, RMT_ANALYZE_HUGE_PAGES: '1' })).toBe(linux);
  });

  it('never for small inputs, options, missing paths, or when already set or turned off', () => {
    expect(wantsTunedChild([small], env)).toBe(false);
    expect(wantsTunedChild([], env)).toBe(false);
    expect(wantsTunedChild(['--version'], env)).toBe(false);
    expect(wantsTunedChild([join(tmp, 'missing.onnx')], env)).toBe(false);
    expect(wantsTunedChild([big], { ...env, RMT_ANALYZE_HUGE_PAGES: '0' })).toBe(false);
    expect(wantsTunedChild([big], { ...env, GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' })).toBe(false);
    expect(wantsTunedChild([big], { ...env, GLIBC_TUNABLES: 'glibc.malloc.check=0:glibc.malloc.hugetlb=0' })).toBe(
      false,
    );
    // The child's own environment: it runs the command itself.
    expect(wantsTunedChild([big], { ...env, GLIBC_TUNABLES: childTunables(undefined, false) })).toBe(false);
  });
});

describe('wantsHugePages', () => {
  it('only when asked for, and where the kernel gives them on request', () => {
    expect(wantsHugePages({})).toBe(false);
    expect(wantsHugePages({ RMT_ANALYZE_HUGE_PAGES: '0' })).toBe(false);
    expect(wantsHugePages({ RMT_ANALYZE_HUGE_PAGES: '1' })).toBe(process.platform === 'linux' && thpOnRequest());
  });
});

describe('childTunables', () => {
  it("one malloc arena after the user's tunables, huge pages when asked; the user's arena_max is kept", () => {
    expect(childTunables(undefined, false)).toBe('glibc.malloc.arena_max=1');
    expect(childTunables(undefined, true)).toBe('glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1');
    expect(childTunables('glibc.malloc.check=0', false)).toBe('glibc.malloc.check=0:glibc.malloc.arena_max=1');
    expect(childTunables('glibc.malloc.check=0', true)).toBe(
      'glibc.malloc.check=0:glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1',
    );
    expect(childTunables('glibc.malloc.arena_max=4', true)).toBe('glibc.malloc.arena_max=4:glibc.malloc.hugetlb=1');
    expect(childTunables('glibc.malloc.arena_max=4', false)).toBe('glibc.malloc.arena_max=4');
  });
});

describe('childEnv', () => {
  it('the tunables set, NODE_EXTRA_CA_CERTS dropped, everything else kept', () => {
    const env = { PATH: '/bin', NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt', RMT_X: '1' };
    expect(childEnv(env)).toEqual({ PATH: '/bin', RMT_X: '1', GLIBC_TUNABLES: 'glibc.malloc.arena_max=1' });
    expect(env.NODE_EXTRA_CA_CERTS).toBe('/etc/ssl/certs/ca-certificates.crt');
  });
});

describe('the command through the launcher', () => {
  it('a large unreadable file: exit 2 and the same one line in the child as in-process', () => {
    const child = runCli([big]);
    const here = runCli([big], { RMT_ANALYZE_HUGE_PAGES: '0' });
    expect(child.code).toBe(2);
    expect(child.stdout).toBe('');
    expect(child.stderr.trim().split('\n')).toHaveLength(1);
    expect(child.stderr).toContain(big);
    expect(child).toEqual(here);
  });

  it('a report on stdout and exit 0 come back from the child unchanged', () => {
    // A model padded past the threshold would take long to analyse: render a report padded
    // with whitespace instead (JSON allows it), in the child and in-process.
    const model = join(ROOT, 'fixtures', 'reference', 'synthetic.safetensors');
    const analysed = runCli([model, '--json']);
    expect(analysed.code).toBe(0);
    const padded = join(tmp, 'padded.json');
    writeFileSync(padded, analysed.stdout + ' '.repeat(TUNED_CHILD_ABOVE_BYTES));
    const child = runCli(['render', padded, '--format', 'csv']);
    const here = runCli(['render', padded, '--format', 'csv'], { RMT_ANALYZE_HUGE_PAGES: '0' });
    expect(child.code).toBe(0);
    expect(child.stdout.split('\n').length).toBeGreaterThan(3);
    expect(child).toEqual(here);
  });
});

describe('workersToPrestart', () => {
  const model = sparse('model.onnx', ONE_PRESTART_BELOW_BYTES);
  const smallModel = sparse('small-model.onnx', PRESTART_ABOVE_BYTES);
  const justBelow = sparse('just-below.onnx', ONE_PRESTART_BELOW_BYTES - 1);

  it('a model below ONE_PRESTART_BELOW_BYTES: one worker, whatever the cores', () => {
    expect(workersToPrestart([smallModel], 2)).toBe(1);
    expect(workersToPrestart([justBelow], 64)).toBe(1);
    expect(workersToPrestart([smallModel, '--jobs', '1'], 8)).toBe(1);
  });

  it('only workers for a model of at least ONE_PRESTART_BELOW_BYTES load onnxruntime at once', () => {
    expect(prestartPreloads([model, '--json'])).toBe(true);
    expect(prestartPreloads([justBelow])).toBe(false);
    expect(prestartPreloads([smallModel, '--jobs', '1'])).toBe(false);
  });

  it('an analysis of a model large enough for workers: as many as it will use', () => {
    expect(workersToPrestart([model], 2)).toBe(2);
    expect(workersToPrestart([model, '--json', '--jobs', '1'], 2)).toBe(1);
    expect(workersToPrestart(['--jobs=3', model], 8)).toBe(3);
    expect(workersToPrestart(['plot', model, '--layer', 'x'], 2)).toBe(2);
    expect(workersToPrestart([model], 64)).toBe(4);
  });

  it('none for small or missing models, other subcommands, help and version', () => {
    expect(workersToPrestart([small], 2)).toBe(0);
    expect(workersToPrestart([join(tmp, 'missing.onnx')], 2)).toBe(0);
    expect(workersToPrestart([], 2)).toBe(0);
    for (const sub of ['render', 'compare', 'merge', 'help']) expect(workersToPrestart([sub, model], 2)).toBe(0);
    expect(workersToPrestart([model, '--help'], 2)).toBe(0);
    expect(workersToPrestart(['--version'], 2)).toBe(0);
  });
});
