/**
 * GGUF through the built CLI: `--json` names the format, the file's metadata and each
 * layer's storage type, and every analysed layer has the metrics and fits that analysing
 * the F64 twin (gguf-py's own dequantization, scripts/fixtures/gguf.py) gives. Bad files are
 * refused with one line (exit 2).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliWorker, expectRefused } from '../cli-worker.js';
import { FIXTURES } from '../helpers.js';
import { buildGguf, kv, VT } from '../../scripts/fuzz/gguf-build.js';

const DIR = join(FIXTURES, 'gguf');
const tmp = mkdtempSync(join(tmpdir(), 'rmt-gguf-cli-'));
const run = cliWorker();
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Layer {
  id: string;
  status: string;
  dtype: string;
  kind: string;
  shape: number[];
  skipCode?: string;
  skipReason?: string;
  metrics?: unknown;
  powerLaw?: unknown;
  mp?: unknown;
}

async function json(path: string): Promise<{ models: Record<string, unknown>[]; layers: Layer[] }> {
  const r = await run([path, '--format', 'json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe('rmt-analyze on GGUF files', () => {
  it('reports the format, the metadata and each layer’s storage type', async () => {
    const doc = await json(join(DIR, 'model.gguf'));
    expect(doc.models[0]).toMatchObject({
      format: 'gguf',
      tensors: 13,
      metadata: { architecture: 'llama', name: 'tiny "gguf" test \u202e model', fileType: 'MOSTLY_Q4_K_M' },
    });
    const byId = new Map(doc.layers.map((l) => [l.id, l]));
    expect(byId.get('token_embd.weight')).toMatchObject({ dtype: 'F16', kind: 'embedding', shape: [32, 256] });
    expect(byId.get('blk.0.attn_q.weight')).toMatchObject({ status: 'analyzed', dtype: 'Q4_K', kind: 'dense' });
    expect(byId.get('blk.0.attn_v.weight')).toMatchObject({ status: 'analyzed', dtype: 'Q6_K' });
    expect(byId.get('blk.0.ffn_up_exps.weight[3]')).toMatchObject({ status: 'analyzed', dtype: 'Q5_K' });
    expect(byId.get('blk.0.ffn_down_exps.weight[0]')).toMatchObject({ status: 'analyzed', dtype: 'Q4_0' });
    expect(byId.get('blk.0.attn_norm.weight')).toMatchObject({ status: 'skipped', skipCode: 'norm' });
  });

  it('every analysed layer has the numbers its F64 twin gives', async () => {
    const gguf = await json(join(DIR, 'model.gguf'));
    const twin = await json(join(DIR, 'model.f64.safetensors'));
    const twinById = new Map(twin.layers.map((l) => [l.id, l]));
    const analysed = gguf.layers.filter((l) => l.status === 'analyzed');
    expect(analysed.length).toBe(14);
    for (const l of analysed) {
      const t = twinById.get(l.id);
      expect(t?.status, l.id).toBe('analyzed');
      expect({ metrics: l.metrics, powerLaw: l.powerLaw, mp: l.mp }, `${l.id} (${l.dtype})`).toEqual({
        metrics: t!.metrics,
        powerLaw: t!.powerLaw,
        mp: t!.mp,
      });
    }
    // The float layers: same values stored as F32 and F16, as F64 in the twin.
    expect(analysed.map((l) => l.dtype)).toEqual(expect.arrayContaining(['F32', 'F16']));
  });

  it('unsupported block types are listed as skipped layers with their ggml name', async () => {
    const doc = await json(join(DIR, 'unsupported.gguf'));
    const byId = new Map(doc.layers.map((l) => [l.id, l]));
    expect(byId.get('blk.0.attn_q.weight')).toMatchObject({
      status: 'skipped',
      dtype: 'IQ2_XXS',
      skipCode: 'unsupported-quantization',
    });
    expect(byId.get('blk.0.attn_q.weight')!.skipReason).toMatch(/IQ2_XXS/);
    expect(byId.get('blk.0.attn_k.weight')).toMatchObject({ dtype: 'TQ2_0', skipCode: 'unsupported-quantization' });
    expect(byId.get('blk.0.attn_v.weight')).toMatchObject({ dtype: 'OTHER', skipCode: 'unsupported-dtype' });
    expect(byId.get('blk.0.ffn_up.weight')).toMatchObject({ status: 'analyzed', dtype: 'F32' });
  });

  it('a damaged GGUF file is refused with one line naming it', async () => {
    const whole = readFileSync(join(DIR, 'model.gguf'));
    const cut = join(tmp, 'cut.gguf');
    writeFileSync(cut, whole.subarray(0, 2000));
    expectRefused(
      await run([cut, '--format', 'json']),
      cut,
      /token_type' is an array of 64 int32 values, more than the 131 bytes left/,
      512,
    );
    const v1 = join(tmp, 'v1.gguf');
    const bytes = new Uint8Array(whole);
    bytes[4] = 1;
    writeFileSync(v1, bytes);
    expectRefused(await run([v1]), v1, /: GGUF version 1 is not supported$/, 512);
  });

  it.each([
    ['2^62 tensors', buildGguf({ tensorCount: 2n ** 62n }), /tensor count is 4611686018427387904/],
    [
      'a string of 2^40 bytes',
      buildGguf({ kvs: [kv('general.name', VT.string, (b) => b.str('x', 2n ** 40n))] }),
      /'general.name' is 1099511627776 bytes long/,
    ],
    [
      'an array of 2^62 strings',
      buildGguf({ kvs: [kv('t', VT.array, (b) => b.u32(VT.string).u64(2n ** 62n))] }),
      /array of 4611686018427387904 string values/,
    ],
  ])('a hostile header (%s) is refused fast, in little memory', async (_label, bytes, cause) => {
    const path = join(tmp, 'hostile.gguf');
    writeFileSync(path, bytes);
    const r = await run([path, '--format', 'json']);
    expectRefused(r, path, cause, 300);
    expect(r.ms).toBeLessThan(2000);
  });
});
