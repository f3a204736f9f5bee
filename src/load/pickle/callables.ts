/**
 * What the unpickler does with Python globals: the name fixes Python 3 applies to protocol
 * 0–2 pickles (`Lib/_compat_pickle.py`, the subset that matters here: `__builtin__` is
 * `builtins`, `copy_reg` is `copyreg`), the callables that are always refused (defence in
 * depth, whatever the caller's allow-list says), and the few builtins whose effect is
 * evaluated as data (containers, bytes, `copyreg._reconstructor`), as PyTorch's
 * `torch/_weights_only_unpickler.py` evaluates its own allow-list.
 */
import { FormatError } from '../../errors.js';
import { PickleRefused, type PickleValue, type PyBytes, type PyDict, type PyGlobal, type PyObject } from './values.js';

/** Longest module or name of a global, in characters (real ones are a few dozen). */
export const MAX_GLOBAL_NAME = 4096;

const MODULE_RENAMES: Record<string, string> = {
  __builtin__: 'builtins',
  copy_reg: 'copyreg',
  exceptions: 'builtins',
  commands: 'subprocess',
  thread: '_thread',
  cPickle: 'pickle',
  _abcoll: 'collections.abc',
};

const NAME_RENAMES: Record<string, readonly [string, string]> = {
  '__builtin__.xrange': ['builtins', 'range'],
  '__builtin__.reduce': ['functools', 'reduce'],
  '__builtin__.intern': ['sys', 'intern'],
  '__builtin__.unichr': ['builtins', 'chr'],
  '__builtin__.unicode': ['builtins', 'str'],
  '__builtin__.long': ['builtins', 'int'],
  '__builtin__.basestring': ['builtins', 'str'],
  'UserDict.IterableUserDict': ['collections', 'UserDict'],
  'UserList.UserList': ['collections', 'UserList'],
};

/** The global `module.name` as Python 3 resolves it (`fix_imports` applies below protocol 3). */
export function makeGlobal(module: string, name: string, proto: number): PyGlobal {
  if (module.length > MAX_GLOBAL_NAME || name.length > MAX_GLOBAL_NAME) {
    throw new FormatError(`pickle names a global longer than ${MAX_GLOBAL_NAME} characters`);
  }
  if (proto < 3) {
    const renamed = Object.hasOwn(NAME_RENAMES, `${module}.${name}`) ? NAME_RENAMES[`${module}.${name}`] : undefined;
    if (renamed !== undefined) [module, name] = renamed;
    else if (Object.hasOwn(MODULE_RENAMES, module)) module = MODULE_RENAMES[module]!;
  }
  return { kind: 'global', module, name };
}

export const globalName = (g: PyGlobal): string => `${g.module}.${g.name}`;

/** Modules any of whose members can run code, touch files, processes or the network. */
const DANGEROUS_MODULES = new Set(
  (
    'os posix nt posixpath ntpath subprocess _posixsubprocess importlib imp runpy pty socket _socket ' +
    'shutil sys ctypes _ctypes multiprocessing pickle _pickle marshal code codeop pdb bdb webbrowser ' +
    'asyncio signal io _io pathlib tempfile zipimport pkgutil threading _thread operator _operator ' +
    'sysconfig platform http urllib ftplib smtplib telnetlib xmlrpc glob fileinput linecache shelve dbm ' +
    'sqlite3 gc'
  ).split(' '),
);

const DANGEROUS_NAMES = new Set(
  (
    'builtins.eval builtins.exec builtins.getattr builtins.setattr builtins.delattr builtins.__import__ ' +
    'builtins.compile builtins.open builtins.input builtins.breakpoint builtins.globals builtins.locals ' +
    'builtins.vars builtins.exit builtins.quit builtins.help builtins.memoryview builtins.classmethod ' +
    'builtins.staticmethod builtins.property builtins.super builtins.type types.FunctionType ' +
    'types.CodeType types.LambdaType types.MethodType types.ModuleType types.BuiltinFunctionType ' +
    'functools.partial _functools.partial functools.reduce _functools.reduce copyreg.__newobj__ ' +
    'copyreg.__newobj_ex__ torch.load torch.hub.load numpy.load numpy.lib.npyio.load ' +
    'numpy.testing._private.utils.runstring'
  ).split(' '),
);

