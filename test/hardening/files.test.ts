/**
 * Files (issue 12, points 1, 3, 8, 9): special files where a file is expected never hang
 * the run; a huge index is handled in linear time; the Hugging Face hub cache layout is
 * analysed while every symlink out of the model's trust root is refused, for every file
 * kind; external data is read from the descriptor that was checked. Bad input: exit 2, one
 * stderr line naming the file and the cause, nothing on stdout, under 512 MB, no hang (a
 * 60 s guard; no timing assertion). Cases run through the built CLI in a worker process
 * that reports its peak RSS (scripts/fuzz/worker.mjs), as in test/hostile.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeSafetensors, type StTensor } from '../../scripts/fixtures/safetensors-writer.js';
import { DT, f32, graph, model, node, tensor } from '../../scripts/fixtures/onnx.js';
import { mapBounded } from '../../src/load/bounded.js';
import { openOnnx } from '../../src/load/onnx/index.js';
import { trustRoot } from '../../src/load/paths.js';
import { CLI } from '../helpers.js';
import { cliWorker } from '../cli-worker.js';

const tmp = mkdtempSync(join(tmpdir(), 'rmt-files-'));
const run = cliWorker();
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

let nextId = 0;

/** A fresh folder under the test's temp dir. */
function folder(name = 'case'): string {
  const dir = join(tmp, `${name}-${nextId++}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}
function mkfifo(path: string): string {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo ${path} failed`);
  return path;
}

/** A deterministic matrix: analysable, different per name. */
function matrix(name: string, n: number, m = n): StTensor {
  let s = [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  const values = Array.from({ length: n * m }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
  return { name, dtype: 'F32', shape: [n, m], values };
}
const TENSORS = [matrix('layers.0.weight', 24, 16), matrix('layers.1.weight', 16, 20), matrix('head.weight', 20)];
const oneShard = encodeSafetensors(TENSORS);
const shardA = encodeSafetensors(TENSORS.slice(0, 2));
const shardB = encodeSafetensors(TENSORS.slice(2));
const INDEX = JSON.stringify({
  metadata: { total_size: 0 },
  weight_map: {
    'layers.0.weight': 'model-00001-of-00002.safetensors',
    'layers.1.weight': 'model-00001-of-00002.safetensors',
    'head.weight': 'model-00002-of-00002.safetensors',
  },
});

/** A one-MatMul ONNX model whose weight is external (`location`), with its values. */
const W = matrix('w', 12, 10);
const wBytes = f32(Array.from(W.values));
const onnxExternal = (location: string) =>
  model(
    graph(
      'g',
      [node('MatMul', ['x', 'w'], ['y'])],
      [tensor('w', DT.FLOAT, [12, 10], { external: { location, offset: 0, length: wBytes.length } })],
      ['x'],
      ['y'],
    ),
  );

/** Asserts the contract for bad input: exit 2, one stderr line naming `file`, matching `cause`. */
async function refused(args: string[], file: string, cause: RegExp): Promise<void> {
  const r = await run(args);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]!.startsWith(`rmt-analyze: ${file}: `), lines[0]).toBe(true);
  expect(lines[0]).toMatch(cause);
  expect(r.maxRssMB).toBeLessThan(512);
}

