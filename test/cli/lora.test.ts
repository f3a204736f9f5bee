/**
 * LoRA adapters through the built CLI (issue 13, item 8): the JSON is a valid v1 document
 * with `lora` layers and the adapter's base model named; `--base` adds W and W + ΔW; misuse
 * and broken adapters are one stderr line and exit 2.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { cliWorker, expectRefused } from '../cli-worker.js';
import { GENERATED, ROOT } from '../helpers.js';
import type { AnalysisReport } from '../../src/index.js';

const run = cliWorker();
const LORA = join(GENERATED, 'lora');
const tmp = mkdtempSync(join(tmpdir(), 'rmt-lora-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let validate: ValidateFunction;
beforeAll(() => {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schema', 'report.v1.schema.json'), 'utf8')));
});

describe('rmt-analyze on a PEFT adapter', () => {
  it('--json: lora layers, the base model named, a valid document', async () => {
    const r = await run([join(LORA, 'adapter'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as AnalysisReport;
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.models).toEqual([
      expect.objectContaining({ format: 'lora', metadata: { name: 'rmt-analyze/tiny-llama' }, tensors: 6 }),
    ]);
    expect(doc.layers.every((l) => l.kind === 'lora' && l.status === 'analyzed')).toBe(true);
  });

  it('--base: three rows per module, the fine-tuned weight named <W>+lora', async () => {
    const r = await run([join(LORA, 'adapter-fifo'), '--base', join(LORA, 'gpt2-base.safetensors'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as AnalysisReport;
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.layers.map((l) => [l.id, l.kind])).toEqual([
      ['transformer.h.0.attn.c_attn', 'lora'],
      ['transformer.h.0.attn.c_attn.weight', 'dense'],
      ['transformer.h.0.attn.c_attn.weight+lora', 'dense'],
      ['transformer.h.1.attn.c_attn', 'lora'],
      ['transformer.h.1.attn.c_attn.weight', 'dense'],
      ['transformer.h.1.attn.c_attn.weight+lora', 'dense'],
    ]);
  });

  it('--base on an ordinary model is a usage error', async () => {
    const base = join(LORA, 'base.safetensors');
    const r = await run([base, '--base', base]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--base applies to LoRA adapters; .*base\.safetensors is a safetensors model/);
  });

  it('a broken adapter config: one line naming the adapter and the cause', async () => {
    const dir = join(tmp, 'bad');
    mkdirSync(dir);
    writeFileSync(join(dir, 'adapter_config.json'), '{"peft_type": "LORA", "r": "eight"}');
    writeFileSync(
      join(dir, 'adapter_model.safetensors'),
      readFileSync(join(LORA, 'adapter', 'adapter_model.safetensors')),
    );
    expectRefused(await run([dir]), dir, /adapter_config\.json: r is "eight", not a positive number/, 400);
  });
});
