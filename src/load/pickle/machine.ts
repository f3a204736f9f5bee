/**
 * An unpickler that executes nothing: Python's pickle virtual machine (protocols 0–5, every
 * opcode of CPython's `Lib/pickletools.py` table) run over inert values (values.ts). Globals
 * become `PyGlobal` data; REDUCE/INST/OBJ apply only a few builtins evaluated as data or a
 * callee the caller allows (else PickleRefused); NEWOBJ makes an inert `PyObject`.
 * Modelled on PyTorch's `torch/_weights_only_unpickler.py` and CPython's `Lib/pickle.py`
 * (`_Unpickler`: a stack split into frames by MARK, a memo, one handler per opcode).
 * Hand-written because no JS library reads pickles without running them or without
 * unbounded memory; every length and count from the file is checked before it is used, and
 * malformed input of any kind is a FormatError naming the byte offset.
 */
import { FormatError } from '../../errors.js';
import { encodeLatin1, globalName, isDangerous, isGlobal, MAX_GLOBAL_NAME, makeGlobal, NATIVES } from './callables.js';
import { Cursor, latin1, utf8Strict } from './cursor.js';
import { describe, Frames, isNode } from './frames.js';
import { Memo } from './memo.js';
import { HIGHEST_PROTOCOL, OP } from './opcodes.js';
import { lineText, NOT_SCALAR, readScalar } from './scalars.js';
import { parseMemoKey } from './text-args.js';
import {
  type PickleValue,
  PickleRefused,
  type PyDict,
  type UnpickleLimits,
  type UnpickleOptions,
  walkLimited,
} from './values.js';

/**
 * Defaults, far above what real checkpoints need and low enough to bound a hostile file:
 * - memo: a torch.save pickle memoizes ~10 values a tensor and a whole pickled nn.Module ~50
 *   a module; 4M entries cover 400k tensors, and cost 32 MB as the array picklers' in-order
 *   keys fill (memo.ts), ≈ 0.3 GB as a Map of keys out of order at worst.
 * - stack: Python batches APPENDS/SETITEMS by 1000, so the stack holds the nesting plus one
 *   batch; only a huge tuple pushes more. 4M references ≈ 32 MB.
 * - depth: CPython's own pickler stops at its recursion limit (1000 by default), so no
 *   pickle Python can write nests deeper.
 * - ops: every opcode reads at least one byte, so ops also bound time and memory per input
 *   byte; a state_dict takes ~30 ops a tensor, and 50M ops run in a few seconds.
 */
export const DEFAULT_LIMITS: UnpickleLimits = {
  maxMemo: 1 << 22,
  maxStack: 1 << 22,
  maxDepth: 1000,
  maxOps: 50_000_000,
};

/** The caller's limits over the defaults (a limit given as undefined keeps its default). */
function limitsOf(options: UnpickleOptions): UnpickleLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(limits) as (keyof UnpickleLimits)[]) {
    const given = options.limits?.[key];
    if (given !== undefined) limits[key] = given;
  }
  return limits;
}

/**
 * Runs the pickle that starts at `bytes[start]` up to its STOP: the value it leaves and the
 * offset just after STOP (PyTorch's legacy format is several pickles in a row, then data).
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions, start = 0): { value: PickleValue; end: number } {
  return new Machine(bytes, options, start).run();
}

/** What an opcode that pushes nothing returns. */
const NOTHING: unique symbol = Symbol('nothing pushed');

class Machine extends Frames {
  private readonly cur: Cursor;
  private readonly memo = new Memo();
  private readonly latin1Cache = new Map<string, Uint8Array>();
  private proto = 0;

