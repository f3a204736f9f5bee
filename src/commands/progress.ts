/** A one-line progress bar on stderr, only on a terminal and only once a run takes > 1 s. */
import type { ProgressEvent } from '../analyze.js';

export interface Progress {
  update(e: ProgressEvent): void;
  clear(): void;
}

export function progressBar(stream: NodeJS.WritableStream & { isTTY?: boolean }, now: () => number = Date.now): Progress | undefined {
  if (stream.isTTY !== true) return undefined;
  const started = now();
  let shown = false;
  return {
    update(e) {
      if (now() - started < 1000) return;
      shown = true;
      const width = 24;
      const filled = Math.round((width * e.done) / Math.max(1, e.total));
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      const name = e.layer.length > 40 ? '…' + e.layer.slice(-39) : e.layer;
      stream.write(`\r\x1b[K${bar} ${e.done}/${e.total} ${name}`);
    },
    clear() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
