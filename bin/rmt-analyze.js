#!/usr/bin/env node
// Large inputs are analysed in a child process with huge pages (src/launch.ts); its exit
// status, or the signal that ended it, becomes this process's own.
import { runWithHugePages } from '../dist/launch.js';

const child = await runWithHugePages(process.argv);
if (child === undefined) {
  const { run } = await import('../dist/cli.js');
  await run();
} else if (child.signal !== null) {
  process.kill(process.pid, child.signal);
} else {
  process.exitCode = child.code ?? 2;
}
