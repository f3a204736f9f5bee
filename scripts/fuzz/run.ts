/**
 * The fuzzer (issue 3): mutates the generated fixtures of every format with a seeded PRNG
 * and runs the CLI on each mutant, asserting the contract for bad input:
 *   exit code 0 or 2; on 2, exactly one line on stderr naming the file, nothing on stdout;
 *   on 0, valid JSON (or, for the text formats, no raw control/bidi characters and no line
 *   that starts a GitHub workflow command); never a stack trace or an internal error;
 *   < 5 s and < 512 MB per case. Some cases put a special file (FIFO, directory, symlink out)
 *   where the model names a regular one.
 *   npm run fuzz -- --cases 100000 [--seed 1] [--workers 2]
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mutateBytes, mutateSafetensors, pick, rng, int, type Mutation, type Rng } from './mutate.js';
import { mutateOnnx } from './mutate-onnx.js';
import { mutateGguf } from './mutate-gguf.js';
import { mutatePytorchLegacy, mutatePytorchZip } from './mutate-pytorch.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const GENERATED = join(ROOT, 'fixtures', 'generated');
const PYTORCH = join(ROOT, 'fixtures', 'pytorch');

export const CASE_TIMEOUT_MS = 5000;
export const MAX_RSS_MB = 512;

/** A model to mutate: a folder of files, the path to give the CLI, and its format. */
export interface Target {
  readonly label: string;
  /** Folder copied for each case (relative to `root`, fixtures/generated unless said). */
  readonly dir: string;
  readonly root?: string;
  /** Path of the model inside the folder. */
  readonly entry: string;
  /** Files inside the folder that may be mutated, with the format-aware mutator for each. */
  readonly files: readonly { readonly path: string; readonly format: FileFormat }[];
  /** Copy only `files` (not the whole folder: fixtures/gguf also holds the reference twins). */
  readonly onlyFiles?: boolean;
}

type FileFormat = 'safetensors' | 'onnx' | 'gguf' | 'json' | 'raw' | 'pytorch-zip' | 'pytorch-legacy';

/** Format-aware mutators registered by format (ONNX adds its own). */
export const FORMAT_MUTATORS: Partial<Record<Target['files'][number]['format'], (r: Rng, b: Uint8Array) => Mutation>> =
  {
    safetensors: mutateSafetensors,
    onnx: mutateOnnx,
    gguf: mutateGguf,
    'pytorch-zip': mutatePytorchZip,
    'pytorch-legacy': mutatePytorchLegacy,
  };

