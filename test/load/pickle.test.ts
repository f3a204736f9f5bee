/**
 * The unpickler (src/load/pickle/): values written by CPython's own pickler at protocols 0–5
 * and Python 2 style pickles read back exactly as Python 3 loads them (fixtures made by
 * scripts/fixtures/pickles.py, which records what Python made or loaded in expected.json);
 * hostile pickles refused with one-line errors; and a seeded fuzz of the fixtures in which
 * every outcome is a value or a FormatError.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { DEFAULT_LIMITS, unpickle } from '../../src/load/pickle/machine.js';
import {
  childrenOf,
  type PickleValue,
  PickleRefused,
  type UnpickleOptions,
  walkLimited,
} from '../../src/load/pickle/values.js';
import { createRng } from '../../src/random.js';
import { FIXTURES } from '../helpers.js';

const DIR = join(FIXTURES, 'pickle');
const EXPECTED = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as {
  files: Record<string, { value?: unknown; same?: number[][][]; refuses?: string }>;
};
const OPTIONS: UnpickleOptions = { allowCall: (callee) => callee === '__main__.rebuild' };
const load = (bytes: Uint8Array, options = OPTIONS) => unpickle(bytes, options).value;
const file = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));
const bytesOf = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** Differences between a value and its encoding in expected.json (see scripts/fixtures/pickles.py). */
function mismatches(actual: PickleValue, expected: unknown, path: string, ancestors: PickleValue[]): string[] {
  const bad = (why: string) => [`${path || '/'}: ${why}`];
  if (expected === null || typeof expected === 'boolean') {
    return actual === expected ? [] : bad(`${String(actual)} is not ${String(expected)}`);
  }
  const [[tag, body]] = Object.entries(expected as Record<string, any>) as [[string, any]];
  const isNode = actual !== null && typeof actual === 'object';
  const children = (items: unknown[], values: readonly PickleValue[], inner: PickleValue[]) =>
    values.length !== items.length
      ? bad(`${values.length} items, expected ${items.length}`)
      : items.flatMap((e, i) => mismatches(values[i]!, e, `${path}/${i}`, inner));
  const entries = (pairs: [unknown, unknown][], values: [PickleValue, PickleValue][], inner: PickleValue[]) =>
    children(pairs.flat(), values.flat(), inner);
  switch (tag) {
    case 'recursive':
      return actual === ancestors[ancestors.length - body] ? [] : bad(`not the container ${body} levels up`);
    case 'int':
      return (typeof actual === 'number' && Number.isSafeInteger(actual)) || typeof actual === 'bigint'
        ? BigInt(actual) === BigInt(body) && (typeof actual === 'number' || !Number.isSafeInteger(Number(actual)))
          ? []
          : bad(`${actual} is not the int ${body}`)
        : bad(`${String(actual)} is not an int`);
    case 'float': {
      const want = body === 'inf' ? Infinity : body === '-inf' ? -Infinity : Number(body);
      return Object.is(actual, want) ? [] : bad(`${String(actual)} is not the float ${body}`);
    }
    case 'str':
      return actual === body ? [] : bad(`${JSON.stringify(actual)} is not ${JSON.stringify(body)}`);
    case 'bytes':
      return isNode && actual.kind === 'bytes' && Buffer.from(actual.bytes).toString('hex') === body
        ? []
        : bad('bytes differ');
  }
  if (!isNode) return bad(`${String(actual)} is not a ${tag}`);
  const inner = [...ancestors, actual];
  if (tag === 'list' || tag === 'tuple' || tag === 'set') {
    return actual.kind === tag ? children(body, actual.items, inner) : bad(`a ${actual.kind}, not a ${tag}`);
  }
  if (tag === 'dict') {
    if (actual.kind !== 'dict') return bad(`a ${actual.kind}, not a dict`);
    const state = (expected as { state?: unknown }).state;
    return [
      ...entries(body, actual.entries, inner),
      ...(state === undefined
        ? actual.state === undefined
          ? []
          : bad('unexpected state')
        : mismatches(actual.state ?? null, state, `${path}/state`, inner)),
    ];
  }
  if (tag === 'persistent') {
    return actual.kind === 'persistent' ? mismatches(actual.pid, body, `${path}/pid`, inner) : bad('not persistent');
  }
  if (tag === 'call' || tag === 'object') {
    if (actual.kind !== tag) return bad(`a ${actual.kind}, not a ${tag}`);
    const name = actual.kind === 'call' ? actual.callee : `${actual.cls.module}.${actual.cls.name}`;
    const out = name === (body.callee ?? body.cls) ? [] : bad(`${name} is not ${body.callee ?? body.cls}`);
    out.push(...children(body.args, actual.args, inner));
    const optional = (key: 'state' | 'listItems' | 'dictItems' | 'kwargs') => {
      const got = (actual as unknown as Record<string, unknown>)[key];
      if (body[key] === undefined) return got === undefined ? [] : bad(`unexpected ${key}`);
      if (got === undefined) return bad(`no ${key}`);
      if (key === 'listItems') return children(body[key], got as PickleValue[], inner);
      if (key === 'dictItems') return entries(body[key], got as [PickleValue, PickleValue][], inner);
      return mismatches(got as PickleValue, body[key], `${path}/${key}`, inner);
    };
    return [...out, ...optional('state'), ...optional('listItems'), ...optional('dictItems'), ...optional('kwargs')];
  }
  return bad(`unknown tag ${tag}`);
}

