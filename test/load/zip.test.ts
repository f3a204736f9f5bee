/**
 * The zip reader (src/load/zip.ts): a PyTorch-written archive read entry by entry, deflated
 * and ZIP64 archives built here, and hostile archives (overlaps, offsets past the end, lying
 * sizes, duplicate names, encryption, bad signatures, truncation) refused with FormatError.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeZip, type ZipInput } from '../../scripts/fixtures/zip-writer.js';
import { FormatError } from '../../src/errors.js';
import { FileSource } from '../../src/load/file.js';
import { ZipArchive } from '../../src/load/zip.js';
import { FIXTURES } from '../helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'rmt-zip-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** Opens `bytes` as a zip archive, runs `use` on it, closes it. */
async function withZip<T>(bytes: Uint8Array, use: (z: ZipArchive) => Promise<T>): Promise<T> {
  const path = join(tmp, `z${n++}.zip`);
  writeFileSync(path, bytes);
  const source = await FileSource.open(path);
  try {
    return await use(await ZipArchive.open(source));
  } finally {
    await source.close();
  }
}

/** The FormatError message of reading every entry of `bytes` (undefined when all read). */
async function failure(bytes: Uint8Array): Promise<string | undefined> {
  try {
    await withZip(bytes, async (z) => {
      for (const e of z.entries.values()) await z.readEntry(e);
    });
    return undefined;
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    return e.message;
  }
}

const text = (s: string) => new Uint8Array(Buffer.from(s));
const ENTRIES: ZipInput[] = [
  { name: 'm/data.pkl', data: text('\x80\x02}q\x00.') },
  { name: 'm/data/0', data: new Uint8Array(Float32Array.from([1, 2, 3, 4]).buffer) },
  { name: 'm/code/x.py', data: text('def f(): pass\n'.repeat(20)), deflate: true },
];

describe('zip archives that are well formed', () => {
  it('reads a torch.save archive: stored, 64-byte aligned entries', async () => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'pytorch', 'views.pt')));
    await withZip(bytes, async (z) => {
      expect([...z.entries.keys()].sort()).toEqual([
        'views/data.pkl',
        'views/data/0',
        'views/data/1',
        'views/data/2',
        'views/data/3',
        'views/version',
      ]);
      const pkl = z.get('views/data.pkl')!;
      expect(pkl.method).toBe(0);
      expect((await z.dataOffset(pkl)) % 64).toBe(0);
      const data = await z.readEntry(pkl);
      expect(data.length).toBe(pkl.size);
      expect([data[0], data[1], data[data.length - 1]]).toEqual([0x80, 0x02, 0x2e]);
      expect(new TextDecoder().decode(await z.readEntry(z.get('views/version')!))).toBe('3\n');
    });
  });

  it('reads stored and deflated entries, with and without ZIP64 records', async () => {
    for (const zip64 of [false, true]) {
      const { bytes } = encodeZip(ENTRIES, { align: 64, zip64 });
      await withZip(bytes, async (z) => {
        expect(z.entries.size).toBe(3);
        for (const e of ENTRIES) expect(Array.from(await z.readEntry(z.get(e.name)!))).toEqual(Array.from(e.data));
        expect(z.get('m/code/x.py')!.method).toBe(8);
        const stored = z.get('m/data/0')!;
        expect(stored.size).toBe(16);
        expect((await z.dataOffset(stored)) % 64).toBe(0);
      });
    }
  });

  it('finds the end record behind an archive comment', async () => {
    const { bytes } = encodeZip(ENTRIES);
    const comment = text('a comment that holds PK\x05\x06 inside it');
    const out = new Uint8Array(bytes.length + comment.length);
    out.set(bytes);
    out.set(comment, bytes.length);
    new DataView(out.buffer).setUint16(bytes.length - 2, comment.length, true);
    expect(await failure(out)).toBeUndefined();
  });
});

/** `encodeZip(ENTRIES)` damaged by `edit` (a DataView over the bytes and the layout). */
function damaged(edit: (v: DataView, l: ReturnType<typeof encodeZip>) => void, zip64 = false): Uint8Array {
  const layout = encodeZip(ENTRIES, { zip64 });
  const bytes = new Uint8Array(layout.bytes);
  edit(new DataView(bytes.buffer), { ...layout, bytes });
  return bytes;
}