/**
 * Path classes of a dangerous module that are plain values: constructing a PurePath or Path
 * from strings touches no file (only its methods do, and a pickle cannot call a method
 * without builtins.getattr, which is refused). Training checkpoints often carry them.
 */
const INERT_IN_DANGEROUS_MODULES = new Set(
  ['Path', 'PosixPath', 'WindowsPath', 'PurePath', 'PurePosixPath', 'PureWindowsPath'].map((c) => `pathlib.${c}`),
);

/** True for a callable no pickle may name as a callee or a class, whatever the allow-list. */
export function isDangerous(g: PyGlobal): boolean {
  const module = g.module === '__builtin__' ? 'builtins' : g.module;
  if (DANGEROUS_NAMES.has(`${module}.${g.name}`)) return true;
  if (INERT_IN_DANGEROUS_MODULES.has(`${module}.${g.name}`)) return false;
  const top = module.split('.')[0]!;
  return DANGEROUS_MODULES.has(module) || DANGEROUS_MODULES.has(top);
}

/** A callee's effect evaluated as data, or undefined when `callee` is not one of these builtins. */
export type Native = (args: readonly PickleValue[], ctx: NativeContext) => PickleValue;

export interface NativeContext {
  /** Counts `n` units of copying work against the opcode budget. */
  charge(n: number): void;
  /** latin-1 bytes of a string, shared between calls on the same string. */
  latin1Bytes(s: string): Uint8Array;
  at: number;
}

const fail = (callee: string, ctx: NativeContext, what: string) =>
  new FormatError(`pickle calls ${callee} at byte ${ctx.at} with ${what}`);

/** Items of an iterable argument: a list, tuple or set; a dict gives its keys (as Python iterates it). */
function iterate(v: PickleValue | undefined, callee: string, ctx: NativeContext): PickleValue[] {
  if (v !== null && typeof v === 'object') {
    if (v.kind === 'list' || v.kind === 'tuple' || v.kind === 'set') {
      ctx.charge(v.items.length);
      return [...v.items];
    }
    if (v.kind === 'dict') {
      ctx.charge(v.entries.length);
      return v.entries.map(([k]) => k);
    }
  }
  throw fail(callee, ctx, 'an argument that is not a list, tuple, set or dict');
}

function makeDict(args: readonly PickleValue[], callee: string, ctx: NativeContext): PyDict {
  if (args.length === 0) return { kind: 'dict', entries: [] };
  const source = args[0]!;
  if (args.length === 1 && source !== null && typeof source === 'object' && source.kind === 'dict') {
    ctx.charge(source.entries.length);
    return { kind: 'dict', entries: source.entries.map(([k, v]) => [k, v]) };
  }
  if (args.length !== 1) throw fail(callee, ctx, `${args.length} arguments`);
  const entries: [PickleValue, PickleValue][] = [];
  for (const pair of iterate(source, callee, ctx)) {
    if (pair === null || typeof pair !== 'object' || (pair.kind !== 'tuple' && pair.kind !== 'list')) {
      throw fail(callee, ctx, 'an item that is not a pair');
    }
    if (pair.items.length !== 2) throw fail(callee, ctx, `an item of ${pair.items.length} values, not a pair`);
    entries.push([pair.items[0]!, pair.items[1]!]);
  }
  return { kind: 'dict', entries };
}

