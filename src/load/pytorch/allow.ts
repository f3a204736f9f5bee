/**
 * What a PyTorch pickle may call (the unpickler's `allowCall`): PyTorch's own
 * `torch/_weights_only_unpickler.py` set, narrowed to what checkpoints carry. Nothing is ever
 * run; an allowed call is kept as data (PyCall) for contents.ts to interpret, and any other
 * callee refuses the whole file (PickleRefused: "the pickle calls posix.system").
 *
 * Classes instantiated by NEWOBJ (a pickled nn.Module, `__torch__.*` TorchScript classes,
 * argparse.Namespace) are inert placeholders in the unpickler and need no entry here.
 */

/** Rebuild a tensor from a storage: (storage, offset, size, stride, …); v3 adds the dtype. */
export const TENSOR_REBUILDERS: ReadonlySet<string> = new Set([
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor_v3',
]);

/** A Parameter around a tensor: (tensor, requires_grad, hooks[, state]). */
export const PARAMETER_REBUILDERS: ReadonlySet<string> = new Set([
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
]);

/**
 * Tensors we cannot read as dense values (quantized, sparse, nested, subclasses, meta): each
 * is listed as a TensorRef of dtype OTHER (skipped `unsupported-dtype`), never dropped.
 */
export const UNSUPPORTED_REBUILDERS: ReadonlySet<string> = new Set([
  'torch._utils._rebuild_qtensor',
  'torch._utils._rebuild_sparse_tensor',
  'torch._utils._rebuild_sparse_csr_tensor',
  'torch._utils._rebuild_nested_tensor',
  'torch._utils._rebuild_device_tensor_from_numpy',
  'torch._utils._rebuild_meta_tensor_no_storage',
  'torch._utils._rebuild_wrapper_subclass',
  'torch._utils._rebuild_xla_tensor',
  'torch._utils._rebuild_mlc_tensor',
]);

/** `_rebuild_from_type_v2(func, type, args, state)`: a tensor subclass around one of the rebuilders. */
export const FROM_TYPE = 'torch._tensor._rebuild_from_type_v2';

/**
 * Calls whose value is their first argument: TorchScript's pickle helpers
 * (`torch/jit/_pickle.py`: they return the data they are given).
 */
export const PASS_THROUGH: ReadonlySet<string> = new Set([
  'torch.jit._pickle.restore_type_tag',
  'torch.jit._pickle.build_intlist',
  'torch.jit._pickle.build_tensorlist',
  'torch.jit._pickle.build_doublelist',
  'torch.jit._pickle.build_boollist',
  'torch.jit._pickle.build_tensor_from_id',
]);

/**
 * Inert data constructors checkpoints carry beside the weights, allowed because building
 * them runs no code of the file's choosing and touches nothing outside the value:
 * - torch.Size, torch.device, collections.OrderedDict, set/frozenset/bytearray/slice/complex
 *   and `_codecs.encode` (how protocol 2 writes bytes): plain containers and values;
 * - numpy scalars, dtypes and arrays (`scalar`, `dtype`, `_reconstruct`, under numpy's 1.x and
 *   2.x module names): training scripts save metrics and RNG states as numpy values;
 * - datetime values (trainers save run times), and pathlib paths (hyper-parameters keep data
 *   and output folders as Path objects; the unpickler exempts exactly these classes from its
 *   refusal of the `pathlib` module, src/load/pickle/callables.ts);
 * - `torch.serialization._get_layout` (a layout by name, in sparse tensor pickles).
 * Python 2 names (`__builtin__`, protocol ≤ 2) are listed beside the Python 3 ones.
 */
const INERT: ReadonlySet<string> = new Set([
  'torch.Size',
  'torch.device',
  'torch.serialization._get_layout',
  'collections.OrderedDict',
  'builtins.set',
  'builtins.frozenset',
  'builtins.bytearray',
  'builtins.slice',
  'builtins.complex',
  '__builtin__.set',
  '__builtin__.frozenset',
  '__builtin__.bytearray',
  '__builtin__.slice',
  '__builtin__.complex',
  '_codecs.encode',
  'numpy.core.multiarray.scalar',
  'numpy.core.multiarray._reconstruct',
  'numpy._core.multiarray.scalar',
  'numpy._core.multiarray._reconstruct',
  'numpy.dtype',
  'datetime.datetime',
  'datetime.date',
  'datetime.time',
  'datetime.timedelta',
  'datetime.timezone',
  'pathlib.Path',
  'pathlib.PosixPath',
  'pathlib.WindowsPath',
  'pathlib.PurePath',
  'pathlib.PurePosixPath',
  'pathlib.PureWindowsPath',
]);

/** The allow-list handed to the unpickler. */
export function allowCall(callee: string): boolean {
  return (
    TENSOR_REBUILDERS.has(callee) ||
    PARAMETER_REBUILDERS.has(callee) ||
    UNSUPPORTED_REBUILDERS.has(callee) ||
    callee === FROM_TYPE ||
    PASS_THROUGH.has(callee) ||
    INERT.has(callee)
  );
}
