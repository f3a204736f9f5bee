/**
 * schema/words.ts is the one place a finding (code + numbers) becomes English. These tests
 * pin each sentence (golden strings: users read them and --explain prints them), check that
 * every code has one, and that a saved document's reasons are a pure function of the codes
 * and numbers it carries (so a report can be re-rendered from its JSON alone).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { analyze } from '../../src/analyze.js';
import { SKIP_CODES, PHASE_RULES, type AnalyzedLayer, type PhaseEvidence } from '../../src/schema/index.js';
import {
  fitFailureReason,
  phaseReason,
  precisionName,
  skipReason,
  tailComparisonFailureReason,
  tailComparisonReason,
  type SkipDetail,
} from '../../src/schema/words.js';
import { ROOT } from '../helpers.js';

describe('skip sentences', () => {
  const cases: [SkipDetail, string][] = [
    [{ code: 'unsupported-dtype' }, 'stored in a format rmt-analyze cannot decode'],
    [{ code: 'empty', shape: [0, 5] }, 'empty tensor (shape [0, 5])'],
    [{ code: 'scalar' }, 'scalar'],
    [{ code: 'bias' }, 'bias vector'],
    [{ code: 'norm' }, 'normalization parameters (1-D)'],
    [{ code: 'vector' }, '1-D tensor'],
    [{ code: 'depthwise', slices: 9, rows: 32, cols: 1 }, 'each of its 9 kernel slices is 32×1 (M = 1, no spectrum)'],
    [{ code: 'no-spectrum', rows: 1, cols: 40 }, '1×40 matrix (M = 1, no spectrum)'],
    [{ code: 'too-few-eigenvalues', numEvals: 5, minEvals: 10 }, '5 eigenvalues (M·slices), fewer than --min-evals 10'],
    [
      { code: 'unsupported-rank', shape: [2, 2, 2, 2, 2, 2] },
      'rank-6 tensor [2, 2, 2, 2, 2, 2] is neither a matrix nor a convolution kernel',
    ],
    [{ code: 'shared-storage', original: 'a.w' }, "same stored tensor as 'a.w' (analysed once)"],
    [{ code: 'tied', original: 'embed.weight' }, "same values as 'embed.weight' (tied weights, analysed once)"],
    [{ code: 'non-finite', count: 1 }, 'contains 1 non-finite value (NaN or Inf)'],
    [{ code: 'non-finite', count: 3 }, 'contains 3 non-finite values (NaN or Inf)'],
    [{ code: 'all-zero' }, 'all entries are zero'],
    [{ code: 'overflow', maxAbs: 1e301 }, 'entries too large for float64 spectra (max |w| = 1.00e+301)'],
    [
      { code: 'underflow', maxAbs: 1e-170 },
      'entries too small for float64 spectra (max |w| = 1.00e-170, Σw² below 2^-1044)',
    ],
    [{ code: 'optimizer-state' }, 'optimizer state of a training checkpoint, not a weight'],
    [
      { code: 'unsupported-quantization', type: 'IQ2_XXS' },
      'stored as IQ2_XXS, a quantization rmt-analyze does not decode',
    ],
  ];
  it.each(cases)('%o → %s', (detail, sentence) => {
    expect(skipReason(detail)).toBe(sentence);
  });

  it('every skip code has a sentence (and the table above tries each)', () => {
    expect(new Set(cases.map(([d]) => d.code))).toEqual(new Set(SKIP_CODES));
  });
});

describe('failed-fit sentences', () => {
  it('states the numbers of each failure', () => {
    expect(fitFailureReason({ code: 'invalid-shape', M: 0, Q: 2 })).toBe('invalid shape (M = 0, Q = 2)');
    expect(fitFailureReason({ code: 'too-few-eigenvalues', count: 1, above: 1e-5 })).toBe(
      'only 1 eigenvalue(s) above 0.00001',
    );
    expect(fitFailureReason({ code: 'too-few-eigenvalues', count: 3, need: 10 })).toBe('only 3 eigenvalues (need 10)');
    expect(fitFailureReason({ code: 'non-finite' })).toBe('eigenvalues are not finite');
    expect(fitFailureReason({ code: 'no-finite-alpha' })).toBe('no xmin candidate gives a finite α');
    expect(fitFailureReason({ code: 'all-zero' })).toBe('all eigenvalues are zero');
    expect(fitFailureReason({ code: 'underflow' })).toMatch(/too small for float64/);
  });

  it('tail comparisons: each branch, p-values in two significant digits or exponent form', () => {
    const t = {
      plVsTpl: { R: -1, normalizedR: -1, p: 0.023, nested: true },
      expVsTpl: { R: -9, normalizedR: -4, p: 4.3e-8, nested: true },
      plVsExp: { R: 2.5, normalizedR: 2, p: 0.5, nested: false },
    } as never;
    expect(tailComparisonReason('tpl-better', t)).toBe(
      'TPL significantly better than PL (p = 0.023) and EXP (p = 4.3e-8)',
    );
    expect(tailComparisonReason('pl-not-worse-than-exp', t)).toBe(
      'PL adequate vs TPL (p = 0.023) and not worse than EXP (Vuong R = 2.50, p = 0.50)',
    );
    expect(tailComparisonFailureReason({ code: 'short-tail', size: 3, min: 5 })).toBe(
      'tail of 3 point(s), fewer than 5: no test has power',
    );
    expect(tailComparisonFailureReason({ code: 'exponential-failed', cause: { code: 'short-tail', size: 0 } })).toBe(
      'exponential: empty tail',
    );
    expect(
      tailComparisonFailureReason({ code: 'truncated-power-law-failed', cause: { code: 'likelihood-not-finite' } }),
    ).toBe('truncated power law: the likelihood is not finite');
  });
});

describe('phase sentences', () => {
  const evidence: PhaseEvidence = {
    numEvals: 500,
    zeroFloor: 2.1e-5,
    zeroCount: 450,
    zeroFraction: 0.9,
    expectedZeroFraction: 0,
    rankLoss: 0,
    lambdaMax: 4,
    alpha: 5,
    D: 0.1,
    numTail: 20,
  };
  const edge = {
    threshold: 3,
    outliers: 3,
    near: 0,
    far: 3,
    few: 5,
    topRatio: 8.5,
    topTW: 40,
    topStrength: 2.4,
    outlierMass: 0.2,
    bulkKS: 0.02,
    ksLimit: 0.15,
    bulkFitsMp: true,
    scaleFree: false,
  };
  const mpOk = { status: 'ok' } as never;

  it('rank collapse names the count, the precision and what MP predicts', () => {
    expect(phaseReason('excess-zero-mass', evidence, 'F32', mpOk)).toBe(
      '450 of 500 eigenvalues (90%) are zero at float32 precision (σ ≤ 2.1e-5, σ_max 2); ' +
        'rank loss at float64 precision only 0; MP predicts none',
    );
    expect(phaseReason('excess-zero-mass', { ...evidence, rankLoss: 9 }, 'U8', mpOk)).toContain(
      'zero at uint8 precision',
    );
  });

  it('the edge rules state the outliers and the bulk fit', () => {
    const f = { ...evidence, zeroCount: 0, zeroFraction: 0, edge };
    expect(phaseReason('separated-spikes', f, 'F32', mpOk)).toBe(
      '3 eigenvalues above λ₊+4·TW (3 separated, largest 8.5× λ₊, 2.4× the BBP threshold); bulk fits MP (KS 0.02)',
    );
    expect(phaseReason('no-outliers', { ...f, edge: { ...edge, outliers: 0, topTW: -1.2 } }, 'F32', mpOk)).toBe(
      'no eigenvalue above λ₊+4·TW (λ_max -1.2 TW from λ₊); bulk fits MP (KS 0.02)',
    );
  });

  it('an MP failure quotes the fit’s own reason', () => {
    const failed = { status: 'failed', code: 'too-few-eigenvalues', reason: 'only 3 eigenvalues (need 10)' } as const;
    expect(phaseReason('mp-failed-power-law', { ...evidence, alpha: 1.5 }, 'F32', failed)).toBe(
      'MP fit failed (only 3 eigenvalues (need 10)); power law α 1.5 (D 0.1, 20 in tail)',
    );
  });

  it('a LoRA update states its rank, its spread against random factors, and its tail', () => {
    const lowRank = { rank: 8, lambdaMin: 0.5, randomSpread: 36.2 };
    const f = { ...evidence, numEvals: 8, zeroCount: 0, zeroFraction: 0, lowRank };
    const failed = { status: 'failed', code: 'low-rank', reason: '' } as const;
    expect(phaseReason('low-rank-random', { ...f, lambdaMax: 2.5 }, 'F32', failed)).toBe(
      "rank 8 by construction (LoRA): its non-zero eigenvalues only, no MP test; λ_max/λ_min 5, within random factors' 36.2",
    );
    expect(phaseReason('low-rank-power-law', { ...f, lambdaMax: 500, alpha: 1.5 }, 'F32', failed)).toBe(
      "rank 8 by construction (LoRA): its non-zero eigenvalues only, no MP test; λ_max/λ_min 1000, beyond random factors' 36.2; " +
        'power law α 1.5 (D 0.1, 20 in tail)',
    );
    expect(phaseReason('low-rank-no-heavy-tail', { ...f, lambdaMax: 500 }, 'F32', failed)).toBe(
      "rank 8 by construction (LoRA): its non-zero eigenvalues only, no MP test; λ_max/λ_min 1000, beyond random factors' 36.2; " +
        'too steep for a heavy tail (α 5 (D 0.1, 20 in tail))',
    );
    expect(fitFailureReason({ code: 'low-rank' })).toBe(
      'a LoRA update is low-rank by construction: no Marchenko–Pastur bulk',
    );
  });

  it('names every storage precision it may meet', () => {
    expect(['F64', 'F32', 'F16', 'BF16', 'I8', 'U8'].map((d) => precisionName(d as never))).toEqual([
      'float64',
      'float32',
      'float16',
      'bfloat16',
      'int8',
      'uint8',
    ]);
  });
});

describe('a document’s reasons follow from its codes and numbers', () => {
  let layers: AnalyzedLayer[] = [];
  beforeAll(async () => {
    const doc = JSON.parse(
      JSON.stringify(await analyze([join(ROOT, 'fixtures', 'reference', 'synthetic.safetensors')])),
    );
    layers = doc.layers.filter((l: AnalyzedLayer) => l.status === 'analyzed');
  });

  it('phase.reason is phaseReason(rule, evidence) after a JSON round trip, for every reference layer', () => {
    expect(layers.length).toBeGreaterThan(10);
    for (const l of layers) {
      expect(phaseReason(l.phase.rule, l.phase.evidence, l.dtype, l.mp), l.id).toBe(l.phase.reason);
    }
  });

  it('so do a LoRA adapter’s, random-like and heavy-tailed', async () => {
    for (const dir of ['adapter', 'adapter-fifo']) {
      const doc = JSON.parse(JSON.stringify(await analyze([join(ROOT, 'fixtures', 'generated', 'lora', dir)])));
      for (const l of doc.layers as AnalyzedLayer[]) {
        expect(phaseReason(l.phase.rule, l.phase.evidence, l.dtype, l.mp), l.id).toBe(l.phase.reason);
        expect(fitFailureReason({ code: 'low-rank' })).toBe((l.mp as { reason: string }).reason);
      }
    }
  });

  it('the reference set reaches several rules (so the check above covers more than one branch)', () => {
    const rules = new Set(layers.map((l) => l.phase.rule));
    expect(rules.size).toBeGreaterThanOrEqual(4);
    for (const r of rules) expect(PHASE_RULES).toContain(r);
  });
});
