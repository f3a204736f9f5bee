/**
 * Whether the command line runs in this process or again in a child process with tuned
 * malloc settings (issue 14: whole-model throughput). Imported by bin/rmt-analyze.js before
 * the CLI itself, so it loads nothing but node:fs and node:child_process.
 *
 * glibc reads its tunables (GLIBC_TUNABLES) once, at process start; node has no exec, so a
 * large input (TUNED_CHILD_ABOVE_BYTES) re-runs the CLI in a child started with them:
 *  - one malloc arena (`glibc.malloc.arena_max=1`, unless the user chose): buffers widened on
 *    the main thread are freed on a worker, and with an arena per thread that memory is not
 *    reused where it is next needed. ISNet's peak RSS 355–371 → 321–351 MiB, a GPT-2-shaped
 *    checkpoint's 599–612 → 579–592 MiB, at the same speed or better (bench/README.md,
 *    "Tenth round").
 *  - huge pages (`glibc.malloc.hugetlb=1`, which makes malloc ask for transparent huge pages
 *    by madvise) only on request, RMT_ANALYZE_HUGE_PAGES=1, and where the kernel gives them on
 *    request only (`[madvise]`). They paid on the machines of earlier rounds, where the first
 *    touch of fresh memory cost ~3 ns/byte per 4 KiB page (bench/README "Fresh memory"). On
 *    the current 2-core AMD EPYC a 4 KiB page's first touch costs ~0.45 ns/byte and a huge
 *    page's up to ~2 ns/byte (the hypervisor backs it anew), and every model ran faster
 *    without them: ISNet 3.52–3.78 → 3.12–3.18 s, the GPT-2 shape 5.2–5.3 → 4.2–4.3 s, the
 *    Llama-7B block 43.5 → 39.9 s.
 * RMT_ANALYZE_HUGE_PAGES=0 keeps every run in one process. Elsewhere (other systems) nothing
 * changes. The child inherits the terminal, so output, exit status and signals are its own.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Inputs (files named on the command line) at least this large are analysed in the tuned
 * child. The file's size understates what is widened: 2× its bytes in float64 for float32
 * weights, 4× for float16, 8× for uint8. Below it a second node start (~0.05 s) would not pay.
 */
export const TUNED_CHILD_ABOVE_BYTES = 32 * 1024 * 1024;

/**
 * The child's GLIBC_TUNABLES: the user's, then one arena (unless the user chose) and, when
 * asked for, huge pages.
 */
export function childTunables(existing: string | undefined, hugePages: boolean): string {
  const ours = hugePages ? ['glibc.malloc.hugetlb=1'] : [];
  if (!existing?.includes('glibc.malloc.arena_max')) ours.push('glibc.malloc.arena_max=1');
  return [...(existing ? [existing] : []), ...ours].join(':');
}

/**
 * The child's environment: the caller's with the child's GLIBC_TUNABLES, and without
 * NODE_EXTRA_CA_CERTS. The analysis makes no network connection, and node reads and parses
 * that certificate bundle at every start, used or not: 35–45 ms for Debian's 144 certificates
 * on the 2-core machine (`node -e 0`: 0.06–0.08 s with it, 0.02–0.03 s without).
 */
export function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _unused, ...rest } = env;
  return { ...rest, GLIBC_TUNABLES: childTunables(env.GLIBC_TUNABLES, wantsHugePages(env)) };
}

/** How the re-run child ended: its exit code, or the signal that ended it. */
export interface ChildOutcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Re-runs `argv` (process.argv: node, script, arguments) in the tuned child when that pays,
 * and resolves with how it ended; resolves undefined when the caller should run the command
 * itself (nothing to gain, or the child could not be started).
 */
export function runInTunedChild(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ChildOutcome | undefined> {
  if (!wantsTunedChild(argv.slice(2), env)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, ...argv.slice(1)], {
      stdio: 'inherit',
      env: childEnv(env),
    });
    // A signal sent to this process alone (a CI timeout, kill PID) reaches the child; one
    // sent to the terminal's process group (Ctrl-C) reaches both, and the child decides.
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const s of signals) process.on(s, forward);
    const done = (outcome: ChildOutcome | undefined) => {
      for (const s of signals) process.off(s, forward);
      resolve(outcome);
    };
    child.once('error', () => done(undefined));
    child.once('exit', (code, signal) => done({ code, signal }));
  });
}

/**
 * Model files at least this large are worth starting spectrum workers for before the CLI has
 * even loaded (spectrum/spawn.ts): a matrix the workers take (min(rows, cols) ≥ 96) is 36 KiB
 * at float32, and a model of nothing but smaller ones is rarely this large.
 */
export const PRESTART_ABOVE_BYTES = 1024 * 1024;

