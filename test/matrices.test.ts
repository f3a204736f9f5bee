/** Tensors → matrices (DESIGN.md §3.1): which tensors become which matrices, and why others are skipped. */
import { describe, expect, it } from 'vitest';
import { layerKind, planLayers, type MatrixPlan, type SkipPlan } from '../src/matrices.js';
import type { TensorRef } from '../src/types.js';
import type { SkipDetail } from '../src/schema/words.js';

const ref = (name: string, shape: number[], extra: Partial<TensorRef> = {}): TensorRef => ({
  name,
  shape,
  dtype: 'F32',
  file: 'm',
  byteLength: 4 * shape.reduce((a, b) => a * b, 1),
  storageKey: name,
  read: async () => new Float64Array(shape.reduce((a, b) => a * b, 1)),
  ...extra,
});
const only = (t: TensorRef, minEvals?: number) => {
  const plans = planLayers(t, minEvals);
  expect(plans).toHaveLength(1);
  return plans[0]!;
};

describe('layer kinds from names and shapes', () => {
  it.each([
    ['encoder.layer.0.attention.self.query.bias', [768], 'bias'],
    ['decoder.rnn.bias_ih', [512], 'bias'],
    ['model.norm.weight', [4096], 'norm'],
    ['transformer.ln_f.weight', [768], 'norm'],
    ['bn1.running_mean', [64], 'norm'],
    ['h.0.attn.c_attn.weight', [768, 2304], 'dense'],
    ['model.embed_tokens.weight', [32000, 4096], 'embedding'],
    ['transformer.wte.weight', [50257, 768], 'embedding'],
    ['conv1.weight', [64, 3, 7, 7], 'conv2d'],
    ['encoder.0.reparam_conv.weight', [128, 129, 3], 'conv1d'],
    ['experts.w1', [8, 4096, 14336], 'dense'],
    ['video.conv3d.weight', [8, 4, 3, 3, 3], 'conv3d'],
  ] as const)('%s %j → %s', (name, shape, kind) => {
    expect(layerKind({ name, shape: [...shape] })).toBe(kind);
  });
  it('a graph hint wins over the name', () => {
    expect(layerKind({ name: 'embed.weight', shape: [10, 10], kindHint: 'dense' })).toBe('dense');
  });
});

describe('plans', () => {
  it('dense matrices keep their orientation; N, M follow from rows and cols', () => {
    const p = only(ref('fc.weight', [300, 100])) as MatrixPlan;
    expect([p.status, p.rows, p.cols, p.slices, p.eigenScale]).toEqual(['analyze', 300, 100, 1, 1]);
  });

  it('conv2d kernels give kh·kw slices W[:, :, i, j], eigenvalues scaled by 1/2', () => {
    const t = ref('conv.weight', [4, 3, 2, 2]);
    const p = only(t) as MatrixPlan;
    expect([p.rows, p.cols, p.slices, p.eigenScale]).toEqual([4, 3, 4, 0.5]);
    // values[o, c, i, j] = 1000·o + 100·c + 10·i + j
    const v = new Float64Array(48);
    for (let o = 0; o < 4; o++)
      for (let c = 0; c < 3; c++)
        for (let i = 0; i < 2; i++)
          for (let j = 0; j < 2; j++) v[((o * 3 + c) * 2 + i) * 2 + j] = 1000 * o + 100 * c + 10 * i + j;
    const slice3 = p.extract(v, 3); // i = 1, j = 1
    expect(Array.from(slice3)).toEqual([11, 111, 211, 1011, 1111, 1211, 2011, 2111, 2211, 3011, 3111, 3211]);
  });

  it('conv1d kernels [out, in, k] give k slices', () => {
    const p = only(ref('conv.weight', [64, 32, 3])) as MatrixPlan;
    expect([p.rows, p.cols, p.slices]).toEqual([64, 32, 3]);
  });

  it('recurrent weights give one matrix per direction', () => {
    const plans = planLayers(ref('lstm.W', [2, 40, 12], { kindHint: 'recurrent' }));
    expect(plans.map((p) => [p.status, p.idSuffix])).toEqual([
      ['analyze', '[0]'],
      ['analyze', '[1]'],
    ]);
    const v = Float64Array.from({ length: 960 }, (_, i) => i);
    expect((plans[1] as MatrixPlan).extract(v, 0)[0]).toBe(480);
  });

  it('stacks of matrices (experts) give one layer each', () => {
    const plans = planLayers(ref('experts.w1', [3, 64, 200]));
    expect(plans.map((p) => p.idSuffix)).toEqual(['[0]', '[1]', '[2]']);
    expect(plans.every((p) => p.status === 'analyze' && p.rows === 64 && p.cols === 200)).toBe(true);
  });

  it.each(
    [
      [ref('fc.bias', [10]), { code: 'bias' }],
      [ref('ln.weight', [10]), { code: 'norm' }],
      [ref('scale', []), { code: 'scalar' }],
      [ref('v', [100]), { code: 'vector' }],
      [ref('dw.weight', [32, 1, 3, 3]), { code: 'depthwise', slices: 9, rows: 32, cols: 1 }],
      [ref('row.weight', [1, 500]), { code: 'no-spectrum', rows: 1, cols: 500 }],
      [ref('tiny.weight', [8, 5]), { code: 'too-few-eigenvalues', numEvals: 5, minEvals: 10 }],
      [ref('empty.weight', [0, 5]), { code: 'empty', shape: [0, 5] }],
      [ref('q', [4, 4], { dtype: 'OTHER' }), { code: 'unsupported-dtype' }],
      [ref('big6d', [2, 2, 2, 2, 2, 2]), { code: 'unsupported-rank', shape: [2, 2, 2, 2, 2, 2] }],
    ].map(([t, detail]) => [(t as TensorRef).name, t as TensorRef, detail as SkipDetail] as const),
  )('%s is skipped: %o', (_name, t, detail) => {
    const p = only(t) as SkipPlan;
    expect(p.status).toBe('skipped');
    expect(p.detail).toEqual(detail);
  });

  it('--min-evals counts pooled eigenvalues (M·slices)', () => {
    expect(only(ref('c.weight', [4, 3, 2, 2]), 12).status).toBe('analyze'); // 3·4 = 12
    expect(only(ref('c.weight', [4, 3, 2, 2]), 13).status).toBe('skipped');
    expect(only(ref('tiny.weight', [8, 5]), 5).status).toBe('analyze');
  });
});

describe('tensors that are stored but not analysed (issue 13)', () => {
  const ref = (over: Partial<TensorRef>): TensorRef => ({
    name: 'w',
    shape: [8, 8],
    dtype: 'F32',
    file: 'f',
    byteLength: 256,
    storageKey: 'k',
    read: async () => new Float64Array(64),
    ...over,
  });
  it('optimizer state is skipped with its own code, whatever its shape', () => {
    const plans = planLayers(ref({ name: 'optimizer.state.3.exp_avg', role: 'optimizer-state' }));
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatchObject({ status: 'skipped', detail: { code: 'optimizer-state' } });
  });
  it('a ggml block type that is not decoded is skipped under its name; decoded ones are planned', () => {
    expect(planLayers(ref({ dtype: 'IQ2_XXS' }))[0]).toMatchObject({
      status: 'skipped',
      detail: { code: 'unsupported-quantization', type: 'IQ2_XXS' },
    });
    expect(planLayers(ref({ dtype: 'Q4_K', shape: [16, 256] }))[0]).toMatchObject({ rows: 16, cols: 256, slices: 1 });
  });
});
