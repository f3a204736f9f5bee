/**
 * `npm run bench`: seconds per layer for rmt-analyze's eigen path, reading the file
 * included, against numpy's `eigvalsh(W.T @ W)` (OpenBLAS) on the same file in the same
 * run when a python3 with numpy is present (numpy is never a dependency of the tool).
 *
 *   npm run bench                 1024², 2048², 3072², 4096×1024
 *   npm run bench -- --large      … and 4096×11008 (a 7B-class MLP projection)
 *   npm run bench -- --jobs 1 --reps 3 --only 2048x2048 --no-numpy
 *   npm run bench -- --models     whole models instead (bench/models.ts; --reps N: N runs of
 *                                 each side, interleaved, medians), with
 *                                 --model PATH (repeatable) or RMT_BENCH_MODELS=a:b
 *
 * Each case runs in a child process on the built package (dist/; `npm run bench` builds
 * first), so its peak RSS is that process's maxRSS, all threads included.
 * Both sides include reading the file ("numpy w/o read" shows numpy's Gram + eigvalsh
 * alone, for reference). Times are the best of --reps runs (default 3) of the whole path: open, read, widen,
 * Gram, eigenvalues; "(1st run)" is the first of them, which also pays for starting the
 * worker, loading onnxruntime and first-touching the scratch buffers that later matrices
 * reuse. The machine may be shared: the load average is printed with the table.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir, availableParallelism, loadavg, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runModels } from './models.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const jobs = Number(option('--jobs', String(availableParallelism())));
const reps = Number(option('--reps', '3'));
const only = option('--only', '');

const cases: [number, number][] = [
  [1024, 1024],
  [2048, 2048],
  [3072, 3072],
  [4096, 1024],
];
if (flag('--large')) cases.push([4096, 11008]);

/** Seeded Gaussian float32 matrix, written as a one-tensor safetensors file. */
function writeSafetensors(path: string, rows: number, cols: number, seed: number): void {
  const header = JSON.stringify({ W: { dtype: 'F32', shape: [rows, cols], data_offsets: [0, rows * cols * 4] } });
  const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
  const fd = openSync(path, 'w');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(padded.length));
  writeSync(fd, len);
  writeSync(fd, Buffer.from(padded));
  let s = seed;
  const u = () => {
    s = (s * 48271) % 2147483647;
    return s / 2147483647;
  };
  const chunk = new Float32Array(1 << 20);
  for (let done = 0; done < rows * cols; ) {
    const k = Math.min(chunk.length, rows * cols - done);
    for (let i = 0; i < k; i++) chunk[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    writeSync(fd, new Uint8Array(chunk.buffer, 0, k * 4));
    done += k;
  }
  closeSync(fd);
}

function hasNumpy(): boolean {
  const r = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
  return r.status === 0;
}

function readF64(path: string): Float64Array {
  const b = readFileSync(path);
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'rmt-bench-'));
  const numpy = !flag('--no-numpy') && hasNumpy();
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `rmt-analyze eigen-path benchmark — ${cpu}, ${availableParallelism()} cores, --jobs ${jobs}, best of ${reps}`,
  );
  console.log(
    `numpy: ${numpy ? 'python3 numpy (OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset for it)' : flag('--no-numpy') ? 'skipped (--no-numpy)' : 'not found, rmt-analyze side only'}`,
  );
  console.log(
    `load average before: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const rows: string[][] = [
    [
      'case',
      'rmt-analyze s',
      '(1st run)',
      'numpy s',
      'ratio',
      '2× target',
      '(numpy w/o read)',
      'peak RSS MB',
      'RSS budget MB',
      'max |Δλ|/λmax',
      'backend',
    ],
  ];
  try {
    for (const [r, c] of cases) {
      const name = `${r}x${c}`;
      if (only && only !== name) continue;
      const file = join(dir, `${name}.safetensors`);
      writeSafetensors(file, r, c, r * 31 + c);
      const ours = join(dir, `${name}.ours.f64`);
      const res = spawnSync(process.execPath, [join(here, 'case.mjs'), file, String(jobs), String(reps), ours], {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      });
      if (res.status !== 0) throw new Error(`case ${name} failed:\n${res.stderr}`);
      const mine = JSON.parse(res.stdout.trim().split('\n').pop()!) as {
        times: number[];
        maxRssMB: number;
        backend: { backend: string };
      };
      const tOurs = Math.min(...mine.times);
      let tNumpy = NaN;
      let tNumpyEigen = NaN;
      let diff = NaN;
      if (numpy) {
        const theirs = join(dir, `${name}.numpy.f64`);
        const env = { ...process.env };
        delete env.OPENBLAS_CORETYPE;
        delete env.OPENBLAS_L2_SIZE;
        const py = spawnSync('python3', [join(here, 'numpy_case.py'), file, String(reps), theirs], {
          encoding: 'utf8',
          env,
        });
        if (py.status !== 0) throw new Error(`numpy case ${name} failed:\n${py.stderr}`);
        const np = JSON.parse(py.stdout.trim()) as { times: number[]; eigenOnly: number[] };
        tNumpy = Math.min(...np.times);
        tNumpyEigen = Math.min(...np.eigenOnly);
        const a = readF64(ours);
        const b = readF64(theirs);
        const lmax = Math.max(Math.abs(b[0]!), Math.abs(b[b.length - 1]!));
        diff = 0;
        for (let i = 0; i < b.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
        diff = a.length === b.length ? diff / lmax : Infinity;
      }
      rmSync(file, { force: true });
      const budget = (3 * r * c * 8) / 2 ** 20 + 200;
      rows.push([
        name,
        tOurs.toFixed(3),
        mine.times[0]!.toFixed(3),
        numpy ? tNumpy.toFixed(3) : '-',
        numpy ? (tOurs / tNumpy).toFixed(2) : '-',
        numpy ? (tOurs <= 2 * tNumpy ? 'met' : 'MISSED') : '-',
        numpy ? tNumpyEigen.toFixed(3) : '-',
        mine.maxRssMB.toFixed(0),
        budget.toFixed(0),
        numpy ? diff.toExponential(1) : '-',
        mine.backend.backend,
      ]);
      console.error(`done ${name}: ${rows[rows.length - 1]!.join('  ')}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows)
    console.log(row.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  '));
  console.log(
    `load average after: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}

if (flag('--models')) {
  const extra = [
    ...args.flatMap((a, i) => (a === '--model' && args[i + 1] !== undefined ? [args[i + 1]!] : [])),
    ...(process.env.RMT_BENCH_MODELS ?? '').split(':').filter((p) => p !== ''),
  ];
  const jobsGiven = args.includes('--jobs') ? jobs : undefined;
  runModels({ jobs: jobsGiven, numpy: !flag('--no-numpy') && hasNumpy(), extra, reps: Number(option('--reps', '1')) });
} else main();
