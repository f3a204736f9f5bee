/**
 * What a checkpoint holds, found by walking its unpickled root value and naming every tensor
 * by its path with '.': a bare state dict (`fc1.weight`), a whole pickled module
 * (`torch.save(model)`: placeholders whose state has `_parameters`, `_buffers`, `_modules`;
 * named as `state_dict()` names them, without those segments), a training checkpoint
 * (`model.fc1.weight`, with optimizer state marked `optimizer-state`), a TorchScript module
 * (attributes directly in each object's state). Any tensor anywhere is found; shared
 * tensors get every name they are reached by; a container reached twice (shared or a
 * cycle) is walked once, so the walk is linear in the pickle.
 * Learned from torch/nn/modules/module.py (`state_dict`) and torch/_utils.py (the rebuild
 * functions' arguments).
 */
import { FormatError } from '../../errors.js';
import type { DType, LayerKind } from '../../types.js';
import type { PickleValue, PyCall } from '../pickle/values.js';
import { FROM_TYPE, PARAMETER_REBUILDERS, PASS_THROUGH, TENSOR_REBUILDERS, UNSUPPORTED_REBUILDERS } from './allow.js';
import { dtypeOf, type StorageSpec } from './storage.js';

/** Containers nested deeper than this are refused (the recursion stays far from the stack limit). */
export const MAX_WALK_DEPTH = 1000;
/** Tensor dimensions at most. */
export const MAX_RANK = 16;

/** A tensor found in the value: a view of a storage, or one we cannot read (`storage` absent). */
export interface FoundTensor {
  readonly name: string;
  readonly role?: 'optimizer-state';
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly storage?: StorageSpec;
  /** Storage offset, in elements of `dtype`. */
  readonly offset: number;
  readonly stride: readonly number[];
  /** What the module that holds it says it is (the `weight` of an nn.Linear, nn.Conv2d …). */
  readonly kindHint?: LayerKind;
}

/** Module attributes that hold its tensors and children (torch/nn/modules/module.py). */
const MODULE_SLOTS = ['_parameters', '_buffers', '_modules'];
/**
 * A key whose value is optimizer or scheduler state: `optimizer`, `optim`, `optimizer_state_dict`,
 * `optimizer_states` (Lightning), `lr_scheduler`, `schedulers` … Whole keys only: a state dict key
 * such as `optimus.weight` is a weight.
 */
const OPTIMIZER_KEY = /^(optim(izer)?s?|opt|(lr_?)?schedulers?)(_?states?)?(_?dict)?$/i;

type Obj = Exclude<PickleValue, null | boolean | number | bigint | string>;
const isObj = (v: PickleValue | undefined): v is Obj => typeof v === 'object' && v !== null;