const at = (root: PickleValue, path: number[]) => path.reduce((v, i) => childrenOf(v)[i]!, root);

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
}

describe('values written by CPython read back exactly', () => {
  const names = Object.keys(EXPECTED.files).filter((n) => EXPECTED.files[n]!.value !== undefined);

  it('covers protocols 0–5 and the legacy opcodes', () => {
    for (let p = 0; p <= 5; p++) expect(names.filter((n) => n.endsWith(`.p${p}.pkl`)).length).toBeGreaterThan(10);
    expect(names.filter((n) => n.startsWith('legacy-')).length).toBeGreaterThan(10);
  });

  it.each(names)('%s', (name) => {
    const bytes = file(name);
    const { value, end } = unpickle(bytes, OPTIONS);
    expect(end).toBe(bytes.length);
    const entry = EXPECTED.files[name]!;
    expect(mismatches(value, entry.value, '', [])).toEqual([]);
    for (const [a, b] of entry.same ?? []) expect(at(value, a!) === at(value, b!)).toBe(true);
  });

  it('keeps a state_dict OrderedDict and its _metadata attribute (BUILD on a dict)', () => {
    const value = load(file('ordered.p2.pkl'));
    const sd = at(value, [3]);
    expect(sd).toMatchObject({
      kind: 'dict',
      entries: [
        ['layer.weight', expect.anything()],
        ['layer.bias', 0.5],
      ],
    });
    expect((sd as { state?: unknown }).state).toMatchObject({
      kind: 'dict',
      entries: [['_metadata', expect.anything()]],
    });
  });

  it('maps Python 2 names below protocol 3 as Python 3 does (__builtin__, copy_reg)', () => {
    expect(load(bytesOf('c__builtin__\nset\n.'))).toEqual({ kind: 'global', module: 'builtins', name: 'set' });
    expect(load(bytesOf('\x80\x04c__builtin__\nset\n.'))).toEqual({
      kind: 'global',
      module: '__builtin__',
      name: 'set',
    });
  });

  it('returns the offset after STOP, so pickles in a row are read one by one (legacy torch.save)', () => {
    const a = file('ints.p2.pkl');
    const b = file('strings.p4.pkl');
    const both = new Uint8Array([...a, ...b, 1, 2, 3]);
    const first = unpickle(both, OPTIONS);
    expect(first.end).toBe(a.length);
    const second = unpickle(both, OPTIONS, first.end);
    expect(second.end).toBe(a.length + b.length);
    expect(mismatches(second.value, EXPECTED.files['strings.p4.pkl']!.value, '', [])).toEqual([]);
  });

  it('dedupes string keys as a Python dict does, keeping the first place and the last value', () => {
    expect(load(bytesOf("(S'a'\nI1\nS'b'\nI2\nS'a'\nI3\nd."))).toEqual({
      kind: 'dict',
      entries: [
        ['a', 3],
        ['b', 2],
      ],
    });
  });
});

