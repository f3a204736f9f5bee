/**
 * PyTorch-aware fuzz edits. Zip checkpoints: lying sizes and offsets in the central
 * directory and end record, entries re-packed (deflated storages, ZIP64, a storage cut
 * short, a damaged data.pkl) and hostile pickles in place of data.pkl. Legacy streams:
 * damaged storage counts after the pickles, and whole hostile streams. The hostile pickles
 * call what must be refused (os.system, eval, Popen), view past their storage, nest deeply,
 * declare impossible sizes, or name tensors with terminal and workflow-command text.
 */
import { inflateRawSync } from 'node:zlib';
import { f32Bytes, legacyTensor, type Py, tensorV2, torchLegacy, encodePickle } from '../fixtures/pickle-writer.js';
import { encodeZip, type ZipInput } from '../fixtures/zip-writer.js';
import { unpickle } from '../../src/load/pickle/machine.js';
import { HOSTILE_NAMES, int, mutateBytes, nastyInt, pick, type Mutation, type Rng } from './mutate.js';

/** The end record's offset, or -1 (the fixtures have no comment; a mutated file may have none). */
function eocdAt(b: Uint8Array): number {
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 0xffff); i--) {
    if (b[i] === 0x50 && b[i + 1] === 0x4b && b[i + 2] === 0x05 && b[i + 3] === 0x06) return i;
  }
  return -1;
}

/** Central directory header offsets (as the end record says; trusting it, since mutations may lie). */
function centralHeaders(b: Uint8Array, v: DataView, eocd: number): number[] {
  const out: number[] = [];
  let at = v.getUint32(eocd + 16, true);
  for (let i = 0; i < v.getUint16(eocd + 10, true) && at + 46 <= b.length; i++) {
    if (v.getUint32(at, true) !== 0x02014b50) break;
    out.push(at);
    at += 46 + v.getUint16(at + 28, true) + v.getUint16(at + 30, true) + v.getUint16(at + 32, true);
  }
  return out;
}

/** The entries of a well-formed archive (stored or deflated), or undefined when it is not one. */
function entriesOf(b: Uint8Array): ZipInput[] | undefined {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const eocd = eocdAt(b);
  if (eocd < 0) return undefined;
  const out: ZipInput[] = [];
  try {
    for (const c of centralHeaders(b, v, eocd)) {
      const name = Buffer.from(b.subarray(c + 46, c + 46 + v.getUint16(c + 28, true))).toString('utf8');
      const local = v.getUint32(c + 42, true);
      const start = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
      const raw = b.subarray(start, start + v.getUint32(c + 20, true));
      const method = v.getUint16(c + 10, true);
      out.push({ name, data: method === 8 ? new Uint8Array(inflateRawSync(raw)) : new Uint8Array(raw) });
    }
  } catch {
    return undefined;
  }
  return out.length > 0 ? out : undefined;
}

const isPickled = (root: Py | { pickled: Uint8Array }): root is { pickled: Uint8Array } =>
  typeof root === 'object' && root !== null && 'pickled' in root;
const pickled = (root: Py | { pickled: Uint8Array }): Uint8Array =>
  isPickled(root) ? root.pickled : encodePickle(root);

/** A 3×4 float matrix (values 1…12) in storage '0'. */
const STORAGE = f32Bytes(Array.from({ length: 12 }, (_, i) => i + 1));