describe('hostile zip archives are refused with a FormatError', () => {
  it.each([
    [
      'two entries at one offset (overlap)',
      (v: DataView, l: ReturnType<typeof encodeZip>) => v.setUint32(l.centralOffsets[1]! + 42, 0, true),
      /overlaps/,
    ],
    [
      'an entry whose sizes run into the next one',
      (v: DataView, l: ReturnType<typeof encodeZip>) => {
        v.setUint32(l.centralOffsets[0]! + 20, 500, true);
        v.setUint32(l.centralOffsets[0]! + 24, 500, true);
      },
      /overlaps/,
    ],
    [
      'a local header offset past the end of the file',
      (v: DataView, l: ReturnType<typeof encodeZip>) => v.setUint32(l.centralOffsets[2]! + 42, 1 << 30, true),
      /overlaps the central directory/,
    ],
    [
      'a central directory past the end of the file',
      (v: DataView, l: ReturnType<typeof encodeZip>) => v.setUint32(l.eocdOffset + 16, 1 << 30, true),
      /central directory runs past/,
    ],
    [
      'a stored entry whose two sizes disagree',
      (v: DataView, l: ReturnType<typeof encodeZip>) => v.setUint32(l.centralOffsets[1]! + 24, 8, true),
      /sizes disagree/,
    ],
    [
      'a deflated entry that inflates to more than it declares',
      (v: DataView, l: ReturnType<typeof encodeZip>) => {
        v.setUint32(l.centralOffsets[2]! + 24, 10, true);
        v.setUint32(l.localOffsets[2]! + 22, 10, true);
      },
      /larger than its declared|inflates to/,
    ],
    [
      'a deflated entry that inflates to less than it declares',
      (v: DataView, l: ReturnType<typeof encodeZip>) => {
        v.setUint32(l.centralOffsets[2]! + 24, 100_000, true);
        v.setUint32(l.localOffsets[2]! + 22, 100_000, true);
      },
      /inflates to|corrupt/,
    ],
    [
      'local sizes that disagree with the central directory',
      (v: DataView, l: ReturnType<typeof encodeZip>) => v.setUint32(l.localOffsets[1]! + 22, 12, true),
      /disagree on its sizes/,
    ],
    [
      'an encrypted entry',
      (v: DataView, l: ReturnType<typeof encodeZip>) => v.setUint16(l.centralOffsets[0]! + 8, 1, true),
      /encrypted/,
    ],
    [
      'a bad central directory signature',
      (v: DataView, l: ReturnType<typeof encodeZip>) => v.setUint32(l.centralOffsets[1]!, 0x12345678, true),
      /bad signature/,
    ],
    [
      'a bad local header signature',
      (v: DataView, l: ReturnType<typeof encodeZip>) => v.setUint32(l.localOffsets[1]!, 0x12345678, true),
      /bad local header signature/,
    ],
    [
      'a local header naming another file',
      (v: DataView, l: ReturnType<typeof encodeZip>) => v.setUint8(l.localOffsets[0]! + 30, 0x78),
      /local header names another file/,
    ],
    [
      'a local extra field that pushes the data into the next entry',
      (v: DataView, l: ReturnType<typeof encodeZip>) => v.setUint16(l.localOffsets[1]! + 28, 4000, true),
      /runs into the next entry|overlaps the next/,
    ],
    [
      'an unknown compression method',
      (v: DataView, l: ReturnType<typeof encodeZip>) => {
        v.setUint16(l.centralOffsets[2]! + 10, 12, true);
        v.setUint16(l.localOffsets[2]! + 8, 12, true);
      },
      /compression method 12/,
    ],
    [
      'an entry count larger than the central directory',
      (v: DataView, l: ReturnType<typeof encodeZip>) => {
        v.setUint16(l.eocdOffset + 8, 60000, true);
        v.setUint16(l.eocdOffset + 10, 60000, true);
      },
      /cannot hold 60000 entries/,
    ],
  ])('%s', async (_label, edit, cause) => {
    expect(await failure(damaged(edit))).toMatch(cause);
  });

  it('a name written twice', async () => {
    const { bytes } = encodeZip([ENTRIES[0]!, { ...ENTRIES[1]!, name: ENTRIES[0]!.name }]);
    expect(await failure(bytes)).toMatch(/names 'm\/data.pkl' twice/);
  });

  it('ZIP64: an entry count above the cap, a record out of place, a missing extra field', async () => {
    const count = damaged((v, l) => {
      const record = l.eocdOffset - 20 - 56;
      v.setBigUint64(record + 24, 1n << 40n, true);
      v.setBigUint64(record + 32, 1n << 40n, true);
    }, true);
    expect(await failure(count)).toMatch(/entries, above the cap/);
    const misplaced = damaged((v, l) => v.setBigUint64(l.eocdOffset - 20 + 8, 1n << 50n, true), true);
    expect(await failure(misplaced)).toMatch(/ZIP64 end record offset/);
    const noExtra = damaged((v, l) => v.setUint16(l.centralOffsets[0]! + 46 + 10, 7, true), true);
    expect(await failure(noExtra)).toMatch(/ZIP64 extra field/);
    const huge = damaged((v, l) => v.setBigUint64(l.centralOffsets[1]! + 46 + 8 + 4, 1n << 60n, true), true);
    expect(await failure(huge)).toMatch(/out of range/);
  });

  it('truncated archives: no end record, or a central directory cut short', async () => {
    const { bytes } = encodeZip(ENTRIES);
    for (const cut of [0, 10, 21, bytes.length - 30, bytes.length - 1]) {
      expect(await failure(bytes.subarray(0, cut)), `cut at ${cut}`).toMatch(/too short|no zip end|truncated/);
    }
  });
});
