/**
 * A convolution's kernel read dealt by position (src/load/dealt.ts, TensorRef.readDealt):
 * each dealt array is the slice the plan would gather from read()'s values, bit for bit, for
 * every loader that offers it; the tensor scan over the dealt arrays (tensor-scan.ts
 * scanDealt) gives scanWhole's answers; and a whole analysis gives the report of the
 * row-major route (AnalyzeOptions.readDealt false), float, half and quantized.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../src/analyze.js';
import { dealInto, dealIntoTs, pickDealt, undealInto } from '../src/load/dealt.js';
import { openModel } from '../src/load/index.js';
import { dealtPositions, onDealt, planLayers, type MatrixPlan } from '../src/matrices.js';
import { DealtScan, digestDealt, digestWhole, scanDealt, scanWhole, type TensorScan } from '../src/tensor-scan.js';
import { encodeSafetensors } from '../scripts/fixtures/safetensors-writer.js';
import { DT, f32, graph, i8, model, node, tensor, u16 } from '../scripts/fixtures/onnx.js';
import { Rng } from './generators/rng.js';
import { ROOT } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'rmt-dealt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const bits = (a: Float64Array) => Array.from(new BigUint64Array(a.slice().buffer), (b) => b.toString(16));

/** float32 values with a heavy tail and a few exact zeros, seeded. */
function weights(n: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) =>
    i % 53 === 0 ? 0 : Math.fround(rng.normal() * (i % 11 === 0 ? 3 : 0.05)),
  );
}

