/**
 * Issue 12, structure of the file (points 2, 7, 10, 13): many tensors, tensors hidden in
 * attributes, overlapping external ranges, floods of empty nodes, and format sniffing.
 * Runs the built CLI in a worker process that reports exit code, output and peak RSS
 * (scripts/fuzz/worker.mjs, as test/hostile.test.ts does); large --json documents (over
 * the worker's 1 MB capture) are checked through a spawned CLI. No timing assertions: the
 * per-test limits only catch hangs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DT, f32, graph, model, node, tensor } from '../../scripts/fixtures/onnx.js';
import { encodeSafetensors } from '../../scripts/fixtures/safetensors-writer.js';
import { GraphProto } from '../../scripts/fixtures/onnx-protobufjs.js';
import { MAX_WALKED_MESSAGES } from '../../src/load/onnx/wire.js';
import { looksLikeProtobufModel } from '../../src/load/onnx/sniff.js';
import { sniffFormat } from '../../src/load/index.js';
import { runCli } from '../helpers.js';
import { cliWorker, expectRefused as expectOutcomeRefused } from '../cli-worker.js';

const tmp = mkdtempSync(join(tmpdir(), 'rmt-structure-'));
const run = cliWorker();
/**
 * A worker of its own for a case whose memory bound is tight: a worker reports its lifetime
 * peak RSS, so after the two-million-node case (bounded at 1.5 GB) the shared one could not
 * show a 600 MB bound holding.
 */
const runAlone = cliWorker();
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

let nextId = 0;

