#!/usr/bin/env node
// Large inputs are analysed in a child process with tuned malloc settings (src/launch.ts);
// its exit status, or the signal that ended it, becomes this process's own. A run that will need
// spectrum workers starts them before loading the CLI (src/spectrum/spawn.ts). The CLI is
// run from its bundle (scripts/bundle-cli.mjs), which loads several times faster.
import { availableParallelism } from 'node:os';
import { prestartPreloads, runInTunedChild, workersToPrestart } from '../dist/launch.js';

const child = await runInTunedChild(process.argv);
if (child === undefined) {
  const workers = workersToPrestart(process.argv.slice(2), availableParallelism());
  const spawn = workers > 0 ? await import('../dist/bundle/spawn.js') : undefined;
  spawn?.prestartWorkers(workers, prestartPreloads(process.argv.slice(2)));
  try {
    const { run } = await import('../dist/bundle/cli.js');
    await run();
  } finally {
    // Workers the run did not use are closed, not left to the exit (src/spectrum/spawn.ts).
    await spawn?.releasePrestarted();
  }
} else if (child.signal !== null) {
  process.kill(process.pid, child.signal);
} else {
  process.exitCode = child.code ?? 2;
}