/** Walks `root`; `parsePid` turns a persistent id into its storage (container-specific). */
export function findTensors(root: PickleValue, parsePid: (pid: PickleValue) => StorageSpec): FoundTensor[] {
  const found: FoundTensor[] = [];
  const seen = new Set<Obj>();
  const names = new Map<string, number>();

  const emit = (path: readonly string[], optimizer: boolean, t: Omit<FoundTensor, 'name' | 'role'>) => {
    const base = path.length === 0 ? 'tensor' : path.join('.');
    const n = names.get(base) ?? 0;
    names.set(base, n + 1);
    const name = n === 0 ? base : `${base}#${n + 1}`;
    found.push({ name, ...(optimizer ? { role: 'optimizer-state' as const } : {}), ...t });
  };

  const walk = (
    v: PickleValue | undefined,
    path: string[],
    optimizer: boolean,
    depth: number,
    kind?: LayerKind,
  ): void => {
    if (!isObj(v)) return;
    if (depth > MAX_WALK_DEPTH) throw new FormatError(`the pickle nests values deeper than ${MAX_WALK_DEPTH} levels`);
    if (v.kind === 'call') {
      const tensor = asTensor(v, parsePid);
      if (tensor !== undefined) {
        emit(path, optimizer, kind === undefined ? tensor : { ...tensor, kindHint: kind });
        return;
      }
      if (PASS_THROUGH.has(v.callee)) {
        walk(v.args[0], path, optimizer, depth + 1);
        return;
      }
    }
    if (seen.has(v)) return;
    seen.add(v);
    if (v.kind === 'persistent') {
      // A bare storage (not inside a tensor): checked, so the container knows its type and size.
      parsePid(v.pid);
      return;
    }
    const next = path.length;
    const at = (seg: string, value: PickleValue | undefined, opt = optimizer) =>
      walk(value, [...path.slice(0, next), seg], opt, depth + 1);
    switch (v.kind) {
      case 'dict': {
        const isOptimizerState = hasKeys(v.entries, ['state', 'param_groups']);
        for (let i = 0; i < v.entries.length; i++) {
          const [k, value] = v.entries[i]!;
          const seg = keyName(k, i);
          at(seg, value, optimizer || isOptimizerState || OPTIMIZER_KEY.test(seg));
        }
        walk(v.state, path, optimizer, depth + 1);
        return;
      }
      case 'list':
      case 'tuple':
      case 'set':
        for (let i = 0; i < v.items.length; i++) at(String(i), v.items[i]);
        return;
      case 'object':
      case 'call':
        if (v.kind === 'object') walkState(v.state, path, optimizer, depth, moduleKind(v.cls.name));
        else walk(v.state, path, optimizer, depth + 1);
        for (let i = 0; i < (v.listItems?.length ?? 0); i++) at(String(i), v.listItems![i]);
        for (let i = 0; i < (v.dictItems?.length ?? 0); i++) at(keyName(v.dictItems![i]![0], i), v.dictItems![i]![1]);
        for (const a of v.args) walk(a, path, optimizer, depth + 1);
        return;
    }
  };

  /**
   * An object's state: a module's slots flattened into its path, any other attribute under its
   * name; the `weight` of a known module class (Linear, Conv2d, Embedding …) gets its kind.
   */
  const walkState = (
    state: PickleValue | undefined,
    path: string[],
    optimizer: boolean,
    depth: number,
    kind: LayerKind | undefined,
  ): void => {
    if (!isObj(state)) return;
    if (state.kind === 'tuple') {
      // (dict, slotstate) from __reduce_ex__ with __slots__.
      for (const s of state.items) walkState(s, path, optimizer, depth + 1, kind);
      return;
    }
    if (state.kind !== 'dict' || seen.has(state)) {
      walk(state, path, optimizer, depth + 1);
      return;
    }
    seen.add(state);
    const isModule = hasKeys(state.entries, MODULE_SLOTS);
    const hint = (seg: string) => (seg === 'weight' ? kind : undefined);
    state.entries.forEach(([k, value], i) => {
      const seg = keyName(k, i);
      if (!isModule || !MODULE_SLOTS.includes(seg)) {
        walk(value, [...path, seg], optimizer || OPTIMIZER_KEY.test(seg), depth + 1, hint(seg));
      } else if (isObj(value) && !seen.has(value) && value.kind === 'dict') {
        seen.add(value);
        value.entries.forEach(([ck, cv], j) => {
          const child = keyName(ck, j);
          walk(cv, [...path, child], optimizer, depth + 2, hint(child));
        });
      } else walk(value, path, optimizer, depth + 1);
    });
    walk(state.state, path, optimizer, depth + 1);
  };

  walk(root, [], false, 0);
  return found;
}

/** The kind of a module's `weight`, from its class name (torch.nn, HF's Conv1D, TorchScript's `__torch__` copies). */
function moduleKind(cls: string): LayerKind | undefined {
  if (/^(Linear|LazyLinear|NonDynamicallyQuantizableLinear|Conv1D)$/.test(cls)) return 'dense';
  const conv = /^(Lazy)?Conv(Transpose)?([123])d$/.exec(cls);
  if (conv) return `conv${conv[3]}d` as LayerKind;
  if (/^Embedding(Bag)?$/.test(cls)) return 'embedding';
  if (/Norm(\dd)?$/.test(cls)) return 'norm';
  return undefined;
}