function put(name: string, bytes: Uint8Array | string, extra: Record<string, Uint8Array> = {}): string {
  const dir = join(tmp, `case-${nextId++}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir, { recursive: true });
  for (const [n, data] of Object.entries(extra)) writeFileSync(join(dir, n), data);
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** Exit 2, nothing on stdout, one stderr line naming the file and matching `cause`. */
async function expectRefused(path: string, cause: RegExp): Promise<void> {
  expectOutcomeRefused(await run([path, '--json']), path, cause, 1536);
}

/** The JSON document of a run through a spawned CLI (its output may be tens of megabytes). */
function jsonOf(path: string): { models: { format: string; tensors: number }[]; layers: Record<string, unknown>[] } {
  const r = runCli([path, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

const values12 = Array.from({ length: 144 }, (_, i) => ((i * 37) % 11) - 5);
const w12 = (name = 'w', shift = 0) => tensor(name, DT.FLOAT, [12, 12], { raw: f32(values12.map((v) => v + shift)) });
const AT = { TENSOR: 4, GRAPH: 5, FLOAT: 1 } as const;
const onnx = (nodes: Record<string, unknown>[], inits: Record<string, unknown>[] = [w12()]) =>
  model(graph('g', nodes, inits, ['x'], ['y']));

describe('point 2: many tensors and layers finish with a report', () => {
  const N = 130_000;

  it(`${N} one-element tensors in safetensors: table and --json`, async () => {
    const tensors = Array.from({ length: N }, (_, i) => ({
      name: `t${i}`,
      dtype: 'F32' as const,
      shape: [1],
      values: [1],
    }));
    const path = put('many.safetensors', encodeSafetensors(tensors));
    const table = await run([path]);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    expect(table.maxRssMB).toBeLessThan(1536);
    const doc = jsonOf(path);
    expect(doc.layers).toHaveLength(N);
    expect(doc.layers.every((l) => l.status === 'skipped' && l.skipCode === 'vector')).toBe(true);
  }, 300_000);

  it(`${N} one-element ONNX initializers: --json lists every one`, () => {
    const inits = Array.from({ length: N }, (_, i) => tensor(`t${i}`, DT.FLOAT, [1], { raw: f32([1]) }));
    const path = put('many.onnx', onnx([node('Relu', ['x'], ['y'])], inits));
    const doc = jsonOf(path);
    expect(doc.models[0]).toMatchObject({ format: 'onnx', tensors: N });
    expect(doc.layers).toHaveLength(N);
  }, 300_000);

  it('an expert stack [140000, 2, 17]: one skipped layer per matrix', async () => {
    const values = new Float32Array(140_000 * 34).fill(1);
    const path = put(
      'stack.safetensors',
      encodeSafetensors([{ name: 'experts', dtype: 'F32', shape: [140_000, 2, 17], values }]),
    );
    const table = await run([path]);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    expect(table.maxRssMB).toBeLessThan(1536);
    const doc = jsonOf(path);
    expect(doc.layers).toHaveLength(140_000);
    expect(doc.layers[139_999]).toMatchObject({ id: 'experts[139999]', status: 'skipped' });
  }, 300_000);
});

describe('point 7: no ONNX tensor is dropped silently', () => {
  const attr = (name: string, t: Record<string, unknown>) => ({ name, type: AT.TENSOR, t });
  const raw = (op: string, attribute: Record<string, unknown>[], inputs: string[], outputs: string[]) => ({
    op_type: op,
    name: `${op}_node`,
    input: inputs,
    output: outputs,
    attribute,
  });

  it('a Constant with two value attributes is refused', async () => {
    const c = raw('Constant', [attr('value', w12('a')), attr('value', w12('b'))], [], ['w']);
    await expectRefused(
      put('m.onnx', onnx([c, node('MatMul', ['x', 'w'], ['y'])], [])),
      /two attributes named 'value'/,
    );
  });

  it('an If with two then_branch attributes is refused', async () => {
    const branch = (name: string) => graph(name, [node('MatMul', ['x', name], ['y'])], [w12(name)], [], ['y']);
    const g = (name: string) => ({ name: 'then_branch', type: AT.GRAPH, g: branch(name) });
    const elseB = { name: 'else_branch', type: AT.GRAPH, g: branch('e') };
    const ifNode = raw('If', [g('t1'), g('t2'), elseB], ['cond'], ['y']);
    await expectRefused(put('m.onnx', onnx([ifNode], [])), /two attributes named 'then_branch'/);
  });

  it('a Constant whose attribute name differs in case is refused', async () => {
    const c = raw('Constant', [attr('Value', w12())], [], ['w']);
    await expectRefused(put('m.onnx', onnx([c, node('MatMul', ['x', 'w'], ['y'])], [])), /Constant .*'Value'/);
  });

  it('a Constant with a value and a second attribute is refused', async () => {
    const c = raw('Constant', [attr('value', w12()), { name: 'value_float', type: AT.FLOAT, f: 1 }], [], ['w']);
    await expectRefused(put('m.onnx', onnx([c, node('MatMul', ['x', 'w'], ['y'])], [])), /exactly one/);
  });

  it('tensors in attributes of other ops are listed and analysed, under any attribute name', async () => {
    const custom = raw('MyOp', [attr('Weight', w12('')), attr('WEIGHT', w12('named', 1))], ['x'], ['y']);
    const path = put('m.onnx', onnx([custom], []));
    const doc = jsonOf(path);
    expect(doc.layers.map((l) => [l.name, l.status])).toEqual([
      ['MyOp_node.Weight', 'analyzed'],
      ['named', 'analyzed'],
    ]);
  });
});

describe('point 10: memory and CPU amplification', () => {
  /** A one-MatMul model whose graph is followed by `extra` raw GraphProto bytes (nodes). */
  const withRawNodes = (extra: Uint8Array): Uint8Array => {
    const g = GraphProto.encode(
      GraphProto.fromObject(graph('g', [node('MatMul', ['x', 'w'], ['y'])], [w12()])),
    ).finish();
    const body = Buffer.concat([Buffer.from(g), extra]);
    const len: number[] = [];
    for (let n = body.length; ; n = Math.floor(n / 128)) {
      if (n < 128) {
        len.push(n);
        break;
      }
      len.push((n & 127) | 128);
    }
    return Buffer.concat([Buffer.from([0x08, 0x0a, 0x42, 0x02, 0x10, 0x11, 0x3a, ...len]), body]);
  };

  it('two million empty nodes: analysed in bounded memory', async () => {
    const empties = new Uint8Array(4_000_000);
    for (let i = 0; i < empties.length; i += 2) empties[i] = 0x0a; // GraphProto.node, length 0
    const r = await run([put('m.onnx', withRawNodes(empties)), '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).layers).toHaveLength(1);
    expect(r.maxRssMB).toBeLessThan(1536);
  });

  it('four million tiny non-empty nodes (20 MB): refused at the graph budget, in bounded memory', async () => {
    const tiny = new Uint8Array(5 * 4_000_000);
    // GraphProto.node, length 3: a NodeProto whose only field is input 'x'.
    for (let i = 0; i < tiny.length; i += 5) tiny.set([0x0a, 0x03, 0x0a, 0x01, 0x78], i);
    const path = put('m.onnx', withRawNodes(tiny));
    const r = await runAlone([path, '--json']);
    expectOutcomeRefused(r, path, new RegExp(`more than ${MAX_WALKED_MESSAGES} graph messages`), 600);
  });

  it('overlapping external data ranges are refused; the same range named twice is one tensor', async () => {
    const data = f32(Array.from({ length: 145 }, (_, i) => values12[i % 144]!));
    const ext = (name: string, offset: number) =>
      tensor(name, DT.FLOAT, [12, 12], { external: { location: 'w.bin', offset, length: 576 } });
    const nodes = [node('MatMul', ['x', 'a'], ['h']), node('MatMul', ['h', 'b'], ['y'])];
    await expectRefused(
      put('m.onnx', onnx(nodes, [ext('a', 0), ext('b', 4)]), { 'w.bin': data }),
      /tensor 'b' overlaps tensor 'a' in external data file 'w.bin'/,
    );
    const doc = jsonOf(put('m.onnx', onnx(nodes, [ext('a', 0), ext('b', 0)]), { 'w.bin': data }));
    // The same bytes reached twice are one tensor, read once (the loader merges them).
    expect(doc.layers.map((l) => [l.name, l.status])).toEqual([['a', 'analyzed']]);
  });
});

describe('point 13: formats are sniffed by structure, not one byte', () => {
  it("a valid ONNX whose byte 8 is '{' (its producer_name) is read as ONNX", () => {
    const bytes = model(graph('g', [node('MatMul', ['x', 'w'], ['y'])], [w12()], ['x'], ['y']), 17, {
      producer_name: 'abcd{"x": 1}',
    });
    expect(String.fromCharCode(bytes[8]!)).toBe('{');
    const doc = jsonOf(put('model.bin', bytes));
    expect(doc.models[0]!.format).toBe('onnx');
    expect(doc.layers.map((l) => [l.name, l.status])).toEqual([['w', 'analyzed']]);
  });

  it('a safetensors file whose first bytes parse as protobuf is read as safetensors', () => {
    const plain = encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [12, 12], values: values12 }]);
    const headerLen = Number(new DataView(plain.buffer, plain.byteOffset).getBigUint64(0, true));
    // Pad the header (trailing spaces are allowed) to 0x0e12 bytes: the length's bytes
    // 12 0e read as ModelProto.producer_name of 14 bytes.
    const padded = 0x0e12;
    const out = new Uint8Array(8 + padded + plain.length - 8 - headerLen);
    new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
    out.set(plain.subarray(8, 8 + headerLen), 8);
    out.fill(0x20, 8 + headerLen, 8 + padded);
    out.set(plain.subarray(8 + headerLen), 8 + padded);
    expect(looksLikeProtobufModel(out.subarray(0, 16), out.length)).toBe(false);
    expect(sniffFormat(out.subarray(0, 16), 'x.bin', out.length)?.name).toBe('safetensors');
    const doc = jsonOf(put('weights.bin', out));
    expect(doc.models[0]!.format).toBe('safetensors');
    expect(doc.layers.map((l) => [l.name, l.status])).toEqual([['w', 'analyzed']]);
  });

  it('a safetensors-like length that does not fit the file is not claimed', () => {
    const head = new Uint8Array(16);
    new DataView(head.buffer).setBigUint64(0, 5000n, true);
    head.set(new TextEncoder().encode('{"w": {'), 8);
    expect(sniffFormat(head, 'x.bin', 100)).toBeUndefined();
    expect(sniffFormat(head, 'x.bin', 6000)?.name).toBe('safetensors');
  });
});
