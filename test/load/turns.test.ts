/**
 * src/load/turns.ts: a tensor that comes in one read is widened (and dealt) with a turn of
 * the event loop every TURN_ELEMENTS values, so that the main thread answers its workers
 * meanwhile; readChunks awaits a take that returns a promise before reusing its buffer. The
 * values are those of a read without turns, bit for bit.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readWidenedDealt } from '../../src/load/dealt.js';
import { readWidened } from '../../src/load/dtype.js';
import { FileSource } from '../../src/load/file.js';
import { nextTurn, TURN_ELEMENTS, Turns } from '../../src/load/turns.js';
import { Rng } from '../generators/rng.js';

const dir = mkdtempSync(join(tmpdir(), 'rmt-turns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 9 × 65,536 float32 values: one read, nine TURN_ELEMENTS' worth.
const count = 9 * 65536;
const rng = new Rng(5);
const values = Float32Array.from({ length: count }, () => rng.normal());
const path = join(dir, 'w.bin');
writeFileSync(path, new Uint8Array(values.buffer));

/**
 * Runs `work` beside a ticker that counts turns of the event loop; `mark()` (called by the
 * work's per-piece hook) records the count at that moment. Pieces widened in one synchronous
 * stretch all see one count; a turn between them shows as a new one.
 */
async function withTicker<T>(work: (mark: () => void) => Promise<T>): Promise<{ result: T; counts: Set<number> }> {
  let ticks = 0;
  let done = false;
  const tick = () => {
    if (done) return;
    ticks++;
    setImmediate(tick);
  };
  setImmediate(tick);
  const counts = new Set<number>();
  const result = await work(() => counts.add(ticks));
  done = true;
  return { result, counts };
}

/** Runs `use` on the file opened as a FileSource, closed afterwards however `use` ends. */
async function onSource<T>(use: (source: FileSource) => Promise<T>): Promise<T> {
  const source = await FileSource.open(path);
  try {
    return await use(source);
  } finally {
    await source.close();
  }
}

describe('turns of the event loop during a long read', () => {
  it('Turns.after: a turn after every TURN_ELEMENTS values, counted across calls', async () => {
    const t = new Turns();
    const due: number[] = [];
    for (let i = 1; i <= 20; i++) if (t.after(16384)) due.push(i);
    expect(TURN_ELEMENTS).toBe(65536);
    expect(due).toEqual([4, 8, 12, 16, 20]);
    await nextTurn();
  });

  it('readWidened: the values bit for bit, with a turn per TURN_ELEMENTS of them', async () => {
    // A piece hook that changes nothing, to see each piece as it is widened.
    const { result, counts } = await onSource((source) =>
      withTicker((mark) => readWidened(source, 0, 'F32', count, 'w', undefined, () => mark())),
    );
    expect(Array.from(result)).toEqual(Array.from(values));
    // The pieces of the one chunk were widened over nine turns, not in one stretch.
    expect(counts.size).toBeGreaterThanOrEqual(count / TURN_ELEMENTS);
  });

  it('readWidenedDealt: each dealt array bit for bit, with a turn per TURN_ELEMENTS values', async () => {
    const { result, counts } = await onSource((source) =>
      withTicker((mark) =>
        readWidenedDealt(source, 0, 'F32', count, 9, 'w', { stretch: () => mark(), picked: () => {} }),
      ),
    );
    expect(result).toHaveLength(9);
    for (let p = 0; p < 9; p++) {
      const want = Float64Array.from({ length: count / 9 }, (_, k) => values[k * 9 + p]!);
      expect(Array.from(result[p]!), `position ${p}`).toEqual(Array.from(want));
    }
    expect(counts.size).toBeGreaterThanOrEqual(count / TURN_ELEMENTS);
  });

  it('readChunks awaits a take that returns a promise before handing over the next chunk', async () => {
    const seen: number[] = [];
    let inTake = false;
    await onSource((source) =>
      source.readChunks(
        0,
        count * 4,
        'w',
        async (chunk, at) => {
          expect(inTake).toBe(false);
          inTake = true;
          const first = chunk[0];
          await nextTurn();
          await nextTurn();
          // The buffer was not refilled under the take while it waited.
          expect(chunk[0]).toBe(first);
          seen.push(at);
          inTake = false;
        },
        65536,
      ),
    );
    expect(seen).toEqual(Array.from({ length: (count * 4) / 65536 }, (_, i) => i * 65536));
  });
});
