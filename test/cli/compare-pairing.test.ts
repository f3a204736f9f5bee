/**
 * Issue 15, item 10: compare across exporters. Names that differ by a common prefix or suffix
 * are paired, then layers with identical content, then `--rename FROM=TO`; stderr says what
 * was paired how, and the JSON names each layer's OLD id and how it was paired.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';
import { writeSafetensors } from '../../scripts/fixtures/safetensors-writer.js';
import { Rng } from '../generators/index.js';
import { pairLayers } from '../../src/compare-pairing.js';
import type { CompareReport } from '../../src/index.js';
import { analyzedLayer } from '../report-factory.js';

const tmp = mkdtempSync(join(tmpdir(), 'rmt-compare-pairing-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const HF = join(tmp, 'hf.safetensors');
const EXPORT = join(tmp, 'export.safetensors');

const matrix = (seed: number) => {
  const rng = new Rng(seed);
  return Array.from({ length: 30 * 20 }, () => rng.normal());
};
const tensor = (name: string, seed: number) => ({ name, dtype: 'F32' as const, shape: [30, 20], values: matrix(seed) });

beforeAll(async () => {
  await writeSafetensors(HF, [
    tensor('model.fc1.weight', 1),
    tensor('model.fc2.weight', 2),
    tensor('model.fc3.weight', 3),
    tensor('proj.weight', 4),
    tensor('head.weight', 5),
  ]);
  // The "export": an `lm.` prefix, one tensor renamed by the exporter, one retrained head.
  await writeSafetensors(EXPORT, [
    tensor('lm.model.fc1.weight', 1),
    tensor('lm.model.fc2.weight', 2),
    tensor('lm.model.fc3.weight', 3),
    tensor('onnx::MatMul_7', 4),
    tensor('classifier.weight', 6),
  ]);
});

const compare = (extra: string[] = []) => {
  const r = runCli(['compare', HF, EXPORT, '--json', ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return { doc: JSON.parse(r.stdout) as CompareReport, stderr: r.stderr };
};

describe('compare across exporters', () => {
  it('pairs by a common prefix, then by identical content; says how on stderr and in the JSON', () => {
    const { doc, stderr } = compare();
    const pairs = doc.layers.map((c) => [c.oldLayer ?? null, c.layer, c.pairedBy ?? null, c.presence]);
    expect(pairs).toEqual([
      ['model.fc1.weight', 'lm.model.fc1.weight', 'affix', 'both'],
      ['model.fc2.weight', 'lm.model.fc2.weight', 'affix', 'both'],
      ['model.fc3.weight', 'lm.model.fc3.weight', 'affix', 'both'],
      ['proj.weight', 'onnx::MatMul_7', 'content', 'both'],
      [null, 'classifier.weight', null, 'added'],
      [null, 'head.weight', null, 'removed'],
    ]);
    // the same weights on both sides: nothing moved
    for (const c of doc.layers.filter((x) => x.presence === 'both')) {
      expect(c.phaseChange).toBe('same');
      expect(c.delta.alpha).toBe(0);
    }
    expect(doc.pairing).toEqual({
      name: 0,
      rename: 0,
      content: 1,
      affixes: [{ rule: 'OLD … → NEW lm.…', count: 3 }],
    });
    expect(stderr).toBe(
      'rmt-analyze: note: paired layers: 0 by name, 3 as OLD … → NEW lm.…, 1 by identical content; ' +
        '1 only in OLD, 1 only in NEW (--rename FROM=TO pairs them)\n',
    );
  });

  it('--rename FROM=TO pairs the rest', () => {
    const { doc, stderr } = compare(['--rename', 'head.weight=classifier.weight']);
    expect(doc.summary).toMatchObject({ matched: 5, added: 0, removed: 0 });
    expect(doc.layers.find((c) => c.layer === 'classifier.weight')).toMatchObject({
      oldLayer: 'head.weight',
      pairedBy: 'rename',
      presence: 'both',
    });
    expect(stderr).toMatch(/^rmt-analyze: note: paired layers: 0 by name, 1 by --rename, 3 as OLD/);
    const bad = runCli(['compare', HF, EXPORT, '--rename', 'head.weight']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("rmt-analyze: --rename: expected FROM=TO, got 'head.weight'\n");
  });

  it('the table names the OLD layer beside the NEW one', () => {
    const table = runCli(['compare', HF, EXPORT]).stdout;
    expect(table).toMatch(/\nlm\.model\.fc1\.weight .*OLD model\.fc1\.weight \(affix\)\n/);
    expect(table).toMatch(/\nonnx::MatMul_7 .*OLD proj\.weight \(content\)\n/);
  });

  it('a rule that fits a single pair is a coincidence, not a pairing', () => {
    const p = pairLayers(
      [analyzedLayer({ id: 'fc1.weight', stableRank: 3 }), analyzedLayer({ id: 'a.x', stableRank: 4 })],
      [analyzedLayer({ id: 'fc2.weight', stableRank: 5 }), analyzedLayer({ id: 'b.y', stableRank: 6 })],
    );
    expect(p.pairs).toEqual([]);
    expect(p.how.affixes).toEqual([]);
  });
});
