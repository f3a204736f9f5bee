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
  state?: PickleValue;
  listItems?: PickleValue[];
  dictItems?: [PickleValue, PickleValue][];
}

/** A persistent id (BINPERSID/PERSID), unresolved: PyTorch's `('storage', StorageType, key, location, numel)`. */
export interface PyPersistent {
  readonly kind: 'persistent';
  readonly pid: PickleValue;
}

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
