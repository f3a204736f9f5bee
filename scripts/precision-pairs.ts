/**
 * Does a layer keep its phase when the same weights are stored at another precision
 * (issue 16.1)? Reads each model given, stores every tensor again in each scheme of
 * test/generators/quantize.ts (float16/bfloat16 casts, onnxruntime's dynamic uint8, int8 per
 * channel, ggml's Q8_0/Q4_0/Q4_1), analyses every copy as the CLI would, and prints per scheme
 * how many layers got the same phase as the original, with the changes.
 *
 *   npx tsx scripts/precision-pairs.ts MODEL… [--schemes F16,U8,Q4_0]
 */
import { analyzeTensors } from '../src/analyze.js';
import { openModel } from '../src/load/index.js';
import type { LayerResult } from '../src/schema/index.js';
import type { TensorRef } from '../src/types.js';
import { SCHEME_DTYPE, SCHEMES, type Scheme, store } from '../test/generators/quantize.js';

function stored(t: TensorRef, scheme: Scheme): TensorRef {
  let noise: number | undefined;
  const rows = t.shape[0] ?? 1;
  const count = t.shape.reduce((a, b) => a * b, 1);
  const blocky = scheme.startsWith('Q');
  return {
    name: t.name,
    shape: t.shape,
    dtype: blocky && count % 32 !== 0 ? t.dtype : SCHEME_DTYPE[scheme],
    file: t.file,
    byteLength: t.byteLength,
    storageKey: `${scheme}:${t.storageKey}`,
    ...(t.kindHint !== undefined ? { kindHint: t.kindHint } : {}),
    ...(t.groups !== undefined ? { groups: t.groups } : {}),
    read: async () => {
      const v = await t.read();
      if (blocky && v.length % 32 !== 0) return v;
      const s = store(v, rows, scheme);
      noise = s.stepNoise;
      return s.values;
    },
    // A tensor ggml blocks cannot hold stays in its own (float) storage: no grid, no step noise.
    ...(scheme === 'U8' || scheme === 'I8-channel' || (blocky && count % 32 === 0)
      ? { stepNoise: async () => noise ?? 0 }
      : {}),
  };
}

const phases = (layers: LayerResult[]) =>
  new Map(layers.flatMap((l) => (l.status === 'analyzed' ? [[l.id, l.phase.name] as const] : [])));
const reasons = (layers: LayerResult[]) =>
  new Map(layers.flatMap((l) => (l.status === 'analyzed' ? [[l.id, l.phase.reason] as const] : [])));
const explain = process.argv.includes('--explain');

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--explain');
  const at = args.indexOf('--schemes');
  const schemes = at >= 0 ? (args.splice(at, 2)[1]!.split(',') as Scheme[]) : SCHEMES.filter((s) => s !== 'F32');
  for (const path of args) {
    const model = await openModel(path);
    try {
      const base = await analyzeTensors(model.tensors);
      const original = phases(base);
      const originalReasons = reasons(base);
      console.log(`${path}: ${original.size} analysed layers (${model.tensors[0]?.dtype ?? '?'} storage)`);
      for (const scheme of schemes) {
        const layers = await analyzeTensors(model.tensors.map((t) => stored(t, scheme)));
        const copy = phases(layers);
        const copyReasons = reasons(layers);
        let same = 0;
        const changes = new Map<string, number>();
        for (const [id, phase] of original) {
          const other = copy.get(id);
          if (other === phase) same++;
          else {
            changes.set(`${phase} → ${other}`, (changes.get(`${phase} → ${other}`) ?? 0) + 1);
            if (explain)
              console.log(`    ${id} [${scheme}]\n      ${originalReasons.get(id)}\n      ${copyReasons.get(id)}`);
          }
        }
        const list = [...changes].map(([k, n]) => `${k} ×${n}`).join(', ');
        const pct = ((100 * same) / Math.max(1, original.size)).toFixed(1);
        console.log(`  ${scheme.padEnd(10)} ${same}/${original.size} same (${pct} %)${list ? `  ${list}` : ''}`);
      }
    } finally {
      await model.close?.();
    }
  }
}

await main();
