/**
 * The two shaped checkpoints of the whole-model benchmark (bench/models.ts, issue 14),
 * seeded Gaussian weights in real models' shapes, written as safetensors:
 *
 *   gpt2-small-f32  GPT-2 small: wte 50257×768, wpe 1024×768, 12 blocks of c_attn 768×2304,
 *                   attn c_proj 768×768, c_fc 768×3072, mlp c_proj 3072×768 (F32, 50 layers)
 *   llama7b-block-bf16  one Llama-7B block: q/k/v/o 4096×4096, gate/up 11008×4096,
 *                   down 4096×11008 (BF16, 7 layers)
 *
 * The values are random (their spectra are Marchenko–Pastur-like); what the benchmark needs
 * is the shapes and dtypes, which set the work. Not committed: 500 MB and 400 MB.
 *   npx tsx bench/shaped-checkpoints.ts DIR     writes both into DIR
 *   npx tsx bench/shaped-checkpoints.ts DIR --more
 *       also gpt2-medium-f32 (GPT-2 medium's embedding 50257×1024 and 12 of its 24 blocks,
 *       810 MB: large matrices that pair, bench/README.md "Ninth round") and
 *       llama7b-embed-block-bf16 (the Llama block after its 32000×4096 embedding, 667 MB),
 *       for `npm run bench -- --models --model …`
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

interface Spec {
  readonly name: string;
  readonly shape: readonly [number, number];
}

/** `count` GPT-2 blocks of width d, as stored (Conv1D: in × out): c_attn, attn c_proj, c_fc, mlp c_proj. */
function gpt2Blocks(d: number, count: number): Spec[] {
  return Array.from({ length: count }, (_, i): Spec[] => [
    { name: `h.${i}.attn.c_attn.weight`, shape: [d, 3 * d] },
    { name: `h.${i}.attn.c_proj.weight`, shape: [d, d] },
    { name: `h.${i}.mlp.c_fc.weight`, shape: [d, 4 * d] },
    { name: `h.${i}.mlp.c_proj.weight`, shape: [4 * d, d] },
  ]).flat();
}

export const GPT2_SMALL: readonly Spec[] = [
  { name: 'wte.weight', shape: [50257, 768] },
  { name: 'wpe.weight', shape: [1024, 768] },
  ...gpt2Blocks(768, 12),
];

export const LLAMA_BLOCK: readonly Spec[] = [
  ...['q', 'k', 'v', 'o'].map(
    (p): Spec => ({ name: `model.layers.0.self_attn.${p}_proj.weight`, shape: [4096, 4096] }),
  ),
  { name: 'model.layers.0.mlp.gate_proj.weight', shape: [11008, 4096] },
  { name: 'model.layers.0.mlp.up_proj.weight', shape: [11008, 4096] },
  { name: 'model.layers.0.mlp.down_proj.weight', shape: [4096, 11008] },
];

/** GPT-2 medium's shapes, 12 of its 24 blocks (the ratio to numpy is the same, in half the time). */
export const GPT2_MEDIUM_HALF: readonly Spec[] = [
  { name: 'wte.weight', shape: [50257, 1024] },
  ...gpt2Blocks(1024, 12),
];

/** mulberry32 + Box–Muller: seeded N(0, σ²) float32 values, fast enough for 300M of them. */
function gaussians(seed: number, sigma: number): (out: Float32Array) => void {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return (out) => {
    for (let i = 0; i < out.length; i += 2) {
      const r = sigma * Math.sqrt(-2 * Math.log(u()));
      const a = 2 * Math.PI * u();
      out[i] = r * Math.cos(a);
      if (i + 1 < out.length) out[i + 1] = r * Math.sin(a);
    }
  };
}

/** Writes the tensors of `specs` as one safetensors file, values from one seeded stream. */
export function writeShaped(path: string, specs: readonly Spec[], dtype: 'F32' | 'BF16', seed: number): void {
  const size = dtype === 'F32' ? 4 : 2;
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const { name, shape } of specs) {
    const bytes = shape[0] * shape[1] * size;
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = JSON.stringify(header);
  const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
  const fd = openSync(path, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(padded.length));
    writeSync(fd, len);
    writeSync(fd, Buffer.from(padded));
    const fill = gaussians(seed, 0.02);
    const chunk = new Float32Array(1 << 20);
    const halves = new Uint16Array(chunk.buffer);
    const bf16 = new Uint16Array(chunk.length);
    for (const { shape } of specs) {
      for (let left = shape[0] * shape[1]; left > 0; ) {
        const k = Math.min(chunk.length, left);
        fill(chunk.subarray(0, k));
        if (dtype === 'F32') writeSync(fd, new Uint8Array(chunk.buffer, 0, k * 4));
        else {
          // bfloat16: the upper half of each float32 (truncated; little-endian).
          for (let i = 0; i < k; i++) bf16[i] = halves[2 * i + 1]!;
          writeSync(fd, new Uint8Array(bf16.buffer, 0, k * 2));
        }
        left -= k;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Both checkpoints in `dir`; returns their paths. */
export function writeShapedCheckpoints(dir: string): { gpt2: string; llama: string } {
  const gpt2 = join(dir, 'gpt2-small-f32.safetensors');
  const llama = join(dir, 'llama7b-block-bf16.safetensors');
  writeShaped(gpt2, GPT2_SMALL, 'F32', 2);
  writeShaped(llama, LLAMA_BLOCK, 'BF16', 7);
  return { gpt2, llama };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const dir = process.argv[2];
  if (dir === undefined) throw new Error('usage: tsx bench/shaped-checkpoints.ts DIR');
  const paths = writeShapedCheckpoints(dir);
  console.log(`${paths.gpt2}\n${paths.llama}`);
  if (process.argv.includes('--more')) {
    const medium = join(dir, 'gpt2-medium-f32.safetensors');
    const embedded = join(dir, 'llama7b-embed-block-bf16.safetensors');
    writeShaped(medium, GPT2_MEDIUM_HALF, 'F32', 3);
    const embedding: Spec = { name: 'model.embed_tokens.weight', shape: [32000, 4096] };
    writeShaped(embedded, [embedding, ...LLAMA_BLOCK], 'BF16', 11);
    console.log(`${medium}\n${embedded}`);
  }
}
