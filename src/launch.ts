/**
 * Whether the command line runs in this process or again in a child with huge pages
 * (issue 14: whole-model throughput). Imported by bin/rmt-analyze.js before the CLI itself,
 * so it loads nothing but node:fs and node:child_process.
 *
 * Why: the pipeline widens every tensor into fresh float64 arrays, and on Linux the first
 * touch of fresh memory costs a page fault per 4 KiB (~3 ns/byte measured here, bench/README
 * "Fresh memory"): 3.0–3.7 s of CPU for a GPT-2-sized checkpoint, a third of the run. numpy
 * avoids it by asking for transparent huge pages with madvise(MADV_HUGEPAGE); V8's array
 * buffers come from glibc's malloc, which does the same only when started with the tunable
 * `glibc.malloc.hugetlb=1` (glibc ≥ 2.35, read once at process start — hence a child
 * process, as node has no exec). Where the kernel gives transparent huge pages only on
 * request (`[madvise]`, Debian's default) and the input is large, the CLI re-runs itself
 * with that tunable; a second node start costs ~0.1 s, so small inputs stay in-process.
 * Elsewhere (other systems, musl, THP `always` or `never`, RMT_ANALYZE_HUGE_PAGES=0) nothing
 * changes. The child inherits the terminal, so output, exit status and signals are its own.
 *
 * The child also gets one malloc arena (`glibc.malloc.arena_max=1`, unless the user set it):
 * with huge pages each thread's arena (main, workers, onnxruntime's) holds its own partly
 * used 2 MiB pages, and buffers widened on one thread are freed on another. On ISNet one
 * arena took the peak RSS from 349–398 to 329–350 MiB, ISNet uint8 from 414–439 to 379–395
 * (its budget 408), the GPT-2 shape from 522–539 to 505–525, at the same speed
 * (bench/README.md "One malloc arena").
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Inputs (files named on the command line) at least this large are analysed with huge pages.
 * The file's size understates what is widened: 2× its bytes in float64 for float32 weights,
 * 4× for float16, 8× for uint8. At 32 MiB a float32 file (64 MiB widened) runs as fast in the
 * child as here, and ISNet uint8 (44 MB, 352 MB widened) went 4.25 → 4.03 s, 6.98 → 6.52 s of
 * CPU (medians of three; at 64 MiB it stayed in-process).
 */
export const HUGE_PAGES_ABOVE_BYTES = 32 * 1024 * 1024;

/** The child's GLIBC_TUNABLES: the user's, then huge pages and (unless the user chose) one arena. */
export function childTunables(existing: string | undefined): string {
  const ours = ['glibc.malloc.hugetlb=1'];
  if (!existing?.includes('glibc.malloc.arena_max')) ours.push('glibc.malloc.arena_max=1');
  return [...(existing ? [existing] : []), ...ours].join(':');
}

/** How the re-run child ended: its exit code, or the signal that ended it. */
export interface ChildOutcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Re-runs `argv` (process.argv: node, script, arguments) in a child with huge pages when
 * that pays, and resolves with how it ended; resolves undefined when the caller should run
 * the command itself (nothing to gain, or the child could not be started).
 */
export function runWithHugePages(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ChildOutcome | undefined> {
  if (!wantsHugePages(argv.slice(2), env)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, ...argv.slice(1)], {
      stdio: 'inherit',
      env: { ...env, GLIBC_TUNABLES: childTunables(env.GLIBC_TUNABLES) },
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

/** Whether this run should move to a child with huge pages (see the header). */
export function wantsHugePages(args: readonly string[], env: NodeJS.ProcessEnv): boolean {
  if (process.platform !== 'linux' || env.RMT_ANALYZE_HUGE_PAGES === '0') return false;
  // Already set (by the user, or this is the child): run here.
  if (env.GLIBC_TUNABLES?.includes('glibc.malloc.hugetlb')) return false;
  if (!onRequestOnly()) return false;
  return inputBytes(args, HUGE_PAGES_ABOVE_BYTES) >= HUGE_PAGES_ABOVE_BYTES;
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
