/**
 * PyTorch checkpoints through the built CLI (in the worker of test/cli-worker.ts): a pickle
 * that would run a command is refused with exit 2 and one line; a checkpoint's report equals
 * its safetensors twin's (same tensors written by torch, scripts/fixtures/pytorch.py), layer
 * by layer; optimizer state is listed as skipped `optimizer-state`, never analysed.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliWorker, expectRefused } from './cli-worker.js';
import { FIXTURES, expectRelClose } from './helpers.js';

const PT = join(FIXTURES, 'pytorch');
const run = cliWorker();

interface Layer {
  readonly name: string;
  readonly status: string;
  readonly skipCode?: string;
  readonly shape: number[];
  readonly metrics?: Record<string, number | null>;
  readonly powerLaw?: { status: string; alpha?: number; xmin?: number; D?: number };
  readonly mp?: { status: string; lambdaPlus?: number; numSpikes?: number };
  readonly phase?: { name: string };
}

async function report(path: string): Promise<Layer[]> {
  const r = await run([path, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { layers: Layer[] }).layers;
}

describe('rmt-analyze on PyTorch checkpoints', () => {
  it.each(['hostile-system.pt', 'hostile-legacy.pt'])(
    '%s: exit 2, one line naming the file and posix.system',
    async (f) => {
      const path = join(PT, f);
      expectRefused(await run([path]), path, /: refuses to load: the pickle calls posix\.system$/, 512);
    },
  );

  it('hostile-eval.pt: refused naming builtins.eval', async () => {
    const path = join(PT, 'hostile-eval.pt');
    expectRefused(await run([path, '--json']), path, /the pickle calls builtins\.eval$/, 512);
  });

  it.each(['checkpoint.pt', 'views.pt', 'legacy.pt', 'scripted.pt', 'traced.pt', 'module.pt', 'hf-bin'])(
    '%s gives the same metrics as its safetensors twin',
    async (f) => {
      const mine = await report(join(PT, f));
      const twin = await report(join(PT, `${f}.twin.safetensors`));
      const byName = new Map(mine.map((l) => [l.name, l]));
      let analyzed = 0;
      for (const t of twin) {
        const l = byName.get(t.name);
        expect(l, t.name).toBeDefined();
        // A tied weight is one storage in the checkpoint (found before reading) and equal bytes in the twin.
        const skip = t.skipCode === 'tied' && l!.skipCode === 'shared-storage' ? 'tied' : l!.skipCode;
        expect([l!.status, skip, l!.shape]).toEqual([t.status, t.skipCode, t.shape]);
        if (t.status !== 'analyzed') continue;
        analyzed++;
        for (const [k, v] of Object.entries(t.metrics ?? {})) {
          if (typeof v === 'number') expectRelClose(l!.metrics![k] as number, v, 1e-12, `${t.name} ${k}`);
        }
        expect(l!.powerLaw!.status).toBe(t.powerLaw!.status);
        if (t.powerLaw!.alpha !== undefined)
          expectRelClose(l!.powerLaw!.alpha, t.powerLaw!.alpha, 1e-12, `${t.name} alpha`);
        expectRelClose(l!.mp!.lambdaPlus, t.mp!.lambdaPlus!, 1e-12, `${t.name} lambda+`);
        expect(l!.phase!.name).toBe(t.phase!.name);
      }
      expect(analyzed).toBeGreaterThanOrEqual(2);
    },
  );

  it('a directory with safetensors and .bin weights: the safetensors, and a warning that says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmt-pt-both-'));
    try {
      cpSync(join(PT, 'hf-bin'), dir, { recursive: true });
      cpSync(join(PT, 'hf-bin.twin.safetensors'), join(dir, 'model.safetensors'));
      const r = await run([dir, '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).models[0].format).toBe('safetensors');
      expect(r.stderr).toBe(
        `rmt-analyze: warning: ${dir}: the directory holds safetensors and pytorch_model*.bin weights: ` +
          'reading the safetensors\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('optimizer tensors are skipped as optimizer-state', async () => {
    const layers = await report(join(PT, 'checkpoint.pt'));
    const opt = layers.filter((l) => l.name.startsWith('optimizer.'));
    expect(opt).toHaveLength(12);
    for (const l of opt) expect([l.status, l.skipCode]).toEqual(['skipped', 'optimizer-state']);
    expect(layers.find((l) => l.name === 'model.fc1.weight')!.status).toBe('analyzed');
  });
});