describe('hostile pickles are refused with one line', () => {
  const refusing = Object.entries(EXPECTED.files).filter(([, e]) => e.refuses !== undefined);

  it.each(refusing)('%s', (name, entry) => {
    for (const allowCall of [OPTIONS.allowCall, () => true]) {
      const e = thrown(() => load(file(name), { allowCall }));
      expect(e).toBeInstanceOf(PickleRefused);
      expect(e.message).toBe(`refuses to load: the pickle calls ${entry.refuses}`);
    }
  });

  it('refuses what the allow-list does not name, and a call of a computed value', () => {
    expect(thrown(() => load(file('reduced.p2.pkl'), { allowCall: () => false })).message).toBe(
      'refuses to load: the pickle calls __main__.rebuild',
    );
    expect(thrown(() => load(bytesOf('\x80\x02]](tR.'))).message).toBe('pickle calls a list, not a global, at byte 6');
  });

  it.each([
    ['INST', "(S'echo hi'\nios\nsystem\n.", 'refuses to load: the pickle calls os.system'],
    ['OBJ', "(cos\nsystem\nS'echo hi'\no.", 'refuses to load: the pickle calls os.system'],
    ['NEWOBJ_EX of posix.system', '\x80\x04cposix\nsystem\n)}\x92.', 'refuses to load: the pickle calls posix.system'],
    [
      '_reconstructor of nt.system',
      'ccopy_reg\n_reconstructor\n(cnt\nsystem\nc__builtin__\nobject\nNtR.',
      'refuses to load: the pickle calls nt.system',
    ],
    [
      'STACK_GLOBAL of a number',
      '\x80\x04K\x01\x8c\x01x\x93.',
      'pickle STACK_GLOBAL needs a module and a name that are strings at byte 7',
    ],
    ['EXT1', '\x80\x02\x82\x01.', 'pickle opcode EXT1 (the copyreg extension registry) is not supported at byte 2'],
    [
      'EXT4',
      '\x80\x02\x84\x01\x00\x00\x00.',
      'pickle opcode EXT4 (the copyreg extension registry) is not supported at byte 2',
    ],
    ['NEXT_BUFFER', '\x80\x05\x97.', 'pickle opcode NEXT_BUFFER (an out-of-band buffer) is not supported at byte 2'],
    [
      'READONLY_BUFFER',
      '\x80\x05\x98.',
      'pickle opcode READONLY_BUFFER (an out-of-band buffer) is not supported at byte 2',
    ],
    ['protocol 6', '\x80\x06N.', 'unsupported pickle protocol 6 at byte 0'],
    ['an unknown opcode', '\x80\x02N\xf3.', 'unknown pickle opcode 0xf3 at byte 3'],
    ['an early end', '\x80\x02]', 'pickle ends early at byte 3'],
    ['a pop from an empty stack', '\x80\x02a', 'pickle pops from an empty stack at byte 2'],
    ['a pop across a MARK', 'N(a', 'pickle pops from an empty stack at byte 2'],
    ['POP_MARK without MARK', 'N1.', 'pickle has no MARK to pop at byte 1'],
    ['an undefined memo key', 'h\x07.', 'memo key 7 is not defined at byte 0'],
    ['BUILD on a list', ']}b.', 'pickle BUILD sets the state of a list at byte 2'],
    ['APPEND to a dict', '}Na.', 'pickle appends to a dict at byte 2'],
    ['SETITEM on a tuple', ')NNs.', 'pickle sets items of a tuple at byte 3'],
    ['REDUCE with a list of arguments', 'c__builtin__\nset\n]R.', 'pickle REDUCE arguments are not a tuple at byte 18'],
    ['an unquoted STRING', 'Sabc\n.', 'pickle STRING at byte 0 is not quoted'],
    ['a bad INT', 'I12x\n.', 'pickle INT at byte 0 is not an integer'],
    ['a negative BINSTRING length', 'T\xff\xff\xff\xff.', 'pickle BINSTRING at byte 0 has a negative length'],
    ['invalid UTF-8', 'X\x01\x00\x00\x00\xff.', 'pickle BINUNICODE at byte 0 is not valid UTF-8'],
  ])('%s', (_, text, message) => {
    const e = thrown(() => load(bytesOf(text)));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toBe(message);
  });

  it('refuses a length field past the end before allocating (BINUNICODE8 of 2^60 bytes)', () => {
    const e = thrown(() => load(bytesOf('\x80\x04\x8d\x00\x00\x00\x00\x00\x00\x00\x10abc.')));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toBe('pickle BINUNICODE8 at byte 2 claims 1152921504606846976 bytes, but only 4 are left');
    expect(thrown(() => load(bytesOf('\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\xff.'))).message).toMatch(
      /^pickle BINBYTES8 at byte 2 claims \d+ bytes, but only 1 are left$/,
    );
  });

  it.each([
    ['EMPTY_LIST and APPEND', `\x80\x02${']'.repeat(100_000)}${'a'.repeat(99_999)}.`],
    ['MARK and LIST', `${'('.repeat(100_000)}${'l'.repeat(100_000)}.`],
    ['TUPLE1', `\x80\x02]${'\x85'.repeat(100_000)}.`],
  ])('refuses 100k nested lists (%s)', (_, text) => {
    const e = thrown(() => load(bytesOf(text)));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/^pickle nests deeper than 1000 levels at byte \d+$/);
  });

  it('refuses nesting built top-down through the memo once the value is complete', () => {
    // L0 = []; then each new list Li is put in the memo and appended to L(i-1), which is
    // already inside L(i-2): every container is 1–2 deep when it is built and grown.
    const u32 = (i: number) => String.fromCharCode(i & 0xff, i >> 8, 0, 0);
    let text = '\x80\x02]q\x00';
    for (let i = 1; i <= 1200; i++) text += `]r${u32(i)}j${u32(i - 1)}j${u32(i)}a0`;
    const e = thrown(() => load(bytesOf(`${text}0h\x00.`)));
    expect(e.message).toBe('pickle nests deeper than 1000 levels');
  });

  it('bounds the memo, the stack and the opcodes run', () => {
    const limits = { maxMemo: 1000, maxStack: 1000, maxOps: 10_000 };
    const memoBomb = `\x80\x04N${'\x94'.repeat(1001)}.`;
    expect(thrown(() => load(bytesOf(memoBomb), { ...OPTIONS, limits })).message).toBe(
      'pickle memo holds more than 1000 entries at byte 1003',
    );
    const getBomb = `\x80\x02]q\x00${'h\x00'.repeat(5000)}.`;
    expect(thrown(() => load(bytesOf(getBomb), { ...OPTIONS, limits })).message).toBe(
      'pickle stack holds more than 1000 values at byte 2003',
    );
    const long = `\x80\x02]${'N0'.repeat(6000)}.`;
    expect(thrown(() => load(bytesOf(long), { ...OPTIONS, limits })).message).toBe(
      'pickle runs more than 10000 opcodes at byte 10001',
    );
    expect(DEFAULT_LIMITS.maxDepth).toBe(1000);
  });

  it('walks a billion-laughs value once per object: 2^40 paths, 41 tuples', () => {
    let text = '\x80\x02]q\x00';
    for (let i = 1; i <= 40; i++)
      text += `h${String.fromCharCode(i - 1)}h${String.fromCharCode(i - 1)}\x86q${String.fromCharCode(i)}0`;
    const value = load(bytesOf(`${text}h\x28.`));
    let nodes = 0;
    walkLimited(value, 1000, () => {
      nodes++;
      return true;
    });
    expect(nodes).toBe(41);
  });

  it('fails with a FormatError wherever a fixture is cut (all under 600 bytes: 102 of 111)', () => {
    for (const name of Object.keys(EXPECTED.files)) {
      const bytes = file(name);
      if (bytes.length >= 600) continue;
      for (let cut = 0; cut < bytes.length; cut++) {
        expect(thrown(() => load(bytes.subarray(0, cut)))).toBeInstanceOf(FormatError);
      }
    }
  });
});