/** Subcommands that never compute a spectrum. */
const NO_SPECTRUM = new Set(['render', 'compare', 'merge', 'help']);

/**
 * Model files below this size get one worker ahead of time, not one per core: their matrices
 * rarely keep more than one worker busy beside the main thread, which reads and computes the
 * small ones (compute.ts, SECOND_WORKER_MIN_FLOPS decides once the model is planned; the
 * engine starts a second then if it is worth it). A worker's start costs ~0.1–0.2 s of CPU
 * that a small model's run, on two cores, would otherwise spend on its own work.
 */
export const ONE_PRESTART_BELOW_BYTES = 32 * 1024 * 1024;

/**
 * How many spectrum workers to start ahead of time for this command line: as many as it
 * will use (--jobs, else the cores, at most MAX_PRESTART) when it analyses a model file of
 * at least ONE_PRESTART_BELOW_BYTES, one for a smaller file of at least PRESTART_ABOVE_BYTES,
 * else none.
 */
export function workersToPrestart(args: readonly string[], cores: number): number {
  if (args.length === 0 || NO_SPECTRUM.has(args[0]!)) return 0;
  if (args.some((a) => a === '--help' || a === '-h' || a === '--version' || a === '-V')) return 0;
  const bytes = inputBytes(args, ONE_PRESTART_BELOW_BYTES);
  if (bytes < PRESTART_ABOVE_BYTES) return 0;
  if (bytes < ONE_PRESTART_BELOW_BYTES) return 1;
  const at = args.findIndex((a) => a === '--jobs' || a.startsWith('--jobs='));
  const given = at < 0 ? Number.NaN : Number(args[at]!.startsWith('--jobs=') ? args[at]!.slice(7) : args[at + 1]);
  const jobs = Number.isInteger(given) && given >= 1 ? given : cores;
  return Math.min(jobs, cores, MAX_PRESTART);
}

/**
 * Whether the workers started ahead of time load onnxruntime-node at once: for a model file
 * of at least ONE_PRESTART_BELOW_BYTES, which almost always holds a matrix that takes the
 * two-stage path. A smaller model's matrices are mostly medium ones, computed without it
 * (spectrum/eigen.ts usesTwoStage): its workers load it only if the model's plan needs it
 * (M-LSD large needs it not at all; it cost a worker ~0.1–0.3 s of CPU).
 */
export function prestartPreloads(args: readonly string[]): boolean {
  return inputBytes(args, ONE_PRESTART_BELOW_BYTES) >= ONE_PRESTART_BELOW_BYTES;
}

/** Beyond this many, workers are started when the engine asks (each costs memory and a start). */
const MAX_PRESTART = 4;

/** Whether this run should move to the tuned child (see the header). */
export function wantsTunedChild(args: readonly string[], env: NodeJS.ProcessEnv): boolean {
  if (process.platform !== 'linux' || env.RMT_ANALYZE_HUGE_PAGES === '0') return false;
  // Already set (by the user, or this is the child): run here.
  const tunables = env.GLIBC_TUNABLES ?? '';
  if (tunables.includes('glibc.malloc.hugetlb')) return false;
  if (tunables.includes('glibc.malloc.arena_max') && !wantsHugePages(env)) return false;
  return inputBytes(args, TUNED_CHILD_ABOVE_BYTES) >= TUNED_CHILD_ABOVE_BYTES;
}

/** Huge pages in the child: asked for (RMT_ANALYZE_HUGE_PAGES=1), and given on request (madvise). */
export function wantsHugePages(env: NodeJS.ProcessEnv): boolean {
  return env.RMT_ANALYZE_HUGE_PAGES === '1' && onRequestOnly();
}

/** The kernel gives transparent huge pages to memory that asks (madvise), and only to it. */
function onRequestOnly(): boolean {
  try {
    return readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8').includes('[madvise]');
  } catch {
    return false;
  }
}

/**
 * Bytes of the regular files among the arguments, and of the regular files directly inside
 * the directories among them (a sharded checkpoint's folder). Anything else (options, their
 * values, paths that do not exist) counts nothing: the CLI itself reports on those.
 */
function inputBytes(args: readonly string[], enough: number): number {
  let total = 0;
  for (const arg of args) {
    if (arg.startsWith('-')) continue;
    try {
      const stat = statSync(arg, { throwIfNoEntry: false });
      if (stat?.isFile()) total += stat.size;
      else if (stat?.isDirectory())
        for (const entry of readdirSync(arg, { withFileTypes: true }).slice(0, 10_000))
          if (entry.isFile()) total += statSync(join(arg, entry.name), { throwIfNoEntry: false })?.size ?? 0;
    } catch {
      // Unreadable: the CLI itself says so.
    }
    if (total >= enough) break;
  }
  return total;
}