  constructor(
    bytes: Uint8Array,
    private readonly options: UnpickleOptions,
    start: number,
  ) {
    super(limitsOf(options));
    // A plain view: subarrays of a Node Buffer are Buffers, several times dearer to make.
    this.cur = new Cursor(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), start);
  }

  run(): { value: PickleValue; end: number } {
    const { cur } = this;
    if (!Number.isInteger(cur.pos) || cur.pos < 0 || cur.pos > cur.bytes.length) {
      throw new FormatError(`pickle starts at byte ${cur.pos}, outside the ${cur.bytes.length} bytes`);
    }
    for (;;) {
      this.at = cur.pos;
      this.charge(1);
      const op = cur.u8();
      if (op === OP.STOP) {
        const value = this.pop();
        walkLimited(value, this.limits.maxDepth);
        return { value, end: cur.pos };
      }
      const value = this.step(op);
      if (value !== NOTHING) this.push(value);
    }
  }

  // --- the memo ------------------------------------------------------------------------------

  private put(key: number): typeof NOTHING {
    const value = this.top();
    if (!this.memo.has(key) && this.memo.size >= this.limits.maxMemo) {
      throw this.fail(`pickle memo holds more than ${this.limits.maxMemo} entries`);
    }
    this.memo.set(key, value);
    return NOTHING;
  }

  private get(key: number): PickleValue {
    const value = this.memo.get(key);
    if (value === undefined) throw this.fail(`memo key ${key} is not defined`);
    return value;
  }

  private globalLines(opname: string): [string, string] {
    const read = () => {
      const line = this.cur.line();
      if (line.length > 4 * MAX_GLOBAL_NAME) {
        throw this.fail(`pickle ${opname} names a global longer than ${MAX_GLOBAL_NAME} characters`);
      }
      return utf8Strict(line, opname, this.at);
    };
    const module = read();
    return [module, read()];
  }

  // --- calls ----------------------------------------------------------------------------------

  /** REDUCE, INST, OBJ: a builtin evaluated as data, an allowed callee kept as a PyCall, or a refusal. */
  private apply(fn: PickleValue, args: readonly PickleValue[]): PickleValue {
    if (!isGlobal(fn)) throw this.fail(`pickle calls ${describe(fn)}, not a global,`);
    const callee = globalName(fn);
    const native = NATIVES.get(callee);
    if (native !== undefined) {
      return this.made(
        native(args, {
          at: this.at,
          charge: (n) => this.charge(n),
          latin1Bytes: (s) => this.latin1Bytes(s),
        }),
      );
    }
    if (isDangerous(fn) || !this.options.allowCall(callee)) throw new PickleRefused(callee);
    return this.made({ kind: 'call', callee, args });
  }

  private latin1Bytes(s: string): Uint8Array {
    let out = this.latin1Cache.get(s);
    if (out === undefined) {
      this.charge(Math.ceil(s.length / 64));
      out = encodeLatin1(s, this.at);
      this.latin1Cache.set(s, out);
    }
    return out;
  }

  /** NEWOBJ, NEWOBJ_EX: an inert instance of `cls`, unless the class itself is dangerous. */
  private newObject(cls: PickleValue, args: PickleValue, kwargs?: PickleValue): PickleValue {
    if (!isGlobal(cls)) throw this.fail(`pickle makes an instance of ${describe(cls)}, not a class,`);
    if (isDangerous(cls)) throw new PickleRefused(globalName(cls));
    if (!isNode(args) || args.kind !== 'tuple') throw this.fail('pickle NEWOBJ arguments are not a tuple');
    if (kwargs === undefined) return this.made({ kind: 'object', cls, args: args.items });
    if (!isNode(kwargs) || kwargs.kind !== 'dict') throw this.fail('pickle NEWOBJ_EX keywords are not a dict');
    const object = { kind: 'object', cls, args: args.items } as const;
    return this.made(kwargs.entries.length === 0 ? object : { ...object, kwargs });
  }

  private build(state: PickleValue): typeof NOTHING {
    const inst = this.top();
    if (!isNode(inst) || (inst.kind !== 'object' && inst.kind !== 'call' && inst.kind !== 'dict')) {
      throw this.fail(`pickle BUILD sets the state of ${describe(inst)}`);
    }
    const old = inst.state;
    if (isNode(old) && old.kind === 'dict' && isNode(state) && state.kind === 'dict') {
      this.charge(old.entries.length + state.entries.length);
      inst.state = this.made(mergeDicts(old, state));
    } else inst.state = state;
    this.holds(inst, [inst.state]);
    return NOTHING;
  }

  private appendItems(items: PickleValue[]): typeof NOTHING {
    const target = this.top();
    if (isNode(target) && target.kind === 'list') {
      for (const item of items) target.items.push(item);
    } else if (isNode(target) && (target.kind === 'object' || target.kind === 'call')) {
      target.listItems ??= [];
      for (const item of items) target.listItems.push(item);
    } else throw this.fail(`pickle appends to ${describe(target)}`);
    this.holds(target, items);
    return NOTHING;
  }

  private setItems(items: PickleValue[]): typeof NOTHING {
    if (items.length % 2 !== 0) throw this.fail('pickle SETITEMS has a key without a value');
    const target = this.top();
    if (isNode(target) && target.kind === 'dict') this.setEntries(target, items);
    else if (isNode(target) && (target.kind === 'object' || target.kind === 'call')) {
      // What Python would pass to the instance's __setitem__, in order.
      const entries = (target.dictItems ??= []);
      for (let i = 0; i < items.length; i += 2) entries.push([items[i]!, items[i + 1]!]);
    } else throw this.fail(`pickle sets items of ${describe(target)}`);
    this.holds(target, items);
    return NOTHING;
  }

  private addItems(items: PickleValue[]): typeof NOTHING {
    const target = this.top();
    if (!isNode(target) || target.kind !== 'set') throw this.fail(`pickle adds items to ${describe(target)}`);
    for (const item of items) target.items.push(item);
    this.holds(target, items);
    return NOTHING;
  }

  private refuse(opname: string, why: string): never {
    throw this.fail(`pickle opcode ${opname} (${why}) is not supported`);
  }

  // --- one opcode -------------------------------------------------------------------------------

  private step(op: number): PickleValue | typeof NOTHING {
    const { cur } = this;
    const scalar = readScalar(op, cur, this.at);
    if (scalar !== NOT_SCALAR) return scalar;
    switch (op) {
      case OP.MARK:
        if (this.stack.length + this.marks.length >= this.limits.maxStack) {
          throw this.fail(`pickle stack holds more than ${this.limits.maxStack} values`);
        }
        this.marks.push(this.stack.length);
        return NOTHING;
      case OP.POP:
        if (this.stack.length > this.floor) this.stack.pop();
        else this.popMark();
        return NOTHING;
      case OP.POP_MARK:
        this.popMark();
        return NOTHING;
      case OP.DUP:
        return this.top();
      case OP.PROTO: {
        const proto = cur.u8();
        if (proto > HIGHEST_PROTOCOL) throw this.fail(`unsupported pickle protocol ${proto}`);
        this.proto = proto;
        return NOTHING;
      }
      case OP.FRAME: {
        const n = cur.u64();
        if (n > cur.left) throw this.fail(`pickle FRAME of ${n} bytes runs past the end (${cur.left} left)`);
        return NOTHING;
      }
      case OP.NEXT_BUFFER:
        return this.refuse('NEXT_BUFFER', 'an out-of-band buffer');
      case OP.READONLY_BUFFER:
        return this.refuse('READONLY_BUFFER', 'an out-of-band buffer');
      // Containers.
      case OP.EMPTY_LIST:
        return { kind: 'list', items: [] };
      case OP.EMPTY_TUPLE:
        return { kind: 'tuple', items: [] };
      case OP.EMPTY_DICT:
        return { kind: 'dict', entries: [] };
      case OP.EMPTY_SET:
        return { kind: 'set', items: [] };
      case OP.LIST:
        return this.made({ kind: 'list', items: this.popMark() });
      case OP.TUPLE:
        return this.made({ kind: 'tuple', items: this.popMark() });
      case OP.FROZENSET:
        return this.made({ kind: 'set', items: this.popMark() });
      case OP.TUPLE1:
      case OP.TUPLE2:
      case OP.TUPLE3: {
        const items: PickleValue[] = [];
        for (let n = op - OP.TUPLE1 + 1; n > 0; n--) items.unshift(this.pop());
        return this.made({ kind: 'tuple', items });
      }
      case OP.DICT: {
        const items = this.popMark();
        if (items.length % 2 !== 0) throw this.fail('pickle DICT has a key without a value');
        const entries: [PickleValue, PickleValue][] = [];
        for (let i = 0; i < items.length; i += 2) entries.push([items[i]!, items[i + 1]!]);
        return this.made({ kind: 'dict', entries });
      }
      case OP.APPEND:
        return this.appendItems([this.pop()]);
      case OP.APPENDS:
        return this.appendItems(this.popMark());
      case OP.SETITEM: {
        const value = this.pop();
        return this.setItems([this.pop(), value]);
      }
      case OP.SETITEMS:
        return this.setItems(this.popMark());
      case OP.ADDITEMS:
        return this.addItems(this.popMark());
      // The memo.
      case OP.GET:
        return this.get(parseMemoKey(lineText(cur, this.at), 'GET', this.at));
      case OP.BINGET:
        return this.get(cur.u8());
      case OP.LONG_BINGET:
        return this.get(cur.u32());
      case OP.PUT:
        return this.put(parseMemoKey(lineText(cur, this.at), 'PUT', this.at));
      case OP.BINPUT:
        return this.put(cur.u8());
      case OP.LONG_BINPUT:
        return this.put(cur.u32());
      case OP.MEMOIZE:
        return this.put(this.memo.size);
      // Globals, calls, objects.
      case OP.GLOBAL:
        return makeGlobal(...this.globalLines('GLOBAL'), this.proto);
      case OP.STACK_GLOBAL: {
        const name = this.pop();
        const module = this.pop();
        if (typeof module !== 'string' || typeof name !== 'string') {
          throw this.fail('pickle STACK_GLOBAL needs a module and a name that are strings');
        }
        return makeGlobal(module, name, this.proto);
      }
      case OP.REDUCE: {
        const args = this.pop();
        const fn = this.pop();
        if (!isNode(args) || args.kind !== 'tuple') throw this.fail('pickle REDUCE arguments are not a tuple');
        return this.apply(fn, args.items);
      }
      case OP.INST: {
        const [module, name] = this.globalLines('INST');
        const cls = makeGlobal(module, name, this.proto);
        return this.apply(cls, this.popMark());
      }
      case OP.OBJ: {
        const [cls, ...args] = this.popMark();
        if (cls === undefined) throw this.fail('pickle OBJ has no class');
        return this.apply(cls, args);
      }
      case OP.NEWOBJ: {
        const args = this.pop();
        return this.newObject(this.pop(), args);
      }
      case OP.NEWOBJ_EX: {
        const kwargs = this.pop();
        const args = this.pop();
        return this.newObject(this.pop(), args, kwargs);
      }
      case OP.BUILD:
        return this.build(this.pop());
      case OP.PERSID: {
        const line = cur.line();
        if (line.some((b) => b > 0x7f)) throw this.fail('pickle PERSID is not ASCII');
        return { kind: 'persistent', pid: latin1(line) };
      }
      case OP.BINPERSID:
        return this.made({ kind: 'persistent', pid: this.pop() });
      case OP.EXT1:
        return this.refuse('EXT1', 'the copyreg extension registry');
      case OP.EXT2:
        return this.refuse('EXT2', 'the copyreg extension registry');
      case OP.EXT4:
        return this.refuse('EXT4', 'the copyreg extension registry');
      default:
        throw this.fail(`unknown pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

/** A second BUILD's dict state updates the first (`inst.__dict__.update(state)`; made() merges equal keys). */
function mergeDicts(old: PyDict, update: PyDict): PyDict {
  const entries = old.entries.map(([k, v]): [PickleValue, PickleValue] => [k, v]);
  for (const [k, v] of update.entries) entries.push([k, v]);
  return { kind: 'dict', entries };
}