describe('walkLimited', () => {
  it('visits each object once through cycles, can skip children, and bounds the depth', () => {
    const value = load(file('recursive.p4.pkl'));
    const seen: [string, number][] = [];
    walkLimited(value, 10, (v, depth) => {
      seen.push([v !== null && typeof v === 'object' ? v.kind : String(v), depth]);
      return true;
    });
    // [r, d] with r = [1, r] and d = {'self': d}.
    expect(seen).toEqual([
      ['list', 0],
      ['list', 1],
      ['1', 2],
      ['dict', 1],
      ['self', 2],
    ]);
    let visits = 0;
    walkLimited(value, 10, () => (visits++, false));
    expect(visits).toBe(1);
    const nested = load(file('nested.p2.pkl'));
    expect(() => walkLimited(nested, 3)).toThrow(new FormatError('pickle nests deeper than 3 levels'));
    expect(() => walkLimited(nested, 4)).not.toThrow();
  });
});

describe('fuzz: mutated fixtures give a value or a FormatError', () => {
  it('5000 seeded mutations (byte flips, truncations, splices) within the op limit', () => {
    const sources = readdirSync(DIR)
      .filter((n) => n.endsWith('.pkl'))
      .sort()
      .map(file);
    const rng = createRng(20261206);
    const pick = <T>(xs: readonly T[]) => xs[rng.nextInt(xs.length)]!;
    const outcomes = { value: 0, formatError: 0 };
    const other: string[] = [];
    const started = performance.now();
    for (let i = 0; i < 5000; i++) {
      let bytes = Uint8Array.from(pick(sources));
      const rounds = 1 + rng.nextInt(3);
      for (let r = 0; r < rounds; r++) {
        const pos = rng.nextInt(bytes.length + 1);
        const kind = rng.nextInt(4);
        if (kind === 0 && bytes.length > 0) bytes[Math.min(pos, bytes.length - 1)] = rng.nextInt(256);
        else if (kind === 1) bytes = bytes.subarray(0, pos);
        else if (kind === 2) {
          const donor = pick(sources);
          const from = rng.nextInt(donor.length);
          const piece = donor.subarray(from, from + 1 + rng.nextInt(16));
          bytes = new Uint8Array([...bytes.subarray(0, pos), ...piece, ...bytes.subarray(pos)]);
        } else bytes = new Uint8Array([...bytes.subarray(0, pos), ...bytes.subarray(pos + 1 + rng.nextInt(8))]);
      }
      try {
        unpickle(bytes, { allowCall: () => rng.next() < 0.5, limits: { maxOps: 100_000 } });
        outcomes.value++;
      } catch (e) {
        if (e instanceof FormatError) outcomes.formatError++;
        else other.push(`${(e as Error).name}: ${(e as Error).message} on ${Buffer.from(bytes).toString('hex')}`);
      }
    }
    expect(other).toEqual([]);
    expect(outcomes.value).toBeGreaterThan(100);
    expect(outcomes.formatError).toBeGreaterThan(100);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
