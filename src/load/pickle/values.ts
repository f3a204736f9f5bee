/**
 * What the unpickler (machine.ts) builds from a pickle: Python values as inert data. Nothing
 * here is callable and nothing from the file is ever run: where Python would call a function
 * (REDUCE, INST, OBJ, NEWOBJ, BUILD), the unpickler records the call as a `call` or `object`
 * node for the format layer (src/load/pytorch/) to interpret, and only for callees on its
 * allow-list; any other callee refuses the whole file (PickleRefused).
 *
 * Modelled on PyTorch's `torch/_weights_only_unpickler.py`, with one difference: it evaluates
 * allow-listed globals in Python, we describe them as data and let the reader decide.
 */
import { FormatError } from '../../errors.js';

/** A reference to a Python global (`module.name`), e.g. a class or a dtype such as torch.float16. */
export interface PyGlobal {
  readonly kind: 'global';
  readonly module: string;
  readonly name: string;
}

/** `bytes` / `bytearray` (BINBYTES, SHORT_BINBYTES, BYTEARRAY8, `_codecs.encode(s, 'latin1')`). */
export interface PyBytes {
  readonly kind: 'bytes';
  readonly bytes: Uint8Array;
}

export interface PyList {
  readonly kind: 'list';
  readonly items: PickleValue[];
}

export interface PyTuple {
  readonly kind: 'tuple';
  readonly items: readonly PickleValue[];
}

/** `dict` and `collections.OrderedDict` (insertion order kept); keys may be any value. */
export interface PyDict {
  readonly kind: 'dict';
  readonly entries: [PickleValue, PickleValue][];
  /**
   * Instance attributes a BUILD set on it: PyTorch's state_dict is an OrderedDict whose
   * `_metadata` attribute arrives this way (Python: `inst.__dict__.update(state)`).
   */
  state?: PickleValue;
}

/** `set` / `frozenset`. */
export interface PySet {
  readonly kind: 'set';
  readonly items: PickleValue[];
}

/**
 * An allow-listed callable applied to arguments (REDUCE on a global the caller allowed), kept
 * unevaluated: e.g. `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, …)`.
 * `state` is what a following BUILD set (Python would call __setstate__ with it).
 */
export interface PyCall {
  readonly kind: 'call';
  readonly callee: string;
  readonly args: readonly PickleValue[];
  state?: PickleValue;
  /** APPEND(S) / SETITEM(S) onto the call's result, as on a PyObject. */
  listItems?: PickleValue[];
  dictItems?: [PickleValue, PickleValue][];
}

/**
 * An instance of a class from the model's own code (NEWOBJ, NEWOBJ_EX,
 * `copyreg._reconstructor`): an inert placeholder that holds what Python would have put in
 * it: `state` from BUILD (usually its `__dict__`), `listItems`/`dictItems` from APPENDS and
 * SETITEMS. A whole pickled nn.Module is a tree of these.
 */
export interface PyObject {
  readonly kind: 'object';
  readonly cls: PyGlobal;
  readonly args: readonly PickleValue[];
  /** Keyword arguments of NEWOBJ_EX (`cls.__new__(cls, *args, **kwargs)`), when it had any. */
  readonly kwargs?: PyDict;
  state?: PickleValue;
  listItems?: PickleValue[];
  dictItems?: [PickleValue, PickleValue][];
}

/** A persistent id (BINPERSID/PERSID), unresolved: PyTorch's `('storage', StorageType, key, location, numel)`. */
export interface PyPersistent {
  readonly kind: 'persistent';
  readonly pid: PickleValue;
}

/**
 * A value tree is a graph: the memo (PUT/GET) shares values by reference, so the same JS
 * object is reached wherever Python had the same object (two tensors on one storage, tied
 * weights), and a pickle can build cycles (a list appended to itself, a module whose child
 * points back at it). Consumers compare by identity to find sharing and must walk with a
 * visited set, never by plain recursion: `walkLimited` does both, and bounds the depth.
 * Dict keys: a string or number key written twice keeps its first place and its last value,
 * as in Python; other keys (tuples …) and set items are kept as written, and Python's
 * `1 == 1.0 == True` is not modelled (true and 1 are different keys here).
 */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PyBytes
  | PyList
  | PyTuple
  | PyDict
  | PySet
  | PyGlobal
  | PyCall
  | PyObject
  | PyPersistent;

/** Limits that keep a hostile pickle from using unbounded memory or time. */
export interface UnpickleLimits {
  /** Memo entries (PUT/MEMOIZE) at most. */
  readonly maxMemo: number;
  /** Values on the stack (all marks together) at most. */
  readonly maxStack: number;
  /** Nesting of containers/calls in the result at most (a walk of it recurses this deep). */
  readonly maxDepth: number;
  /** Opcodes executed at most. */
  readonly maxOps: number;
}

export interface UnpickleOptions {
  /**
   * True when REDUCE/INST/OBJ may apply the global `callee` ('module.name'): the format
   * layer's allow-list. Anything else throws PickleRefused naming it.
   */
  readonly allowCall: (callee: string) => boolean;
  readonly limits?: Partial<UnpickleLimits>;
}

/** The pickle asks to call something not on the allow-list: the file was written to run code. */
export class PickleRefused extends FormatError {
  constructor(readonly callee: string) {
    super(`refuses to load: the pickle calls ${callee}`);
  }
}

/** The values directly inside `v`, in file order (a dict's entries flattened: key, value, key, …). */
export function childrenOf(v: PickleValue): readonly PickleValue[] {
  if (v === null || typeof v !== 'object') return [];
  switch (v.kind) {
    case 'list':
    case 'tuple':
    case 'set':
      return v.items;
    case 'dict':
      return v.state === undefined ? v.entries.flat() : [...v.entries.flat(), v.state];
    case 'persistent':
      return [v.pid];
    case 'call':
    case 'object': {
      const out: PickleValue[] = [...v.args];
      if (v.kind === 'object' && v.kwargs !== undefined) out.push(v.kwargs);
      if (v.state !== undefined) out.push(v.state);
      for (const item of v.listItems ?? []) out.push(item);
      for (const [key, value] of v.dictItems ?? []) out.push(key, value);
      return out;
    }
    default:
      return [];
  }
}

/**
 * Visits every value reachable from `root` once (objects by identity; scalars at each place
 * they occur), depth first in file order, without recursion: `visit(value, depth)` with
 * depth 0 for the root; returning false skips the value's children. A container nested
 * deeper than `maxDepth` throws FormatError, so a consumer that recurses over what this
 * walk accepted, with a visited set, recurses at most `maxDepth` deep.
 */
export function walkLimited(
  root: PickleValue,
  maxDepth: number,
  visit: (value: PickleValue, depth: number) => boolean | undefined = () => true,
): void {
  const seen = new Set<object>();
  const frames: { children: readonly PickleValue[]; next: number }[] = [];
  let value: PickleValue | undefined = root;
  for (;;) {
    if (value !== undefined) {
      const node = value !== null && typeof value === 'object' ? value : undefined;
      if (node === undefined || !seen.has(node)) {
        if (node !== undefined) seen.add(node);
        const descend = visit(value, frames.length) !== false;
        const children = descend ? childrenOf(value) : [];
        if (children.length > 0) {
          if (frames.length >= maxDepth) throw new FormatError(`pickle nests deeper than ${maxDepth} levels`);
          frames.push({ children, next: 0 });
        }
      }
    }
    const top = frames[frames.length - 1];
    if (top === undefined) return;
    if (top.next < top.children.length) value = top.children[top.next++];
    else {
      frames.pop();
      value = undefined;
    }
  }
}