/** The analysed document of `args`; its layers (no paths in them) are what layouts must agree on. */
async function analysed(args: string[]): Promise<{ layers: { name: string; status: string }[]; summary: unknown }> {
  const r = await run([...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

const FIFO = /is not a regular file \(a FIFO\)|not a regular file \(a FIFO\)/;

describe('special files where a file is expected: refused, never a hang (point 1)', () => {
  const cases: [string, () => { args: string[]; file: string }, RegExp][] = [
    [
      'a FIFO as the model path',
      () => {
        const p = mkfifo(join(folder(), 'model.safetensors'));
        return { args: [p], file: p };
      },
      /^rmt-analyze: .*: not a regular file \(a FIFO\)$/,
    ],
    [
      'a FIFO model.safetensors in a directory',
      () => {
        const d = folder();
        mkfifo(join(d, 'model.safetensors'));
        return { args: [d], file: d };
      },
      /weights file 'model\.safetensors' is not a regular file \(a FIFO\)/,
    ],
    [
      'a FIFO index in a directory',
      () => {
        const d = folder();
        mkfifo(join(d, 'model.safetensors.index.json'));
        return { args: [d], file: d };
      },
      /sharded index 'model\.safetensors\.index\.json' is not a regular file \(a FIFO\)/,
    ],
    [
      'a FIFO shard named in a weight_map',
      () => {
        const d = folder();
        writeFileSync(join(d, 'model.safetensors.index.json'), INDEX);
        writeFileSync(join(d, 'model-00001-of-00002.safetensors'), shardA);
        mkfifo(join(d, 'model-00002-of-00002.safetensors'));
        const p = join(d, 'model.safetensors.index.json');
        return { args: [p], file: p };
      },
      /shard 'model-00002-of-00002\.safetensors' is not a regular file \(a FIFO\)/,
    ],
    [
      'a FIFO as ONNX external data',
      () => {
        const d = folder();
        writeFileSync(join(d, 'model.onnx'), onnxExternal('w.bin'));
        mkfifo(join(d, 'w.bin'));
        return { args: [join(d, 'model.onnx')], file: join(d, 'model.onnx') };
      },
      /tensor 'w' external data 'w\.bin' is not a regular file \(a FIFO\)/,
    ],
    [
      'a FIFO model.onnx in a directory, and in its onnx/ folder',
      () => {
        const d = folder();
        mkdirSync(join(d, 'onnx'));
        mkfifo(join(d, 'onnx', 'model.onnx'));
        return { args: [d], file: d };
      },
      /ONNX model 'onnx\/model\.onnx' is not a regular file \(a FIFO\)/,
    ],
    [
      '/dev/zero as the model path',
      () => ({ args: ['/dev/zero'], file: '/dev/zero' }),
      /not a regular file \(a character device\)/,
    ],
    [
      '/dev/zero as a shard (through a symlink inside the folder is still refused: outside)',
      () => {
        const d = folder();
        writeFileSync(join(d, 'x.safetensors.index.json'), JSON.stringify({ weight_map: { w: 'z.safetensors' } }));
        symlinkSync('/dev/zero', join(d, 'z.safetensors'));
        const p = join(d, 'x.safetensors.index.json');
        return { args: [p], file: p };
      },
      /shard 'z\.safetensors' resolves outside the model's folder: refused/,
    ],
    [
      'a directory named like a weights file',
      () => {
        const d = folder();
        mkdirSync(join(d, 'model.safetensors'));
        return { args: [d], file: d };
      },
      /weights file 'model\.safetensors' is not a regular file \(a directory\)/,
    ],
    [
      'a directory as a shard',
      () => {
        const d = folder();
        writeFileSync(join(d, 'x.safetensors.index.json'), JSON.stringify({ weight_map: { w: 'sub' } }));
        mkdirSync(join(d, 'sub'));
        const p = join(d, 'x.safetensors.index.json');
        return { args: [p], file: p };
      },
      /shard 'sub' is not a regular file \(a directory\)/,
    ],
    [
      'a directory as ONNX external data',
      () => {
        const d = folder();
        writeFileSync(join(d, 'model.onnx'), onnxExternal('data'));
        mkdirSync(join(d, 'data'));
        return { args: [join(d, 'model.onnx')], file: join(d, 'model.onnx') };
      },
      /external data 'data' is not a regular file \(a directory\)/,
    ],
    [
      'merge: a FIFO report',
      () => {
        const p = mkfifo(join(folder(), 'part.json'));
        return { args: ['merge', p], file: p };
      },
      FIFO,
    ],
    [
      'merge: /dev/zero as a report',
      () => ({ args: ['merge', '/dev/zero'], file: '/dev/zero' }),
      /not a regular file \(a character device\)/,
    ],
    [
      'compare: a FIFO on either side',
      () => {
        const p = mkfifo(join(folder(), 'old.json'));
        return { args: ['compare', p, p], file: p };
      },
      FIFO,
    ],
  ];
  for (const [name, make, cause] of cases) {
    it(name, async () => {
      const { args, file } = make();
      await refused(args, file, cause);
    }, 60_000);
  }

  it('a Unix socket in place of a file (open() fails with ENXIO): the same one line', async () => {
    const d = folder();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(d, 'model.safetensors'), resolve));
    try {
      const sock = join(d, 'model.safetensors');
      await refused([d], d, /weights file 'model\.safetensors' is not a regular file \(a socket\)/);
      await refused([sock], sock, /not a regular file \(a socket\)$/);
      await refused(['merge', sock], sock, /not a regular file \(a socket\)$/);
    } finally {
      server.close();
    }
  }, 60_000);

  it('the config file: a FIFO, /dev/zero or a directory (explicit, or rmt-analyze.config.json in the cwd)', () => {
    const model = join(folder(), 'm.safetensors');
    writeFileSync(model, oneShard);
    const cwd = folder('cwd');
    mkfifo(join(cwd, 'rmt-analyze.config.json'));
    const runIn = (args: string[]) =>
      spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
    const expectations: [string[], RegExp][] = [
      [[model], /^rmt-analyze: rmt-analyze\.config\.json: not a regular file \(a FIFO\)\n$/],
      [[model, '--config', join(cwd, 'rmt-analyze.config.json')], /config\.json: not a regular file \(a FIFO\)\n$/],
      [[model, '--config', '/dev/zero'], /^rmt-analyze: \/dev\/zero: not a regular file \(a character device\)\n$/],
      [[model, '--config', cwd], /: not a regular file \(a directory\)\n$|: is a directory\n$/],
    ];
    for (const [args, stderr] of expectations) {
      const r = runIn(args);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(stderr);
    }
  }, 120_000);
});

describe('a huge index: linear time, bounded concurrency (point 3)', () => {
  it('200,000 distinct shard names, none present: the first missing one, at once', async () => {
    const d = folder();
    const map: Record<string, string> = {};
    for (let i = 0; i < 200_000; i++) map[`t${i}`] = `s${i}.safetensors`;
    const p = join(d, 'model.safetensors.index.json');
    writeFileSync(p, JSON.stringify({ weight_map: map }));
    await refused([p], p, /^rmt-analyze: .*: shard file 's0\.safetensors' does not exist$/);
  }, 60_000);

  it('2,000 shards present and 198,000 missing: the first missing one in order', async () => {
    const d = folder();
    const map: Record<string, string> = {};
    for (let i = 0; i < 200_000; i++) map[`t${i}`] = `s${i}.safetensors`;
    for (let i = 0; i < 2_000; i++) {
      writeFileSync(join(d, `s${i}.safetensors`), encodeSafetensors([{ ...matrix(`t${i}`, 1, 2) }]));
    }
    const p = join(d, 'model.safetensors.index.json');
    writeFileSync(p, JSON.stringify({ weight_map: map }));
    await refused([p], p, /shard file 's2000\.safetensors' does not exist$/);
  }, 60_000);

  it('mapBounded: never more than the limit in flight; the earliest failure; results released', async () => {
    let inFlight = 0;
    let most = 0;
    const released: number[] = [];
    const work = async (i: number) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, (i * 7) % 5));
      inFlight--;
      if (i === 40 || i === 37) throw new Error(`fail ${i}`);
      return i;
    };
    const items = Array.from({ length: 200 }, (_, i) => i);
    await expect(mapBounded(items, 8, work, async (r) => void released.push(r))).rejects.toThrow('fail 37');
    expect(most).toBeLessThanOrEqual(8);
    expect(released.length).toBeGreaterThanOrEqual(37);
    expect(released).not.toContain(37);
    expect(await mapBounded(items, 8, async (i) => i * 2)).toEqual(items.map((i) => i * 2));
    expect(most).toBeLessThanOrEqual(8);
  });
});