function hasKeys(entries: readonly [PickleValue, PickleValue][], keys: readonly string[]): boolean {
  return keys.every((k) => entries.some(([e]) => e === k));
}

/** A dict key as a path segment: strings as they are, numbers in decimal, anything else by position. */
function keyName(k: PickleValue, i: number): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'bigint') return String(k);
  if (typeof k === 'boolean') return k ? 'True' : 'False';
  return `[${i}]`;
}

/** The tensor a call rebuilds, or undefined when it rebuilds none. */
function asTensor(
  call: PyCall,
  parsePid: (pid: PickleValue) => StorageSpec,
): Omit<FoundTensor, 'name' | 'role'> | undefined {
  const { callee, args } = call;
  if (TENSOR_REBUILDERS.has(callee)) return viewOf(call, parsePid);
  if (PARAMETER_REBUILDERS.has(callee) || callee === FROM_TYPE) {
    // _rebuild_parameter(data, …); _rebuild_from_type_v2(func, type, args, state).
    const inner =
      callee === FROM_TYPE ? fromType(args) : isObj(args[0]) && args[0].kind === 'call' ? args[0] : undefined;
    return (inner && asTensor(inner, parsePid)) ?? unsupported([]);
  }
  if (UNSUPPORTED_REBUILDERS.has(callee)) {
    // _rebuild_qtensor(storage, offset, size, …) keeps its size; the others say less.
    const size = callee.endsWith('_qtensor') ? shapeOf(args[2], 'size', true) : undefined;
    return unsupported(size ?? []);
  }
  return undefined;
}

function unsupported(shape: readonly number[]): Omit<FoundTensor, 'name' | 'role'> {
  return { dtype: 'OTHER', shape, offset: 0, stride: [] };
}

/** `_rebuild_from_type_v2(func, type, args, state)` as the call `func(*args)`. */
function fromType(args: readonly PickleValue[]): PyCall | undefined {
  const [func, , inner] = args;
  if (!isObj(func) || func.kind !== 'global' || !isObj(inner) || inner.kind !== 'tuple') return undefined;
  return { kind: 'call', callee: `${func.module}.${func.name}`, args: inner.items };
}

/** `_rebuild_tensor[_v2|_v3](storage, storage_offset, size, stride, …[, dtype])`. */
function viewOf(call: PyCall, parsePid: (pid: PickleValue) => StorageSpec): Omit<FoundTensor, 'name' | 'role'> {
  const [pid, offset, size, stride] = call.args;
  if (!isObj(pid) || pid.kind !== 'persistent') throw new FormatError(`${call.callee} is given no storage`);
  const storage = parsePid(pid.pid);
  const shape = shapeOf(size, 'size', false)!;
  const strides = shapeOf(stride, 'stride', false)!;
  if (strides.length !== shape.length)
    throw new FormatError(
      `a tensor of storage '${storage.key}' has ${shape.length} sizes but ${strides.length} strides`,
    );
  const dtype = call.callee.endsWith('_v3') ? dtypeOf(call.args[6] ?? null) : storage.dtype;
  if (dtype === undefined) throw new FormatError(`${call.callee} is given no dtype`);
  return { dtype, shape, storage, offset: toInt(offset, 'storage offset'), stride: strides };
}

/** A size or stride: a tuple (or torch.Size(tuple)) of non-negative integers. */
function shapeOf(v: PickleValue | undefined, what: string, lenient: boolean): number[] | undefined {
  let t = v;
  if (isObj(t) && t.kind === 'call' && t.callee === 'torch.Size') t = t.args[0];
  if (!isObj(t) || (t.kind !== 'tuple' && t.kind !== 'list')) {
    if (lenient) return undefined;
    throw new FormatError(`a tensor's ${what} is not a tuple`);
  }
  if (t.items.length > MAX_RANK) throw new FormatError(`a tensor's ${what} has ${t.items.length} dimensions`);
  return t.items.map((d) => toInt(d, what));
}

function toInt(v: PickleValue | undefined, what: string): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    throw new FormatError(`a tensor's ${what} is not a non-negative integer`);
  return n;
}
