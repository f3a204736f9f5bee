/**
 * One benchmark case in its own process (so its peak RSS is its own), on the built
 * package (dist/, as users run it): opens the safetensors file with the project's loader,
 * reads the tensor, computes the eigenvalues with the engine; repeated, best time kept.
 * Prints one JSON line.
 *   node bench/case.mjs <file> <jobs> <reps> <eigenvalues-out.f64>
 */
import { writeFile } from 'node:fs/promises';
import { openModel } from '../dist/load/index.js';
import { createSpectrumEngine } from '../dist/spectrum/index.js';

async function main() {
  const [file, jobsArg, repsArg, out] = process.argv.slice(2);
  if (!file || !out) throw new Error('usage: case.mjs <file> <jobs> <reps> <out>');
  const engine = createSpectrumEngine({ jobs: Number(jobsArg) });
  const times = [];
  let values = new Float64Array(0);
  try {
    for (let r = 0; r < Number(repsArg); r++) {
      const t0 = performance.now();
      const model = await openModel(file);
      const tensor = model.tensors[0];
      const [rows, cols] = tensor.shape;
      values = await engine.schedule(rows, cols, () => tensor.read());
      await model.close();
      times.push((performance.now() - t0) / 1000);
    }
  } finally {
    await engine.close();
  }
  await writeFile(out, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  const maxRssMB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ times, maxRssMB, backend: engine.backendInfo }) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