export const TARGETS: Target[] = [
  {
    label: 'st-dtypes',
    dir: 'safetensors',
    entry: 'dtypes.safetensors',
    files: [{ path: 'dtypes.safetensors', format: 'safetensors' }],
  },
  {
    label: 'st-numerics',
    dir: 'safetensors',
    entry: 'numerics.safetensors',
    files: [{ path: 'numerics.safetensors', format: 'safetensors' }],
  },
  {
    label: 'st-tied',
    dir: 'safetensors',
    entry: 'tied.safetensors',
    files: [{ path: 'tied.safetensors', format: 'safetensors' }],
  },
  {
    label: 'st-sharded',
    dir: 'safetensors/sharded',
    entry: 'model.safetensors.index.json',
    files: [
      { path: 'model.safetensors.index.json', format: 'json' },
      { path: 'model-00001-of-00002.safetensors', format: 'safetensors' },
      { path: 'model-00002-of-00002.safetensors', format: 'safetensors' },
    ],
  },
  // PEFT LoRA adapters (scripts/fixtures/lora.ts): the config's numbers and the pairs' shapes.
  ...['adapter', 'adapter-fifo'].map(
    (name): Target => ({
      label: `lora-${name}`,
      dir: `lora/${name}`,
      entry: '.',
      files: [
        { path: 'adapter_config.json', format: 'json' },
        { path: 'adapter_model.safetensors', format: 'safetensors' },
      ],
    }),
  ),
  {
    label: 'st-hf-dir',
    dir: 'safetensors/hf-model',
    entry: '.',
    files: [{ path: 'model.safetensors', format: 'safetensors' }],
  },
  ...[
    'dense-raw',
    'encodings',
    'conv',
    'constants-if',
    'lstm',
    'quant-dql',
    'quant-dynamic',
    'quant-more',
    'tied-embedding',
    'unpacked',
    'function',
  ].map(
    (name): Target => ({
      label: `onnx-${name}`,
      dir: 'onnx',
      entry: `${name}.onnx`,
      files: [{ path: `${name}.onnx`, format: 'onnx' }],
    }),
  ),
  {
    label: 'onnx-external-shared',
    dir: 'onnx',
    entry: 'external-shared.onnx',
    files: [
      { path: 'external-shared.onnx', format: 'onnx' },
      { path: 'external-shared.bin', format: 'raw' },
    ],
  },
  {
    label: 'onnx-external-per-tensor',
    dir: 'onnx',
    entry: 'external-per-tensor.onnx',
    files: [
      { path: 'external-per-tensor.onnx', format: 'onnx' },
      { path: 'ext-a.weight', format: 'raw' },
      { path: 'ext-data/ext-b.weight', format: 'raw' },
    ],
  },
  // GGUF fixtures written by gguf-py (scripts/fixtures/gguf.py), outside fixtures/generated.
  ...['model', 'types', 'v2', 'align64', 'unsupported'].map(
    (name): Target => ({
      label: `gguf-${name}`,
      dir: '../gguf',
      entry: `${name}.gguf`,
      files: [{ path: `${name}.gguf`, format: 'gguf' }],
      onlyFiles: true,
    }),
  ),
  ...['dtypes', 'views', 'checkpoint', 'module', 'scripted', 'traced'].map(
    (name): Target => ({
      label: `pt-${name}`,
      dir: '.',
      root: PYTORCH,
      entry: `${name}.pt`,
      files: [{ path: `${name}.pt`, format: 'pytorch-zip' }],
    }),
  ),
  {
    label: 'pt-legacy',
    dir: '.',
    root: PYTORCH,
    entry: 'legacy.pt',
    files: [{ path: 'legacy.pt', format: 'pytorch-legacy' }],
  },
  {
    label: 'pt-hf-bin',
    dir: 'hf-bin',
    root: PYTORCH,
    entry: '.',
    files: [
      { path: 'pytorch_model.bin.index.json', format: 'json' },
      { path: 'pytorch_model-00001-of-00002.bin', format: 'pytorch-zip' },
      { path: 'pytorch_model-00002-of-00002.bin', format: 'pytorch-zip' },
    ],
  },
];

export interface CaseResult {
  readonly id: number;
  readonly target: string;
  readonly mutations: string;
  readonly code: number | 'threw' | 'timeout';
  readonly ms: number;
  readonly problem?: string;
  readonly stderr?: string;
}

export interface FuzzSummary {
  readonly cases: number;
  readonly exit0: number;
  readonly exit2: number;
  readonly failures: CaseResult[];
  readonly maxMs: number;
  readonly maxRssMB: number;
  readonly byTarget: Record<string, number>;
}

/** Output formats a case may be rendered in: JSON mostly, the text reporters for injection. */
const TEXT_FORMATS = ['table', 'github', 'markdown', 'csv'] as const;

/**
 * A special file where the model names a regular one (issue 12): a FIFO (opening it would
 * block), a directory, a symlink out of the model's folder, or /dev/zero behind a symlink.
 */
function makeSpecial(r: Rng, path: string): string {
  rmSync(path, { force: true });
  const kind = pick(r, ['fifo', 'directory', 'symlink-out', 'dev-zero'] as const);
  if (kind === 'fifo') execFileSync('mkfifo', [path]);
  else if (kind === 'directory') mkdirSync(path);
  else symlinkSync(kind === 'dev-zero' ? '/dev/zero' : '/etc/hostname', path);
  return `special-${kind}`;
}

