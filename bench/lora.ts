/**
 * A Llama-7B-shaped LoRA adapter (32 blocks; q/k/v/o 4096×4096 and gate/up/down 4096↔11008,
 * r = 16, F32, seeded) analysed by the built CLI, against numpy doing the same eigen work in
 * the same run (per module: thin QR of Aᵀ and of B, singular values of the r×r core, read
 * from the same file) when python3 with numpy is present.
 *
 *   npm run build && npx tsx bench/lora.ts [--blocks 32] [--rank 16] [--keep DIR]
 * (--keep writes the adapter to DIR/adapter and leaves it there, for profiling.)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '../src/random.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const blocks = option('--blocks', 32);
const r = option('--rank', 16);
const H = 4096;
const F = 11008;
const modules: [string, number, number][] = [];
for (let b = 0; b < blocks; b++) {
  for (const p of ['q', 'k', 'v', 'o']) modules.push([`model.layers.${b}.self_attn.${p}_proj`, H, H]);
  modules.push([`model.layers.${b}.mlp.gate_proj`, F, H], [`model.layers.${b}.mlp.up_proj`, F, H]);
  modules.push([`model.layers.${b}.mlp.down_proj`, H, F]);
}

const keepAt = args.indexOf('--keep');
const dir = keepAt >= 0 ? args[keepAt + 1]! : mkdtempSync(join(tmpdir(), 'rmt-lora-bench-'));
try {
  // safetensors written streaming: header first, then each factor.
  const header: Record<string, unknown> = {};
  let offset = 0;
  const tensors: [string, number[]][] = [];
  for (const [m, out, inDim] of modules) {
    tensors.push(
      [`base_model.model.${m}.lora_A.weight`, [r, inDim]],
      [`base_model.model.${m}.lora_B.weight`, [out, r]],
    );
  }
  for (const [name, shape] of tensors) {
    const bytes = shape[0]! * shape[1]! * 4;
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header));
  const adapter = join(dir, 'adapter');
  mkdirSync(adapter, { recursive: true });
  const fd = openSync(join(adapter, 'adapter_model.safetensors'), 'w');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeSync(fd, len);
  writeSync(fd, json);
  const rng = createRng(7);
  for (const [, shape] of tensors) {
    const v = new Float32Array(shape[0]! * shape[1]!);
    for (let i = 0; i < v.length; i++) v[i] = rng.nextGaussian() * 0.02;
    writeSync(fd, new Uint8Array(v.buffer));
  }
  closeSync(fd);
  writeFileSync(join(adapter, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', r, lora_alpha: 2 * r }));
  const gb = (offset / 2 ** 30).toFixed(2);
  console.log(
    `adapter: ${modules.length} modules, r = ${r}, ${gb} GiB of F32 factors; load ${loadavg()[0]!.toFixed(2)}`,
  );

  const t0 = performance.now();
  const run = spawnSync(process.execPath, [join(here, '..', 'bin', 'rmt-analyze.js'), adapter, '--json'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const ours = (performance.now() - t0) / 1000;
  if (run.status !== 0) throw new Error(`rmt-analyze exited ${run.status}: ${run.stderr}`);
  const analysed = (JSON.parse(run.stdout) as { layers: { status: string }[] }).layers.filter(
    (l) => l.status === 'analyzed',
  ).length;
  console.log(`rmt-analyze: ${ours.toFixed(2)} s for ${analysed} lora layers (whole CLI run)`);

  const py = `
import json, struct, time, sys
t0 = time.perf_counter()
import numpy as np
path = sys.argv[1]
with open(path, 'rb') as f:
    n = struct.unpack('<Q', f.read(8))[0]
    header = json.loads(f.read(n))
    base = 8 + n
    names = sorted({k.rsplit('.lora_', 1)[0] for k in header})
    for m in names:
        def load(k):
            e = header[k]; b, end = e['data_offsets']
            f.seek(base + b)
            return np.frombuffer(f.read(end - b), dtype=np.float32).astype(np.float64).reshape(e['shape'])
        a = load(m + '.lora_A.weight'); bm = load(m + '.lora_B.weight')
        ra = np.linalg.qr(a.T, mode='r'); rb = np.linalg.qr(bm, mode='r')
        s = np.linalg.svd(2.0 * rb @ ra.T, compute_uv=False) ** 2
print(f'{time.perf_counter() - t0:.2f}')
`;
  const t1 = performance.now();
  const np = spawnSync('python3', ['-c', py, join(adapter, 'adapter_model.safetensors')], { encoding: 'utf8' });
  const wall = (performance.now() - t1) / 1000;
  if (np.status === 0) {
    console.log(`numpy, same work (read + 2 QR + r×r SVD per module): ${wall.toFixed(2)} s with interpreter start`);
    console.log(`ratio ${(ours / wall).toFixed(2)}`);
  } else console.log(`numpy column skipped (python3 with numpy not found: ${np.stderr.trim().split('\n').pop()})`);
} finally {
  if (keepAt < 0) rmSync(dir, { recursive: true, force: true });
}