function makeBytes(args: readonly PickleValue[], callee: string, ctx: NativeContext): PyBytes {
  const [source, encoding] = args;
  if (args.length === 0) return { kind: 'bytes', bytes: new Uint8Array(0) };
  if (typeof source === 'string' && args.length === 2 && (encoding === 'latin1' || encoding === 'latin-1')) {
    return { kind: 'bytes', bytes: ctx.latin1Bytes(source) };
  }
  if (args.length === 1 && source !== null && typeof source === 'object' && source.kind === 'bytes') {
    return { kind: 'bytes', bytes: source.bytes };
  }
  if (args.length === 1 && typeof source === 'object' && source !== null) {
    const items = iterate(source, callee, ctx);
    const out = new Uint8Array(items.length);
    items.forEach((b, i) => {
      if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255) {
        throw fail(callee, ctx, 'an item that is not a byte');
      }
      out[i] = b;
    });
    return { kind: 'bytes', bytes: out };
  }
  throw fail(callee, ctx, 'arguments it cannot turn into bytes');
}

/** `_codecs.encode(text, 'latin1')`: how protocol 0–2 pickles store `bytes`. */
function codecsEncode(args: readonly PickleValue[], ctx: NativeContext): PyBytes {
  const [text, encoding] = args;
  if (args.length !== 2 || typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) {
    throw fail('_codecs.encode', ctx, 'arguments other than (str, "latin1")');
  }
  return { kind: 'bytes', bytes: ctx.latin1Bytes(text) };
}

/**
 * `copyreg._reconstructor(cls, base, state)`: how protocols 0 and 1 pickle an instance of a
 * plain class (`object.__new__(cls)`, then BUILD sets its `__dict__`); with another base,
 * `base.__new__(cls, state)`, so the state is kept as the only argument.
 */
function reconstructor(args: readonly PickleValue[], ctx: NativeContext): PyObject {
  const [cls, base, state] = args;
  if (args.length !== 3 || !isGlobal(cls) || !isGlobal(base)) {
    throw fail('copyreg._reconstructor', ctx, 'arguments other than (class, base class, state)');
  }
  if (isDangerous(cls)) throw new PickleRefused(globalName(cls));
  const plain = base.module === 'builtins' && base.name === 'object' && state === null;
  return { kind: 'object', cls, args: plain ? [] : [state!] };
}

export const isGlobal = (v: PickleValue | undefined): v is PyGlobal =>
  v !== null && typeof v === 'object' && v.kind === 'global';

export const NATIVES: ReadonlyMap<string, Native> = new Map<string, Native>([
  ['builtins.dict', (a, c) => makeDict(a, 'builtins.dict', c)],
  ['collections.OrderedDict', (a, c) => makeDict(a, 'collections.OrderedDict', c)],
  ['builtins.set', (a, c) => ({ kind: 'set', items: a.length === 0 ? [] : iterate(a[0], 'builtins.set', c) })],
  [
    'builtins.frozenset',
    (a, c) => ({ kind: 'set', items: a.length === 0 ? [] : iterate(a[0], 'builtins.frozenset', c) }),
  ],
  ['builtins.list', (a, c) => ({ kind: 'list', items: a.length === 0 ? [] : iterate(a[0], 'builtins.list', c) })],
  ['builtins.tuple', (a, c) => ({ kind: 'tuple', items: a.length === 0 ? [] : iterate(a[0], 'builtins.tuple', c) })],
  ['builtins.bytes', (a, c) => makeBytes(a, 'builtins.bytes', c)],
  ['builtins.bytearray', (a, c) => makeBytes(a, 'builtins.bytearray', c)],
  ['_codecs.encode', codecsEncode],
  ['copyreg._reconstructor', reconstructor],
]);

/** Latin-1 encoding of `s` (every character must be ≤ U+00FF, as Python's codec demands). */
export function encodeLatin1(s: string, at: number): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new FormatError(`pickle encodes a character above U+00FF as latin-1 at byte ${at}`);
    out[i] = c;
  }
  return out;
}
