#!/usr/bin/env node
// Large inputs are analysed in a child process with huge pages (src/launch.ts); its exit
// status, or the signal that ended it, becomes this process's own. A run that will need
// spectrum workers starts them before loading the CLI (src/spectrum/spawn.ts).
import { availableParallelism } from 'node:os';
import { runWithHugePages, workersToPrestart } from '../dist/launch.js';

const child = await runWithHugePages(process.argv);
if (child === undefined) {
  const workers = workersToPrestart(process.argv.slice(2), availableParallelism());
  if (workers > 0) (await import('../dist/spectrum/spawn.js')).prestartWorkers(workers);
  const { run } = await import('../dist/cli.js');
  await run();
} else if (child.signal !== null) {
  process.kill(process.pid, child.signal);
} else {
  process.exitCode = child.code ?? 2;
}