/**
 * A hub cache repository as huggingface_hub writes it: blobs named by hash, snapshot files
 * as relative symlinks to them. Returns the snapshot folder.
 */
function hubRepo(cache: string, repo: string, files: Record<string, Uint8Array | string>): string {
  const root = join(cache, repo);
  const snap = join(root, 'snapshots', '0123456789abcdef');
  mkdirSync(join(root, 'blobs'), { recursive: true });
  mkdirSync(join(root, 'refs'), { recursive: true });
  mkdirSync(snap, { recursive: true });
  writeFileSync(join(root, 'refs', 'main'), '0123456789abcdef');
  let n = 0;
  for (const [name, bytes] of Object.entries(files)) {
    const blob = `b${(n++).toString(16).padStart(40, '0')}`;
    writeFileSync(join(root, 'blobs', blob), bytes);
    const depth = name.split('/').length + 1; // snapshots/<rev>/[sub/]name → ../../[../]blobs
    mkdirSync(join(snap, name, '..'), { recursive: true });
    symlinkSync(`${'../'.repeat(depth)}blobs/${blob}`, join(snap, name));
  }
  return snap;
}
function plain(files: Record<string, Uint8Array | string>): string {
  const d = folder('plain');
  for (const [name, bytes] of Object.entries(files)) {
    mkdirSync(join(d, name, '..'), { recursive: true });
    writeFileSync(join(d, name), bytes);
  }
  return d;
}