/** Builds case `id`: copies the target's folder into `caseDir` and damages one file in it. */
function buildCase(
  id: number,
  seed: number,
  caseDir: string,
  donors: Uint8Array[],
): { target: Target; entry: string; mutations: string; format: 'json' | (typeof TEXT_FORMATS)[number] } {
  const r = rng((seed * 1_000_003 + id) >>> 0);
  const target = pick(r, TARGETS);
  rmSync(caseDir, { recursive: true, force: true });
  const source = join(target.root ?? GENERATED, target.dir);
  if (target.onlyFiles) {
    mkdirSync(caseDir, { recursive: true });
    for (const f of target.files) cpSync(join(source, f.path), join(caseDir, f.path));
  } else cpSync(source, caseDir, { recursive: true });
  const format = r() < 0.15 ? pick(r, TEXT_FORMATS) : 'json';
  const file = pick(r, target.files);
  if (r() < 0.02) {
    const what = makeSpecial(r, join(caseDir, file.path));
    return { target, entry: join(caseDir, target.entry), mutations: `${file.path}: ${what}`, format };
  }
  let bytes: Uint8Array = readFileSync(join(caseDir, file.path));
  const steps: string[] = [];
  const rounds = int(r, 1, 3);
  for (let i = 0; i < rounds; i++) {
    const aware = FORMAT_MUTATORS[file.format];
    const m = aware && r() < 0.55 ? aware(r, bytes) : mutateBytes(r, bytes, donors);
    bytes = m.bytes;
    steps.push(m.name);
  }
  writeFileSync(join(caseDir, file.path), bytes);
  return { target, entry: join(caseDir, target.entry), mutations: `${file.path}: ${steps.join(' → ')}`, format };
}

/** Characters no text output may carry raw (LF ends lines; model text shows them escaped). */
const UNSEEN_RAW =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/u;
/** The workflow commands rmt-analyze itself writes with --format github. */
const OWN_COMMANDS =
  /^(::group::rmt-analyze: |::endgroup::$|::error title=rmt-analyze gate%3A |::notice title=rmt-analyze::)/;

/** A text report that lets model text drive a terminal or a GitHub Actions log; undefined if none. */
export function injectionProblem(text: string): string | undefined {
  if (UNSEEN_RAW.test(text)) return 'raw control, bidi or invisible character in a text output';
  const line = text.split('\n').find((l) => /^\s*(::|##\[)/u.test(l) && !OWN_COMMANDS.test(l));
  return line === undefined ? undefined : `a line starts a workflow command: ${JSON.stringify(line.slice(0, 80))}`;
}

/** Checks one case's outcome against the bad-input contract; returns the problem or undefined. */
export function checkOutcome(
  code: number | 'threw',
  stdout: string,
  stderr: string,
  caseDir: string,
  format: 'json' | (typeof TEXT_FORMATS)[number] = 'json',
): string | undefined {
  if (code === 'threw') return 'main() threw';
  if (code !== 0 && code !== 2) return `exit code ${code}`;
  if (/\n\s+at .+:\d+/.test(stderr) || /^\s+at /m.test(stderr)) return 'stack trace on stderr';
  if (/internal error/.test(stderr)) return 'internal error';
  if (code === 2) {
    if (stdout !== '') return 'stdout not empty on exit 2';
    const lines = stderr.split('\n').filter((l) => l !== '');
    if (lines.length !== 1) return `${lines.length} lines on stderr`;
    if (!lines[0]!.startsWith('rmt-analyze: ')) return 'error line not prefixed';
    if (!lines[0]!.includes(caseDir)) return 'error does not name the file';
    return undefined;
  }
  if (format !== 'json') return injectionProblem(stdout) ?? injectionProblem(stderr);
  try {
    const doc = JSON.parse(stdout) as { schemaVersion?: unknown };
    if (doc.schemaVersion !== 1) return 'JSON without schemaVersion 1';
  } catch {
    return 'invalid JSON on exit 0';
  }
  return undefined;
}

class Worker {
  private child!: ChildProcess;
  private ready!: Promise<void>;
  constructor() {
    this.spawn();
  }
  private spawn() {
    this.child = fork(join(HERE, 'worker.mjs'), [], {
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      execArgv: ['--max-old-space-size=1024'],
    });
    this.ready = new Promise((resolve) => this.child.once('message', () => resolve()));
  }
  async run(
    id: number,
    args: string[],
  ): Promise<{ code: number | 'threw' | 'timeout'; stdout: string; stderr: string; ms: number; maxRssMB: number }> {
    await this.ready;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.child.removeAllListeners('message');
        this.child.kill('SIGKILL');
        this.spawn();
        resolve({ code: 'timeout', stdout: '', stderr: '', ms: CASE_TIMEOUT_MS, maxRssMB: 0 });
      }, CASE_TIMEOUT_MS);
      this.child.once(
        'message',
        (m: { code: number | 'threw'; stdout: string; stderr: string; ms: number; maxRssMB: number }) => {
          clearTimeout(timer);
          resolve(m);
        },
      );
      this.child.send({ id, args });
    });
  }
  async recycleIfLarge(limitMB: number, rss: number) {
    if (rss > limitMB) {
      this.child.kill();
      this.spawn();
    }
  }
  close() {
    this.child.removeAllListeners();
    this.child.kill();
  }
}

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

