// Fuzz worker: runs the built CLI in-process on the case files the parent wrote, one case
// per message, and reports exit code, output, time and peak RSS.
import { Writable } from 'node:stream';
import { main } from '../../dist/cli.js';

const sink = () => {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      if (text.length < 1 << 20) text += String(chunk);
      cb();
    },
  });
  return { stream, text: () => text };
};

process.on('message', async (msg) => {
  const out = sink();
  const err = sink();
  const started = performance.now();
  let code;
  try {
    code = await main(['node', 'rmt-analyze', ...msg.args], { stdout: out.stream, stderr: err.stream, env: {} });
  } catch (e) {
    code = 'threw';
    err.stream.write(String(e?.stack ?? e));
  }
  process.send({
    id: msg.id,
    code,
    stdout: out.text(),
    stderr: err.text(),
    ms: performance.now() - started,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  });
});
process.send({ ready: true });
