/**
 * Hostile and broken model files (issue 3): one named case per bullet of the issue, each
 * exiting 2 with one line on stderr naming the file and the cause, nothing on stdout, under
 * 512 MB and without hanging (a 60 s guard per case; no timing assertion). Cases run
 * through the built CLI in a worker process that reports its peak RSS
 * (scripts/fuzz/worker.mjs).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeSafetensors } from '../scripts/fixtures/safetensors-writer.js';
import { DT, f32 as f32Bytes, graph, model, node, tensor } from '../scripts/fixtures/onnx.js';
import { CLI } from './helpers.js';
import { cliWorker, expectRefused } from './cli-worker.js';

const tmp = mkdtempSync(join(tmpdir(), 'rmt-hostile-'));
chmodSync(tmp, 0o755); // so that the permission case is denied by the file's mode, not the folder's
const run = cliWorker();
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

let nextId = 0;

/** Writes `bytes` to a fresh folder and returns the file's path. */
function put(name: string, bytes: Uint8Array | string): string {
  const dir = join(tmp, `case-${nextId++}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir, { recursive: true });
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

const weights = (n = 4) => ({
  name: 'w',
  dtype: 'F32' as const,
  shape: [n, n],
  values: Array.from({ length: n * n }, (_, i) => i % 7),
});
const st = (header: unknown, dataBytes: number, lenOverride?: bigint) => {
  const json = Buffer.from(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, lenOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  return out;
};
const goodSt = encodeSafetensors([weights()]);
const f32 = (shape: number[], offsets: unknown) => ({ w: { dtype: 'F32', shape, data_offsets: offsets } });

/** A one-matmul ONNX model whose weight is `w`; extra files are written beside it. */
function onnxWith(w: Record<string, unknown>, extra: Record<string, Uint8Array> = {}): string {
  const bytes = model(graph('g', [node('MatMul', ['x', 'w'], ['y'])], [w], ['x'], ['y']));
  const p = put('model.onnx', bytes);
  for (const [name, data] of Object.entries(extra)) writeFileSync(join(p, '..', name), data);
  return p;
}
const w16 = (data: Parameters<typeof tensor>[3], dims = [4, 4]) => tensor('w', DT.FLOAT, dims, data);
const good16 = f32Bytes(Array.from({ length: 16 }, (_, i) => i));
const goodOnnx = model(graph('g', [node('MatMul', ['x', 'w'], ['y'])], [w16({ raw: good16 })], ['x'], ['y']));
/** Where the weight's bytes sit inside goodOnnx (to cut the file inside them). */
const rawAt = Buffer.from(goodOnnx).indexOf(Buffer.from(good16));
/** A model whose graph nests `depth` subgraphs (graph → node → attribute g → graph …), encoded by hand. */
function nested(depth: number): Uint8Array {
  const varint = (n: number) => {
    const out: number[] = [];
    for (; n > 127; n >>>= 7) out.push((n & 127) | 128);
    out.push(n);
    return out;
  };
  const field = (no: number, body: Uint8Array) => new Uint8Array([(no << 3) | 2, ...varint(body.length), ...body]);
  // GraphProto.node = 1, NodeProto.attribute = 5, AttributeProto.g = 6, ModelProto.graph = 7.
  let g = new Uint8Array(0);
  for (let i = 0; i < depth; i++) g = field(1, field(5, field(6, g)));
  return new Uint8Array([0x08, 0x0a, ...field(7, g)]);
}

/** Each case: what the issue names, the file to give the CLI, and the cause the error must state. */
const CASES: [string, () => string, RegExp][] = [
  [
    'truncated: safetensors header',
    () => put('m.safetensors', goodSt.subarray(0, 20)),
    /larger than the file .*truncated/,
  ],
  [
    'truncated: safetensors length field',
    () => put('m.safetensors', goodSt.subarray(0, 5)),
    /too short for a safetensors header/,
  ],
  [
    'truncated: safetensors tensor data',
    () => put('m.safetensors', goodSt.subarray(0, goodSt.length - 3)),
    /points past the end of the file/,
  ],
  [
    'safetensors: length field larger than the file',
    () => put('m.safetensors', st(f32([2], [0, 8]), 8, 10_000n)),
    /header length 10000 is larger than the file/,
  ],
  [
    'safetensors: length field above the 100 MB cap',
    () => put('m.safetensors', st(f32([2], [0, 8]), 8, 2n ** 40n)),
    /above the 100000000-byte cap/,
  ],
  ['safetensors: header not JSON', () => put('m.safetensors', st('x', 0).fill(0x41, 8)), /not valid UTF-8 JSON/],
  [
    'safetensors: header not an object',
    () => put('m.safetensors', st([f32([2], [0, 8])], 8)),
    /header is not a JSON object/,
  ],
  [
    'safetensors: wrong types in the header',
    () => put('m.safetensors', st({ w: { dtype: 'F32', shape: [2], data_offsets: ['0', '8'] } }, 8)),
    /data_offsets are not integers/,
  ],
  [
    'safetensors: unknown dtype',
    () => put('m.safetensors', st({ w: { dtype: 'F128', shape: [2], data_offsets: [0, 8] } }, 8)),
    /unknown dtype 'F128'/,
  ],
  [
    'safetensors: negative data_offsets',
    () => put('m.safetensors', st(f32([2], [-8, 0]), 8)),
    /data_offsets are negative/,
  ],
  [
    'safetensors: overlapping data_offsets',
    () =>
      put(
        'm.safetensors',
        st(
          {
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
          },
          12,
        ),
      ),
    /overlaps the previous tensor/,
  ],
  [
    'safetensors: unsorted data_offsets (end before begin)',
    () => put('m.safetensors', st(f32([0], [8, 0]), 8)),
    /end 0 is before begin 8/,
  ],
  [
    'safetensors: out-of-range data_offsets',
    () => put('m.safetensors', st(f32([4], [0, 16]), 8)),
    /points past the end of the file/,
  ],
  [
    'safetensors: shape × dtype size ≠ byte length',
    () => put('m.safetensors', st(f32([3], [0, 8]), 8)),
    /needs 12 bytes but data_offsets span 8/,
  ],
  [
    'an empty model (no weights)',
    () => put('m.safetensors', st({ __metadata__: { format: 'pt' } }, 0)),
    /no weight tensors/,
  ],
  [
    'a model with only integer tensors',
    () => put('m.safetensors', encodeSafetensors([{ name: 'ids', dtype: 'I64', shape: [3], values: [1, 2, 3] }])),
    /no weight tensors \(only 1 integer or non-numeric tensors\)/,
  ],
  [
    'a directory without weights',
    () => {
      const p = put('config.json', '{"model_type": "x"}');
      return join(p, '..');
    },
    /directory holds no model weights/,
  ],
  [
    'a file that is neither format',
    () => put('notes.txt', 'just some text, not weights'),
    /neither ONNX, safetensors nor a PyTorch checkpoint/,
  ],
  ['an empty file', () => put('m.onnx', ''), /the file is empty/],
  ['a missing file', () => join(tmp, 'nope', 'model.safetensors'), /no such file or directory/],
  [
    'truncated: ONNX protobuf',
    () => put('m.onnx', goodOnnx.subarray(0, Math.floor(goodOnnx.length / 2))),
    /past the end|truncated|ends/,
  ],
  ['truncated: ONNX tensor data', () => put('m.onnx', goodOnnx.subarray(0, rawAt + 10)), /past the end|truncated|ends/],
  [
    'truncated: external data file',
    () =>
      onnxWith(w16({ external: { location: 'w.bin', offset: 0, length: 64 } }), { 'w.bin': good16.subarray(0, 40) }),
    /past the end/,
  ],
  [
    'ONNX: protobuf garbage',
    () => put('m.onnx', new Uint8Array([0x08, 0x07, 0x3a, 0x05, 0xff, 0xfe, 0x00, 0x13, 0x99, 0x42])),
    /.+/,
  ],
  ['ONNX: wrong wire type', () => put('m.onnx', new Uint8Array([0x08, 0x0a, 0x38, 0x05])), /wire type/],
  ['ONNX: varint overflow', () => put('m.onnx', new Uint8Array([0x08, ...new Array(11).fill(0xff), 0x01])), /varint/],
  ['ONNX: absurd nesting', () => put('m.onnx', nested(80)), /nest/],
  ['ONNX: negative dims', () => onnxWith(w16({ raw: good16 }, [-4, -4])), /negative|invalid dim/],
  [
    'ONNX: dims that multiply beyond the data (2^30 × 2^30, 64 bytes)',
    () => onnxWith(w16({ raw: good16 }, [2 ** 30, 2 ** 30])),
    /2\^?30|1073741824|elements|bytes/,
  ],
  ['ONNX: raw_data of the wrong length', () => onnxWith(w16({ raw: good16.subarray(0, 60) })), /60 bytes|raw_data/],
  [
    'external data: absolute location',
    () => onnxWith(w16({ external: { location: '/etc/passwd' } })),
    /absolute path '\/etc\/passwd': refused/,
  ],
  [
    'external data: location with ..',
    () => onnxWith(w16({ external: { location: '../w.bin' } })),
    /outside the model's folder: refused/,
  ],
  [
    'external data: symlink resolving outside the folder',
    () => {
      const p = onnxWith(w16({ external: { location: 'link/hostname' } }));
      symlinkSync('/etc', join(p, '..', 'link'));
      return p;
    },
    /resolves outside the model's folder: refused/,
  ],
  [
    'external data: missing file',
    () => onnxWith(w16({ external: { location: 'absent.bin' } })),
    /'absent.bin' does not exist/,
  ],
  [
    'external data: offset past the end',
    () => onnxWith(w16({ external: { location: 'w.bin', offset: 4096, length: 64 } }), { 'w.bin': good16 }),
    /past the end/,
  ],
  [
    'external data: length past the end',
    () => onnxWith(w16({ external: { location: 'w.bin', offset: 32, length: 64 } }), { 'w.bin': good16 }),
    /past the end/,
  ],
  [
    'an empty ONNX model (no weights)',
    () => put('m.onnx', model(graph('g', [node('Relu', ['x'], ['y'])], [], ['x'], ['y']))),
    /no weight tensors/,
  ],
];

describe('bad input: exit 2, one line naming the file and the cause', () => {
  for (const [name, make, cause] of CASES) {
    it(name, async () => {
      const path = make();
      expectRefused(await run([path, '--json']), path, cause, 512);
    }, 60_000); // a hang guard, not a timing assertion (timings belong to `npm run bench`)
  }

  it('hostile tensor names cannot drive the terminal: control characters are shown escaped', async () => {
    const evil = 'w\x1b[2J\x1b]0;pwned\x07\nfake row';
    const path = put('m.safetensors', encodeSafetensors([{ ...weights(12), name: evil }]));
    const r = await run([path]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(r.stdout).toContain('w\\x1b[2J\\x1b]0;pwned\\x07\\nfake row');
    const doc = JSON.parse((await run([path, '--json'])).stdout);
    expect(doc.layers[0].name).toBe(evil);
  });

  it('permission denied', () => {
    const path = put('m.safetensors', goodSt);
    chmodSync(path, 0o000);
    // Root reads anything: run the CLI as nobody when we are root.
    const asNobody = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    chmodSync(join(path, '..'), 0o755);
    const [cmd, ...args] = [...asNobody, process.execPath, CLI, path];
    const r = spawnSync(cmd!, args, { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`rmt-analyze: ${path}: permission denied\n`);
  });
});