describe('the Hugging Face hub cache layout (point 8)', () => {
  const layouts: [string, Record<string, Uint8Array | string>, string, number][] = [
    ['one safetensors file', { 'model.safetensors': oneShard, 'config.json': '{}' }, 'model.safetensors', 3],
    [
      'a sharded index',
      {
        'model.safetensors.index.json': INDEX,
        'model-00001-of-00002.safetensors': shardA,
        'model-00002-of-00002.safetensors': shardB,
      },
      'model.safetensors.index.json',
      3,
    ],
    [
      'ONNX with external data in onnx/',
      { 'onnx/model.onnx': onnxExternal('model.onnx_data'), 'onnx/model.onnx_data': wBytes },
      'onnx/model.onnx',
      1,
    ],
  ];
  for (const [name, files, main, layers] of layouts) {
    it(`${name}: the snapshot folder and its file give the numbers of the plain layout`, async () => {
      const snap = hubRepo(folder('hub'), 'models--org--name', files);
      const reference = await analysed([plain(files)]);
      expect(reference.layers.filter((l) => l.status === 'analyzed')).toHaveLength(layers);
      for (const path of [snap, join(snap, main)]) {
        const doc = await analysed([path]);
        expect(doc.layers).toEqual(reference.layers);
        expect(doc.summary).toEqual(reference.summary);
      }
    }, 120_000);
  }

  it('a snapshot symlink into another cache repository, the cache root or /tmp is refused', async () => {
    const cache = folder('hub');
    hubRepo(cache, 'models--other--repo', { 'model.safetensors': oneShard });
    const outside = join(folder('outside'), 'w.safetensors');
    writeFileSync(outside, oneShard);
    writeFileSync(join(cache, 'loose.safetensors'), oneShard);
    const targets = [`../../../models--other--repo/blobs/b${'0'.repeat(40)}`, '../../../loose.safetensors', outside];
    for (const [i, target] of targets.entries()) {
      const snap = hubRepo(cache, `models--org--name${i}`, { 'config.json': '{}' });
      symlinkSync(target, join(snap, 'model.safetensors'));
      await refused(
        [snap],
        snap,
        new RegExp(`weights file 'model.safetensors' resolves outside the cache repository 'models--org--name${i}'`),
      );
    }
  }, 120_000);

  it('every file kind escaping the cache repository is refused: shard, index, ONNX file, external data', async () => {
    const cache = folder('hub');
    const other = hubRepo(cache, 'models--other--repo', {
      's.safetensors': shardB,
      'i.json': INDEX,
      'm.onnx': onnxExternal('d.bin'),
      'd.bin': wBytes,
    });
    const intoOther = (name: string) => `../../../models--other--repo/snapshots/0123456789abcdef/${name}`;
    // a shard of an index
    let snap = hubRepo(cache, 'models--a--shard', {
      'model.safetensors.index.json': INDEX,
      'model-00001-of-00002.safetensors': shardA,
    });
    symlinkSync(intoOther('s.safetensors'), join(snap, 'model-00002-of-00002.safetensors'));
    await refused([snap], snap, /shard 'model-00002-of-00002\.safetensors' resolves outside the cache repository/);
    // the index itself, picked from the listing
    snap = hubRepo(cache, 'models--a--index', {});
    symlinkSync(intoOther('i.json'), join(snap, 'model.safetensors.index.json'));
    await refused([snap], snap, /sharded index 'model\.safetensors\.index\.json' resolves outside/);
    // the ONNX file, picked from the listing
    snap = hubRepo(cache, 'models--a--onnx', {});
    symlinkSync(intoOther('m.onnx'), join(snap, 'model.onnx'));
    await refused([snap], snap, /ONNX model 'model\.onnx' resolves outside the cache repository/);
    // external data of an ONNX model
    snap = hubRepo(cache, 'models--a--data', { 'model.onnx': onnxExternal('d.bin') });
    symlinkSync(intoOther('d.bin'), join(snap, 'd.bin'));
    const m = join(snap, 'model.onnx');
    await refused([m], m, /tensor 'w' external data 'd\.bin' resolves outside the cache repository 'models--a--data'/);
    expect(other).toContain('models--other--repo');
  }, 120_000);

  it('plain folder, one policy: model.onnx, model.safetensors, onnx/ symlinked out are refused', async () => {
    const outside = folder('outside');
    writeFileSync(join(outside, 'm.onnx'), onnxExternal('d.bin'));
    writeFileSync(join(outside, 'd.bin'), wBytes);
    writeFileSync(join(outside, 'm.safetensors'), oneShard);
    const a = folder();
    symlinkSync(join(outside, 'm.onnx'), join(a, 'model.onnx'));
    await refused([a], a, /ONNX model 'model\.onnx' resolves outside the model's folder: refused/);
    const b = folder();
    symlinkSync(join(outside, 'm.safetensors'), join(b, 'model.safetensors'));
    await refused([b], b, /weights file 'model\.safetensors' resolves outside the model's folder: refused/);
    const c = folder();
    symlinkSync(outside, join(c, 'onnx'));
    await refused([c], c, /ONNX folder 'onnx' resolves outside the model's folder: refused/);
    // The path the user names is theirs: a symlink given on the command line is followed.
    expect((await analysed([join(b, 'model.safetensors')])).layers).toHaveLength(3);
  }, 60_000);

  it('a "snapshots" folder outside a models--… repository earns no wider root', () => {
    expect(trustRoot('/c/models--o--n/snapshots/rev')).toBe('/c/models--o--n');
    expect(trustRoot('/c/models--o--n/snapshots/rev/onnx')).toBe('/c/models--o--n');
    expect(trustRoot('/c/models--o--n/snapshots')).toBe('/c/models--o--n/snapshots');
    expect(trustRoot('/c/repo/snapshots/rev')).toBe('/c/repo/snapshots/rev');
    expect(trustRoot('/c/models--o--n/blobs')).toBe('/c/models--o--n/blobs');
  });
});

describe('check once, read the same file (point 9)', () => {
  it('external data swapped for a FIFO or a symlink after opening: the checked file is read', async () => {
    const d = folder();
    const path = join(d, 'model.onnx');
    writeFileSync(path, onnxExternal('w.bin'));
    writeFileSync(join(d, 'w.bin'), wBytes);
    writeFileSync(join(d, 'other.bin'), new Uint8Array(wBytes.length).fill(0x41));
    const m = await openOnnx(path);
    try {
      unlinkSync(join(d, 'w.bin'));
      mkfifo(join(d, 'w.bin'));
      const values = await m.tensors[0]!.read();
      expect(Array.from(values)).toEqual(Array.from(new Float32Array(wBytes.buffer, wBytes.byteOffset, 120)));
      unlinkSync(join(d, 'w.bin'));
      symlinkSync(join(d, 'other.bin'), join(d, 'w.bin'));
      expect(Array.from(await m.tensors[0]!.read())).toEqual(Array.from(values));
    } finally {
      await m.close();
    }
  }, 60_000);
});