/** IEEE half bits of x (round to nearest even), for the F16 fixture. */
function halfBits(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  if (exp <= 0) return sign; // tiny: zero (the fixture has none)
  const mant = u & 0x7fffff;
  let h = sign | (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
  return h;
}

/**
 * A conv model: one weight per dtype route (float32, float16, int8 per channel, uint8 per
 * tensor, int8 in blocks of 8 input channels), each of more elements than one widened piece (load/dtype.ts PIECE_ELEMENTS),
 * and an int8 kernel in blocks with zero points large enough that the entry RMS samples every
 * second element (entry-rms.ts RMS_SAMPLE).
 */
function convModel(): Uint8Array {
  const shape = [48, 40, 3, 3];
  const big = [128, 128, 3, 3];
  const n = 48 * 40 * 9;
  const w = weights(n, 1);
  const q = Array.from({ length: n }, (_, i) => ((i * 37) % 255) - 127);
  const uq = Array.from({ length: n }, (_, i) => (i * 91) % 256);
  return model(
    graph(
      'conv',
      [
        node('Conv', ['x', 'w.f32'], ['a']),
        node('Cast', ['a'], ['a16'], { to: DT.FLOAT16 }),
        node('Conv', ['a16', 'w.f16'], ['b']),
        node('DequantizeLinear', ['w.i8', 'w.i8_scale', 'w.i8_zp'], ['w.i8_dq'], { axis: 0 }),
        node('Conv', ['b', 'w.i8_dq'], ['c']),
        node('DequantizeLinear', ['w.u8', 'w.u8_scale', 'w.u8_zp'], ['w.u8_dq']),
        node('Conv', ['c', 'w.u8_dq'], ['d']),
        node('DequantizeLinear', ['w.blk', 'w.blk_scale'], ['w.blk_dq'], { axis: 1, block_size: 8 }),
        node('Conv', ['d', 'w.blk_dq'], ['y']),
        node('DequantizeLinear', ['w.big', 'w.big_scale', 'w.big_zp'], ['w.big_dq'], { axis: 1, block_size: 8 }),
        node('Conv', ['x', 'w.big_dq'], ['z']),
      ],
      [
        tensor('w.f32', DT.FLOAT, shape, { raw: f32(w) }),
        tensor('w.f16', DT.FLOAT16, shape, { raw: u16(w.map(halfBits)) }),
        tensor('w.i8', DT.INT8, shape, { raw: i8(q) }),
        tensor('w.i8_scale', DT.FLOAT, [48], { raw: f32(Array.from({ length: 48 }, (_, i) => 0.01 * (i + 1))) }),
        tensor('w.i8_zp', DT.INT8, [48], { raw: i8(Array.from({ length: 48 }, (_, i) => (i % 5) - 2)) }),
        tensor('w.u8', DT.UINT8, shape, { raw: Uint8Array.from(uq) }),
        tensor('w.u8_scale', DT.FLOAT, [], { raw: f32([0.003]) }),
        tensor('w.u8_zp', DT.UINT8, [], { raw: Uint8Array.from([128]) }),
        tensor('w.blk', DT.INT8, shape, { raw: i8(q.map((v) => -v)) }),
        tensor('w.blk_scale', DT.FLOAT, [48, 5, 3, 3], {
          raw: f32(Array.from({ length: 48 * 5 * 9 }, (_, i) => 0.001 * (1 + (i % 17)))),
        }),
        tensor('w.big', DT.INT8, big, {
          raw: i8(Array.from({ length: 128 * 128 * 9 }, (_, i) => ((i * 53) % 251) - 125)),
        }),
        tensor('w.big_scale', DT.FLOAT, [128, 16, 3, 3], {
          raw: f32(Array.from({ length: 128 * 16 * 9 }, (_, i) => 0.0007 * (1 + (i % 23)))),
        }),
        tensor('w.big_zp', DT.INT8, [128, 16, 3, 3], {
          raw: i8(Array.from({ length: 128 * 16 * 9 }, (_, i) => (i % 7) - 3)),
        }),
      ],
      ['x'],
      ['y', 'z'],
    ),
    21,
  );
}

const ONNX_WEIGHTS = ['w.f32', 'w.f16', 'w.i8', 'w.u8', 'w.blk', 'w.big'];

function write(name: string, bytes: Uint8Array): string {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  return path;
}

/** Whether the read showed the scan every stretch (DealtScan.finish then gathers nothing back). */
const shown = (scan: DealtScan) => (scan as unknown as { seen: number; count: number }).seen > 0;

/** A scan's every answer: problem, entry RMS, fingerprint, scaling and digest (taken once). */
function answers(scan: TensorScan, digest = true) {
  const problem = scan.checks.problem();
  return {
    problem,
    entryRms: Object.is(scan.entryRms, -0) ? '-0' : scan.entryRms,
    fingerprint: scan.checks.fingerprint(),
    neverScaled: scan.checks.neverScaled(),
    digest: digest && problem === undefined ? scan.checks.digest() : undefined,
  };
}

/** Two scans give every answer alike. */
function sameScan(got: TensorScan, want: TensorScan | ReturnType<typeof answers>, digest = true): void {
  expect(answers(got, digest)).toEqual('checks' in want ? answers(want, digest) : want);
}

describe('dealing and gathering back', () => {
  it('dealInto and undealInto invert each other at any start and stretch length', () => {
    const rng = new Rng(3);
    for (const positions of [1, 2, 3, 9, 25]) {
      const count = positions * 1001;
      const values = Float64Array.from({ length: count }, () => rng.normal());
      const dealt = Array.from({ length: positions }, () => new Float64Array(count / positions));
      for (let first = 0; first < count; ) {
        const len = Math.min(count - first, 1 + Math.floor(rng.uniform() * 700));
        dealInto(values.subarray(first, first + len), first, dealt);
        first += len;
      }
      for (let p = 0; p < positions; p++)
        for (let k = 0; k < count / positions; k++) expect(dealt[p]![k]).toBe(values[k * positions + p]);
      // The WebAssembly kernel (dealInto's route) and its TypeScript twin: the same arrays.
      const twin = Array.from({ length: positions }, () => new Float64Array(count / positions));
      for (let first = 0; first < count; first += 257) dealIntoTs(values.subarray(first, first + 257), first, twin);
      for (let p = 0; p < positions; p++) expect(bits(twin[p]!)).toEqual(bits(dealt[p]!));
      const back = new Float64Array(count);
      for (let first = 0; first < count; first += 333) undealInto(dealt, first, back.subarray(first, first + 333));
      expect(bits(back)).toEqual(bits(values));
      // The entry RMS's sample: every step-th element, for steps below, at and above positions.
      for (const step of [1, 2, positions, positions + 1, 2 * positions + 5, 977]) {
        const want = values.filter((_, i) => i % step === 0);
        expect(bits(pickDealt(dealt, step)), `${positions} ${step}`).toEqual(bits(want));
      }
    }
  });
});

describe('readDealt', () => {
  const onnx = write('conv.onnx', convModel());
  const st = write(
    'conv.safetensors',
    encodeSafetensors([
      { name: 'conv.weight', dtype: 'F32', shape: [16, 12, 3, 3], values: weights(16 * 12 * 9, 2) },
      { name: 'conv2.weight', dtype: 'BF16', shape: [12, 16, 5, 5], values: weights(12 * 16 * 25, 3) },
      // Above 2·65,536 elements: the entry RMS samples every second one.
      { name: 'conv3.weight', dtype: 'F16', shape: [128, 128, 3, 3], values: weights(128 * 128 * 9, 4) },
      // The same for 4- and 8-byte values (sampledFrom's copy by 32-bit words).
      { name: 'conv4.weight', dtype: 'F32', shape: [128, 128, 3, 3], values: weights(128 * 128 * 9, 5) },
      { name: 'conv5.weight', dtype: 'F64', shape: [128, 160, 3, 3], values: weights(128 * 160 * 9, 6) },
    ]),
  );

  for (const [label, path, names] of [
    ['ONNX float32, float16, int8 per channel, uint8 per tensor, int8 blocks', onnx, ONNX_WEIGHTS],
    [
      'safetensors F32, BF16, F16, F64',
      st,
      ['conv.weight', 'conv2.weight', 'conv3.weight', 'conv4.weight', 'conv5.weight'],
    ],
    ['PyTorch (written by torch.save)', join(ROOT, 'fixtures', 'pytorch', 'dtypes.pt'), ['conv.weight']],
  ] as const) {
    it(`${label}: each array is the plan's slice of read(), bit for bit`, async () => {
      const m = await openModel(path);
      try {
        const kernels = m.tensors.filter((t) => (names as readonly string[]).includes(t.name));
        expect(kernels.map((t) => t.name).sort()).toEqual([...names].sort());
        for (const t of kernels) {
          const [plan] = planLayers(t, 1) as MatrixPlan[];
          const positions = dealtPositions([plan!]);
          expect(positions, t.name).toBe(t.shape[2]! * t.shape[3]!);
          const whole = await t.read();
          const scan = new DealtScan(whole.length, t.shape);
          const dealt = await t.readDealt!(positions!, scan);
          expect(dealt.length).toBe(positions);
          // Shown on the way, dequantized or not: nothing is gathered back.
          expect(shown(scan), t.name).toBe(true);
          sameScan(scan.finish(dealt), scanWhole(whole, t.shape));
          for (let s = 0; s < positions!; s++)
            expect(bits(dealt[s]!), `${t.name}[${s}]`).toEqual(bits(plan!.extract(whole, s)));
          await expect(t.readDealt!(7)).rejects.toThrow(/cannot be dealt/);
        }
      } finally {
        await m.close();
      }
    });
  }

  it('a 1×1 kernel, a dense matrix and a stack of matrices are not dealt; a kernel is', () => {
    const ref = (shape: number[], kindHint?: 'conv2d' | 'dense') =>
      ({ name: 'w', shape, dtype: 'F32', file: 'f', byteLength: 0, storageKey: 'k', kindHint }) as never;
    expect(dealtPositions(planLayers(ref([8, 8, 1, 1], 'conv2d'), 1))).toBeUndefined();
    expect(dealtPositions(planLayers(ref([8, 8]), 1))).toBeUndefined();
    expect(dealtPositions(planLayers(ref([3, 8, 8], 'dense'), 1))).toBeUndefined();
    // Without a hint a rank-3 weight is a 1-d convolution's kernel: its 8 positions are its slices.
    expect(dealtPositions(planLayers(ref([3, 8, 8]), 1))).toBe(8);
    expect(dealtPositions(planLayers(ref([8, 8, 3, 3], 'conv2d'), 1))).toBe(9);
  });
});

describe('onDealt', () => {
  it('hands each slice over once, and gathers from values read again whole', () => {
    const ref = {
      name: 'w',
      shape: [4, 3, 2, 2],
      dtype: 'F32',
      file: 'f',
      byteLength: 0,
      storageKey: 'k',
      kindHint: 'conv2d',
    };
    const [plan] = planLayers(ref as never, 1) as MatrixPlan[];
    const values = Float64Array.from({ length: 48 }, (_, i) => i + 1);
    const dealt = Array.from({ length: 4 }, (_, s) => plan!.extract(values, s));
    const on = onDealt(plan!, dealt.slice());
    const empty = new Float64Array(0);
    const first = on.extract(empty, 2);
    expect(Array.from(first)).toEqual(Array.from(dealt[2]!));
    expect(() => on.extract(empty, 2)).toThrow(/handed over/);
    expect(Array.from(on.extract(values, 2))).toEqual(Array.from(dealt[2]!));
  });
});

describe('scanDealt', () => {
  /** Row-major values and the same dealt by `positions`. */
  const both = (values: Float64Array, positions: number) => {
    const dealt = Array.from({ length: positions }, () => new Float64Array(values.length / positions));
    dealInto(values, 0, dealt);
    return dealt;
  };
  const rng = new Rng(9);
  const gaussian = (n: number, sigma: number) =>
    Float64Array.from({ length: n }, () => Math.fround(sigma * rng.normal()));
  const cases: [string, Float64Array][] = [
    ['float32 weights, 9 positions, above one block and one sample step', gaussian(9 * 40_000, 0.03)],
    ['float64 values (the digest keeps their tails)', gaussian(9 * 9000, 1).map((v) => v / 3)],
  ];
  const outlier = gaussian(9 * 30_000, 0.02);
  outlier[123_457] = 4096;
  cases.push(['an outlier 17 binades above the sample', outlier]);
  const range = gaussian(9 * 20_000, 1e-3);
  range[17] = 1e-160;
  range[99_999] = 1e10;
  cases.push(['a range that needs the second pass', range]);
  const nan = gaussian(9 * 2000, 1);
  nan[5] = Number.NaN;
  nan[17_000] = -Infinity;
  cases.push(['non-finite values', nan]);
  cases.push(['all zero', new Float64Array(9 * 100)]);

  for (const [name, values] of cases) {
    it(`${name}: the checks, Σw², fingerprint, digest and entry RMS of scanWhole, gathered or shown`, () => {
      const shape = [values.length / 9, 1, 3, 3];
      const dealt = both(values, 9);
      for (const digest of [true, false]) {
        const want = answers(scanWhole(values, shape, digest), digest);
        sameScan(scanDealt(dealt, shape, digest), want, digest);
        // The same scan shown the values on the way, as a dealt read does: the sample, then
        // row-major stretches of a read's size (the last one short).
        const visited = new DealtScan(values.length, shape, digest);
        const step = visited.sampleStep;
        visited.sampled(values.filter((_, i) => i % step === 0));
        for (let first = 0; first < values.length; first += 16384)
          visited.stretch(values.subarray(first, Math.min(values.length, first + 16384)), first);
        sameScan(visited.finish(dealt), want, digest);
      }
      if (scanWhole(values, shape).checks.problem() === undefined)
        expect(digestDealt(dealt, shape)).toBe(digestWhole(values, shape));
    });
  }
});

describe('DealtScan', () => {
  it('refuses a stretch before the sample or out of order, and scans the dealt arrays when shown nothing', () => {
    const values = Float64Array.from({ length: 900 }, (_, i) => Math.sin(i));
    const scan = new DealtScan(900, [100, 1, 3, 3]);
    expect(() => scan.stretch(values.subarray(0, 100), 0)).toThrow(/out of order/);
    scan.sampled(values.filter((_, i) => i % scan.sampleStep === 0));
    expect(() => scan.stretch(values.subarray(100, 200), 100)).toThrow(/out of order/);
    const dealt = Array.from({ length: 9 }, () => new Float64Array(100));
    dealInto(values, 0, dealt);
    sameScan(new DealtScan(900, [100, 1, 3, 3]).finish(dealt), scanWhole(values, [100, 1, 3, 3]));
  });
});

describe('a whole analysis read dealt', () => {
  it('gives the report of the row-major route, float, half and quantized kernels', async () => {
    const path = write('conv-report.onnx', convModel());
    const options = { eigenvalues: true, jobs: 1 } as const;
    const dealt = await analyze([path], options);
    const rowMajor = await analyze([path], { ...options, readDealt: false });
    expect(dealt.layers.map((l) => [l.id, l.status])).toEqual(ONNX_WEIGHTS.map((id) => [id, 'analyzed']));
    expect(dealt).toEqual(rowMajor);
  });

  it("an external-data kernel and a tied copy of it: the row-major route's report", async () => {
    const shape = [32, 24, 3, 3];
    const w = f32(weights(32 * 24 * 9, 5));
    writeFileSync(join(tmp, 'conv-ext.bin'), w);
    const path = write(
      'conv-ext.onnx',
      model(
        graph(
          'ext',
          [node('Conv', ['x', 'w.ext'], ['a']), node('Conv', ['a', 'w.copy'], ['y'])],
          [
            tensor('w.ext', DT.FLOAT, shape, { external: { location: 'conv-ext.bin', offset: 0, length: w.length } }),
            tensor('w.copy', DT.FLOAT, shape, { raw: w }),
          ],
          ['x'],
          ['y'],
        ),
      ),
    );
    const options = { eigenvalues: true, jobs: 1 } as const;
    const dealt = await analyze([path], options);
    expect(dealt.layers.map((l) => [l.id, l.status, l.status === 'skipped' ? l.skipCode : ''])).toEqual([
      ['w.ext', 'analyzed', ''],
      ['w.copy', 'skipped', 'tied'],
    ]);
    expect(dealt).toEqual(await analyze([path], { ...options, readDealt: false }));
  });
});