/** A hostile or odd pickle root, and the storages it refers to (key '0', 12 floats). */
function hostileRoot(r: Rng, legacy: boolean): { name: string; root: Py | { pickled: Uint8Array } } {
  const t = (type: string, numel: number, offset: number, size: number[], stride: number[]) =>
    legacy ? legacyTensor(type, '0', numel, offset, size, stride) : tensorV2(type, '0', numel, offset, size, stride);
  const kind = pick(r, ['call', 'view', 'shape', 'numel', 'deep', 'many', 'names', 'type', 'odd'] as const);
  switch (kind) {
    case 'call': {
      const callee = pick(r, [
        ['posix', 'system'],
        ['builtins', 'eval'],
        ['subprocess', 'Popen'],
        ['builtins', 'getattr'],
        ['torch', 'load'],
        ['numpy', 'load'],
      ] as const);
      return { name: `pt-call-${callee.join('.')}`, root: { dict: [['w', { call: callee, args: ['echo fuzz'] }]] } };
    }
    case 'view': {
      const size = [nastyInt(r, 3), nastyInt(r, 4)];
      const stride = [nastyInt(r, 4), pick(r, [0, 1, nastyInt(r, 1)])];
      return { name: 'pt-view', root: { dict: [['w', t('FloatStorage', 12, nastyInt(r, 2), size, stride)]] } };
    }
    case 'shape': {
      const rank = int(r, 0, 20);
      const size = Array.from({ length: rank }, () => pick(r, [1, 2, 3, nastyInt(r, 3)]));
      return {
        name: `pt-shape-rank${rank}`,
        root: {
          dict: [
            [
              'w',
              t(
                'FloatStorage',
                12,
                0,
                size,
                size.map(() => 1),
              ),
            ],
          ],
        },
      };
    }
    case 'numel':
      return { name: 'pt-numel', root: { dict: [['w', t('FloatStorage', nastyInt(r, 12), 0, [3, 4], [4, 1])]] } };
    case 'deep': {
      // Written as bytes: a recursive writer would overflow the stack at these depths.
      const depth = pick(r, [100, 999, 1001, 5000, 100_000]);
      const inner = encodePickle(t('FloatStorage', 12, 0, [3, 4], [4, 1]));
      const bytes = new Uint8Array(2 + 2 * depth + inner.length - 3 + depth + 1);
      bytes.set([0x80, 0x02]);
      for (let i = 0; i < depth; i++) bytes.set([0x5d, 0x28], 2 + 2 * i);
      bytes.set(inner.subarray(2, inner.length - 1), 2 + 2 * depth);
      bytes.fill(0x65, bytes.length - 1 - depth, bytes.length - 1);
      bytes[bytes.length - 1] = 0x2e;
      return { name: `pt-deep-${depth}`, root: { pickled: bytes } };
    }
    case 'many': {
      const n = pick(r, [100, 2000]);
      const entries = Array.from({ length: n }, (_, i): [Py, Py] => [
        `w${i}`,
        t('FloatStorage', 12, 0, [3, 4], [4, 1]),
      ]);
      return { name: `pt-many-${n}`, root: { dict: entries } };
    }
    case 'names': {
      const entries = HOSTILE_NAMES.map((n): [Py, Py] => [n, t('FloatStorage', 12, 0, [3, 4], [4, 1])]);
      return {
        name: 'pt-hostile-names',
        root: { obj: ['__main__', pick(r, HOSTILE_NAMES)], state: { dict: entries } },
      };
    }
    case 'type': {
      const type = pick(r, ['HalfStorage', 'UntypedStorage', 'QInt8Storage', 'EvilStorage', 'LongStorage']);
      return { name: `pt-type-${type}`, root: { dict: [['w', t(type, 12, 0, [3, 4], [4, 1])]] } };
    }
    default: {
      const odd = pick(r, [
        { call: ['torch._utils', '_rebuild_qtensor'], args: [null, 0, { tuple: [3, 4] }] },
        { call: ['torch._utils', '_rebuild_parameter'], args: [5, false, null] },
        { call: ['torch._utils', '_rebuild_tensor_v3'], args: [null, 0] },
        { call: ['torch._utils', '_rebuild_tensor_v2'], args: [{ persistent: { tuple: ['storage'] } }, 0] },
        { call: ['torch', 'Size'], args: [{ tuple: [2n ** 70n] }] },
        { call: ['collections', 'OrderedDict'], args: [{ list: [{ tuple: ['w', 1] }] }] },
        { obj: ['argparse', 'Namespace'], state: { dict: [['lr', 0.1]] } },
      ] as Py[]);
      return {
        name: 'pt-odd',
        root: {
          dict: [
            ['w', t('FloatStorage', 12, 0, [3, 4], [4, 1])],
            ['x', odd],
          ],
        },
      };
    }
  }
}

