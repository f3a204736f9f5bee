/**
 * onnxruntime-node's usage telemetry, kept off. Its native library (1.30, Linux) records
 * events in a SQLite database under ~/.cache/Microsoft/DeveloperTools/.onnxruntime/ with a
 * device id, for upload when it can, and leaves an empty /tmp/mat-debug-<pid>.log per process.
 * rmt-analyze reads model weights and promises no network at run time: nothing it runs should
 * keep a record of the user's runs. The library skips all of it when ORT_DISABLE_TELEMETRY is
 * set in the process environment (it also saved ~40 ms at exit, flushing the database).
 *
 * The variable must be in the C environment that the library reads with getenv: a worker's
 * process.env is a copy of its own, so it is set on the main thread before any worker starts
 * (spawn.ts) and before onnxruntime loads there (ort.ts). A value the user set is kept.
 */
import { isMainThread } from 'node:worker_threads';

export function keepOrtTelemetryOff(): void {
  if (isMainThread) process.env.ORT_DISABLE_TELEMETRY ??= '1';
}