export async function runFuzz(opts: {
  cases: number;
  seed: number;
  workers: number;
  onProgress?: (done: number) => void;
}): Promise<FuzzSummary> {
  const donors = [...allFiles(GENERATED), ...allFiles(PYTORCH)].map((p) => new Uint8Array(readFileSync(p)));
  const root = mkdtempSync(join(tmpdir(), 'rmt-fuzz-'));
  const workers = Array.from({ length: opts.workers }, () => new Worker());
  const failures: CaseResult[] = [];
  const byTarget: Record<string, number> = {};
  let exit0 = 0;
  let exit2 = 0;
  let maxMs = 0;
  let maxRssMB = 0;
  let next = 0;
  let done = 0;
  try {
    await Promise.all(
      workers.map(async (w, wi) => {
        const caseDir = join(root, `w${wi}`, 'model');
        mkdirSync(dirname(caseDir), { recursive: true });
        for (;;) {
          const id = next++;
          if (id >= opts.cases) return;
          const built = buildCase(id, opts.seed, caseDir, donors);
          byTarget[built.target.label] = (byTarget[built.target.label] ?? 0) + 1;
          const res = await w.run(id, [built.entry, '--format', built.format, '--explain']);
          maxMs = Math.max(maxMs, res.ms);
          maxRssMB = Math.max(maxRssMB, res.maxRssMB);
          let problem: string | undefined;
          if (res.code === 'timeout') problem = `no answer within ${CASE_TIMEOUT_MS} ms`;
          else problem = checkOutcome(res.code, res.stdout, res.stderr, caseDir, built.format);
          if (problem === undefined && res.maxRssMB > MAX_RSS_MB) problem = `peak RSS ${res.maxRssMB.toFixed(0)} MB`;
          if (res.code === 0) exit0++;
          if (res.code === 2) exit2++;
          if (problem !== undefined) {
            failures.push({
              id,
              target: built.target.label,
              mutations: `${built.mutations} (--format ${built.format})`,
              code: res.code,
              ms: res.ms,
              problem,
              stderr: res.stderr.slice(0, 2000),
            });
            // Keep the failing input for inspection.
            const keep = join(root, `failure-${id}`);
            cpSync(caseDir, keep, { recursive: true });
          }
          await w.recycleIfLarge(MAX_RSS_MB / 2, res.maxRssMB);
          opts.onProgress?.(++done);
        }
      }),
    );
  } finally {
    workers.forEach((w) => w.close());
    if (failures.length === 0) rmSync(root, { recursive: true, force: true });
  }
  return { cases: opts.cases, exit0, exit2, failures, maxMs, maxRssMB, byTarget };
}

function parseArgs(argv: string[]): { cases: number; seed: number; workers: number } {
  const get = (name: string, dflt: number) => {
    const i = argv.indexOf(`--${name}`);
    const v = i >= 0 ? Number(argv[i + 1]) : dflt;
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer`);
    return v;
  };
  return { cases: get('cases', 2000), seed: get('seed', 1), workers: get('workers', 2) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const summary = await runFuzz({
    ...opts,
    onProgress: (n) => {
      if (n % 1000 === 0)
        process.stderr.write(`${n}/${opts.cases} cases, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    },
  });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `fuzz: ${summary.cases} cases (seed ${opts.seed}) in ${secs} s: exit 0 ×${summary.exit0}, exit 2 ×${summary.exit2}, failures ${summary.failures.length}`,
  );
  console.log(`slowest case ${summary.maxMs.toFixed(0)} ms, peak worker RSS ${summary.maxRssMB.toFixed(0)} MB`);
  console.log(
    `cases per target: ${Object.entries(summary.byTarget)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  for (const f of summary.failures.slice(0, 20)) {
    console.log(
      `  case ${f.id} [${f.target}] ${f.mutations}: ${f.problem} (exit ${f.code})\n    ${f.stderr?.split('\n').slice(0, 3).join('\n    ')}`,
    );
  }
  if (summary.failures.length > 0) {
    console.log(`kept failing inputs under ${tmpdir()}/rmt-fuzz-*`);
    process.exitCode = 1;
  }
}
