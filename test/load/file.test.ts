/**
 * src/load/file.ts readChunks: a range read in chunks, the next one read while the current
 * one is taken, hands every byte over exactly once and in order, with each chunk's position;
 * a take that throws ends the read with its error (and no stray rejection from the read
 * already under way); a file cut short while being read is a FormatError naming it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSource } from '../../src/load/file.js';
import { FormatError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'rmt-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7919) % 251);
const path = join(dir, 'data.bin');
writeFileSync(path, bytes);

describe('readChunks', () => {
  for (const [chunk, offset, length] of [
    [1024, 0, 10_000],
    [1024, 13, 9_000],
    [4096, 100, 8_192],
    [16, 5, 16],
    [20_000, 0, 10_000],
  ] as const) {
    it(`chunks of ${chunk} over [${offset}, ${offset + length}): every byte once, in order`, async () => {
      const source = await FileSource.open(path);
      try {
        const got = new Uint8Array(length);
        const positions: number[] = [];
        await source.readChunks(
          offset,
          length,
          'data',
          (c, at) => {
            positions.push(at);
            got.set(c, at);
          },
          chunk,
        );
        expect(positions).toEqual(Array.from({ length: Math.ceil(length / chunk) }, (_, i) => i * chunk));
        expect(Buffer.from(got).equals(Buffer.from(bytes.subarray(offset, offset + length)))).toBe(true);
      } finally {
        await source.close();
      }
    });
  }

  it('a take that throws ends the read with its error, and nothing rejects later', async () => {
    const source = await FileSource.open(path);
    const stray: unknown[] = [];
    const onStray = (e: unknown) => stray.push(e);
    process.on('unhandledRejection', onStray);
    try {
      let calls = 0;
      const read = source.readChunks(
        0,
        10_000,
        'data',
        () => {
          if (++calls === 2) throw new FormatError('bad chunk');
        },
        1000,
      );
      await expect(read).rejects.toThrow('bad chunk');
      expect(calls).toBe(2);
      await source.close();
      await new Promise((r) => setTimeout(r, 50));
      expect(stray).toEqual([]);
    } finally {
      process.off('unhandledRejection', onStray);
    }
  });

  it('a file cut short while being read: a FormatError naming what was read', async () => {
    const cut = join(dir, 'cut.bin');
    writeFileSync(cut, bytes);
    const source = await FileSource.open(cut);
    try {
      let calls = 0;
      const read = source.readChunks(
        0,
        10_000,
        "tensor 'w'",
        () => {
          if (++calls === 1) truncateSync(cut, 2500);
        },
        1000,
      );
      await expect(read).rejects.toThrow(/tensor 'w' ends early/);
    } finally {
      await source.close();
    }
  });
});