/** Edits of a torch.save zip archive. */
export function mutatePytorchZip(r: Rng, input: Uint8Array): Mutation {
  const kind = pick(r, ['field', 'field', 'repack', 'repack', 'pickle', 'hostile', 'hostile'] as const);
  const b = new Uint8Array(input);
  const v = new DataView(b.buffer);
  const eocd = eocdAt(b);
  if (kind === 'hostile' || eocd < 0) {
    const { name, root } = hostileRoot(r, false);
    return { name, bytes: encodeZip(archive(root), { align: 64 }).bytes };
  }
  const headers = centralHeaders(b, v, eocd);
  if (kind === 'field' || headers.length === 0) {
    const fields = ['csize', 'size', 'offset', 'method', 'flags', 'count', 'cd-size', 'cd-offset'] as const;
    const field = headers.length > 0 ? pick(r, fields) : pick(r, fields.slice(5));
    const c = headers.length > 0 ? pick(r, headers) : eocd;
    const value = nastyInt(r, 64) >>> 0;
    if (field === 'csize') v.setUint32(c + 20, value, true);
    else if (field === 'size') v.setUint32(c + 24, value, true);
    else if (field === 'offset') v.setUint32(c + 42, value, true);
    else if (field === 'method') v.setUint16(c + 10, pick(r, [8, 9, 12, 99]), true);
    else if (field === 'flags') v.setUint16(c + 8, pick(r, [1, 8, 0x40, 0x800]), true);
    else if (field === 'count') v.setUint16(eocd + 10, value & 0xffff, true);
    else if (field === 'cd-size') v.setUint32(eocd + 12, value, true);
    else v.setUint32(eocd + 16, value, true);
    return { name: `zip-${field}`, bytes: b };
  }
  const entries = entriesOf(b);
  if (entries === undefined) return mutateBytes(r, b, [b]);
  if (kind === 'pickle') {
    const i = entries.findIndex((e) => e.name.endsWith('data.pkl'));
    if (i < 0) return { name: 'zip-no-pkl', bytes: b };
    const damaged = mutateBytes(r, entries[i]!.data, [entries[i]!.data]);
    entries[i] = { ...entries[i]!, data: damaged.bytes };
    return { name: `zip-pkl-${damaged.name}`, bytes: encodeZip(entries, { align: 64 }).bytes };
  }
  const how = pick(r, ['deflate-all', 'deflate-pkl', 'zip64', 'cut-storage', 'drop', 'duplicate'] as const);
  let list = entries.map((e) => ({ ...e }));
  if (how === 'deflate-all') list = list.map((e) => ({ ...e, deflate: true }));
  else if (how === 'deflate-pkl') list = list.map((e) => ({ ...e, deflate: e.name.endsWith('.pkl') }));
  else if (how === 'cut-storage' || how === 'drop') {
    const data = list.filter((e) => /\/data\/[^/]+$/.test(e.name));
    const victim = data.length > 0 ? pick(r, data) : pick(r, list);
    if (how === 'drop') list = list.filter((e) => e !== victim);
    else victim.data = victim.data.subarray(0, int(r, 0, Math.max(0, victim.data.length - 1)));
  } else if (how === 'duplicate') list.push({ ...pick(r, list) });
  return { name: `zip-${how}`, bytes: encodeZip(list, { align: 64, zip64: how === 'zip64' }).bytes };
}

/** data.pkl holding `root`, with storage '0' (12 floats). */
function archive(root: Py | { pickled: Uint8Array }): ZipInput[] {
  return [
    { name: 'archive/data.pkl', data: pickled(root) },
    { name: 'archive/data/0', data: STORAGE },
    { name: 'archive/version', data: new Uint8Array(Buffer.from('3\n')) },
  ];
}

/** A legacy stream whose object pickle is `object` (bytes), with storage '0'. */
function legacyAround(object: Uint8Array, count: number): Uint8Array {
  const plain = torchLegacy({ list: [] }, [['0', count, STORAGE]]);
  const empty = encodePickle({ list: [] });
  const at = picklesEndAfter(plain, 3);
  const out = new Uint8Array(plain.length - empty.length + object.length);
  out.set(plain.subarray(0, at));
  out.set(object, at);
  out.set(plain.subarray(at + empty.length), at + object.length);
  return out;
}

function picklesEndAfter(b: Uint8Array, n: number): number {
  let at = 0;
  for (let i = 0; i < n; i++) at = unpickle(b, { allowCall: () => true }, at).end;
  return at;
}

/** Where the legacy stream's five pickles end (read as data, nothing run), or -1. */
function picklesEnd(b: Uint8Array): number {
  try {
    return picklesEndAfter(b, 5);
  } catch {
    return -1;
  }
}

/** Edits of a legacy torch.save stream. */
export function mutatePytorchLegacy(r: Rng, input: Uint8Array): Mutation {
  const kind = pick(r, ['count', 'count', 'hostile', 'hostile', 'cut'] as const);
  if (kind === 'hostile') {
    const { name, root } = hostileRoot(r, true);
    const count = pick(r, [12, 12, 11, 13, -1, 2 ** 40]);
    const bytes = isPickled(root) ? legacyAround(root.pickled, count) : torchLegacy(root, [['0', count, STORAGE]]);
    return { name: `legacy-${name}-count${count}`, bytes };
  }
  // The storages follow the five pickles: damage a count there (the first, or any 8 bytes after), or cut the stream.
  const b = new Uint8Array(input);
  const end = picklesEnd(b);
  if (kind === 'cut' || end < 0) return { name: 'legacy-cut', bytes: b.subarray(0, int(r, 0, b.length)) };
  const at = Math.min(b.length - 8, end + pick(r, [0, 0, int(r, 0, Math.max(0, b.length - end - 8))]));
  if (at < 0) return { name: 'legacy-short', bytes: b };
  new DataView(b.buffer).setBigInt64(at, BigInt(nastyInt(r, 64)), true);
  return { name: 'legacy-count', bytes: b };
}
