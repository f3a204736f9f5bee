/**
 * Finds every tensor stored in a walked ONNX model and works out, from the graph, what
 * each is used for: the consuming op (kindHint, consumer, groups) and whether it is the
 * quantized form of a weight (scale and zero point).
 *
 * Tensors live in (onnx.proto, IR spec "Graphs", "Names Within a Graph"):
 *   graph initializers and sparse_initializers; Constant nodes (attribute `value`, named
 *   by the node's output); tensors held by other attributes (ConstantOfShape's `value`,
 *   custom ops, function attribute defaults: listed under the tensor's or the attribute's
 *   name); subgraphs held in node attributes (If then/else_branch, Loop and Scan body:
 *   `g`, `graphs`), recursively; FunctionProto bodies; training graphs.
 * Every TensorProto reached is listed or the file is refused, never dropped: attribute
 * names must be unique in a node (IR spec, "Nodes"), so a repeated one (two `value`s of a
 * Constant, two `then_branch`es) is refused rather than one of them silently winning, and a
 * Constant must have exactly one of its attributes (operator spec, Constant).
 * Names are resolved with lexical scoping: a subgraph sees the names of enclosing graphs
 * defined before the node that holds it, and its own definitions shadow them.
 */
import { FormatError } from '../../errors.js';
import { ELEMENT_TYPES } from './schema.js';
import { toSafeInt } from './decode.js';
import type { Use } from './uses.js';
import type { WalkedMessage } from './wire.js';

export { summarizeUses, type Use, type UsageSummary } from './uses.js';

/** How a quantized tensor maps back to real values, as found in the graph. */
export interface QuantFound {
  readonly scheme: 'DequantizeLinear' | 'dynamic';
  /** The op the scheme was read from (DequantizeLinear, QLinearMatMul, MatMulInteger, …). */
  readonly op: string;
  readonly scale: FoundTensor;
  readonly zeroPoint?: FoundTensor;
  /** Axis attribute as written (may be negative), or undefined: inferred from the op. */
  readonly axis?: number;
  /** Default axis when the scale is per-channel and no attribute says so. */
  readonly defaultAxis: (rank: number) => number;
  readonly blockSize?: number;
  /** The name the weight is reported under (dynamic quantization strips `_quantized`). */
  readonly reportAs: string;
}

export interface FoundTensor {
  /** The TensorProto (for sparse tensors: the SparseTensorProto). */
  readonly msg: WalkedMessage;
  /** The tensor's name in the graph: initializer name or Constant output. */
  readonly name: string;
  readonly sparse: boolean;
  /** onnx.proto DataType value (of the values, for sparse tensors). */
  readonly dataType: number;
  readonly uses: Use[];
  quant?: QuantFound;
  /** Used as a scale or zero point of a quantization op: bookkeeping, not a weight. */
  quantParam: boolean;
  /**
   * The op whose own packed format this integer tensor is in (onnxruntime MatMulNBits,
   * GatherBlockQuantized): a weight we list but do not decode.
   */
  packedFor?: string;
}

export interface Discovery {
  /** In discovery order; callers sort by file position. */
  readonly tensors: FoundTensor[];
  /** Values that are not TensorProtos: scalar and list Constant forms (value_float, value_ints …). */
  readonly otherTensors: number;
  readonly hasGraph: boolean;
}

/** A name in scope: a stored tensor (possibly seen through value-preserving ops) or anything else. */
type Value = { readonly tensor: FoundTensor; readonly via: readonly string[] } | { readonly tensor?: undefined };
/** Any value that is not a stored tensor: graph inputs, outputs of ordinary ops. Shared. */
const OPAQUE: Value = Object.freeze({});

class Scope {
  private readonly names = new Map<string, Value>();
  constructor(private readonly parent?: Scope) {}
  define(name: string, v: Value): void {
    if (name !== '') this.names.set(name, v);
  }
  lookup(name: string): Value | undefined {
    for (let s: Scope | undefined = this; s !== undefined; s = s.parent) {
      const v = s.names.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }
}

/**
 * Ops whose output (input 0's value, reshaped / retyped / dequantized) is the same
 * weight: followed to the op that really consumes the weight.
 */
const PASS_THROUGH = new Set([
  'DequantizeLinear',
  'Cast',
  'CastLike',
  'Transpose',
  'Reshape',
  'Identity',
  'Unsqueeze',
  'Squeeze',
  'Flatten',
]);

const CONV_OPS = new Set(['Conv', 'ConvTranspose', 'QLinearConv', 'ConvInteger']);

const strs = (v: unknown): string[] => (Array.isArray(v) ? (v as unknown[]).map((x) => String(x)) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const list = (m: WalkedMessage, field: string): readonly WalkedMessage[] => m.children.get(field) ?? [];

/** A node's attributes by name; a name given twice is refused (the IR allows one of each). */
function attributes(node: WalkedMessage, nodeWhat: () => string): Map<string, WalkedMessage> {
  const out = new Map<string, WalkedMessage>();
  for (const a of list(node, 'attribute')) {
    const name = str(a.fields.name);
    if (out.has(name)) throw new FormatError(`${nodeWhat()} has two attributes named '${name}'`);
    out.set(name, a);
  }
  return out;
}

/** The forms a Constant's one attribute may take (ONNX operator spec, Constant, opset 13+). */
const CONSTANT_ATTRIBUTES = new Set([
  'value',
  'sparse_value',
  'value_float',
  'value_floats',
  'value_int',
  'value_ints',
  'value_string',
  'value_strings',
]);

/** An INT attribute's value, or undefined when absent or not an integer. */
function intAttr(attrs: Map<string, WalkedMessage>, name: string, what: string): number | undefined {
  const a = attrs.get(name);
  if (a === undefined) return undefined;
  return toSafeInt(a.fields.i ?? 0, () => `${what} attribute '${name}'`);
}

function dataTypeOf(t: WalkedMessage): number {
  // Checked properly (with the tensor's name in the message) when the tensor is described.
  try {
    return toSafeInt(t.fields.data_type ?? 0, () => 'data_type');
  } catch {
    return -1;
  }
}

export function discover(model: WalkedMessage): Discovery {
  const tensors: FoundTensor[] = [];
  let otherTensors = 0;

  const add = (msg: WalkedMessage, name: string, sparse: boolean): FoundTensor => {
    const valuesMsg = sparse ? list(msg, 'values')[0] : msg;
    const t: FoundTensor = {
      msg,
      name,
      sparse,
      dataType: valuesMsg === undefined ? -1 : dataTypeOf(valuesMsg),
      uses: [],
      quantParam: false,
    };
    tensors.push(t);
    return t;
  };
  const sparseName = (sp: WalkedMessage): string => str(list(sp, 'values')[0]?.fields.name);

  /** Nodes of a graph or function body, in order (ONNX requires topological order). */
  const visitNodes = (nodes: readonly WalkedMessage[], scope: Scope): void => {
    for (const node of nodes) visitNode(node, scope);
  };

  const visitGraph = (graph: WalkedMessage, parent: Scope | undefined): void => {
    const scope = new Scope(parent);
    for (const vi of (graph.fields.input ?? []) as { name?: string }[]) scope.define(str(vi.name), OPAQUE);
    for (const init of list(graph, 'initializer')) {
      const name = str(init.fields.name);
      scope.define(name, { tensor: add(init, name, false), via: [] });
    }
    for (const sp of list(graph, 'sparse_initializer')) {
      const name = sparseName(sp);
      scope.define(name, { tensor: add(sp, name, true), via: [] });
    }
    visitNodes(list(graph, 'node'), scope);
  };

  const visitNode = (node: WalkedMessage, scope: Scope): void => {
    const op = str(node.fields.op_type);
    const inputs = strs(node.fields.input);
    const outputs = strs(node.fields.output);
    const nodeLabel = str(node.fields.name) || op;
    const nodeWhat = `node '${nodeLabel}'`;
    const attrs = attributes(node, () => nodeWhat);

    if (op === 'Constant') {
      visitConstant(nodeLabel, nodeWhat, attrs, outputs[0] ?? '', scope);
      return;
    }

    // Tensors held by other ops' attributes (ConstantOfShape's fill value, custom ops) are
    // listed under their own name; subgraphs are walked with the current scope as their parent.
    for (const [aname, a] of attrs) {
      listAttributeTensors(a, `${nodeLabel}.${aname}`);
      for (const g of list(a, 'g')) visitGraph(g, scope);
      for (const g of list(a, 'graphs')) visitGraph(g, scope);
    }

    const resolved = inputs.map((n) => (n === '' ? undefined : scope.lookup(n)));
    // Conv `group` (default 1); a value below 1 is invalid and says nothing.
    const groupAttr = CONV_OPS.has(op) ? (intAttr(attrs, 'group', nodeWhat) ?? 1) : undefined;
    const group = groupAttr !== undefined && groupAttr >= 1 ? groupAttr : undefined;
    const passThrough = PASS_THROUGH.has(op);
    resolved.forEach((v, i) => {
      if (v?.tensor === undefined) return;
      if (passThrough && i === 0) return; // followed below, to the real consumer
      v.tensor.uses.push({ op, input: i, via: v.via, group });
    });

    findQuantization(op, resolved, attrs, scope, nodeWhat);

    const first = resolved[0];
    for (const [i, out] of outputs.entries()) {
      if (passThrough && i === 0 && first?.tensor !== undefined) {
        scope.define(out, { tensor: first.tensor, via: [...first.via, op] });
      } else scope.define(out, OPAQUE);
    }
  };

  /**
   * Lists the TensorProtos an attribute holds (except `skip`, a Constant's own value), each
   * under its own name or, unnamed, the attribute's (`node.attr`, `node.attr[i]` in lists).
   */
  const listAttributeTensors = (a: WalkedMessage, label: string, skip?: WalkedMessage): void => {
    const named = (t: WalkedMessage, sparse: boolean, suffix: string): string =>
      (sparse ? sparseName(t) : str(t.fields.name)) || `${label}${suffix}`;
    for (const t of list(a, 't')) if (t !== skip) add(t, named(t, false, ''), false);
    for (const sp of list(a, 'sparse_tensor')) if (sp !== skip) add(sp, named(sp, true, ''), true);
    list(a, 'tensors').forEach((t, i) => add(t, named(t, false, `[${i}]`), false));
    list(a, 'sparse_tensors').forEach((sp, i) => add(sp, named(sp, true, `[${i}]`), true));
  };

  /** A Constant: exactly one attribute; its tensor, if any, is named by the node's output. */
  const visitConstant = (
    nodeLabel: string,
    nodeWhat: string,
    attrs: Map<string, WalkedMessage>,
    out: string,
    scope: Scope,
  ): void => {
    const names = [...attrs.keys()];
    if (names.length !== 1 || !CONSTANT_ATTRIBUTES.has(names[0]!)) {
      const has = names.length === 0 ? 'no attribute' : `attributes ${names.map((n) => `'${n}'`).join(', ')}`;
      throw new FormatError(
        `Constant ${nodeWhat} has ${has}; a Constant has exactly one of value, sparse_value, value_*`,
      );
    }
    const [aname, a] = [names[0]!, attrs.get(names[0]!)!];
    const t = list(a, aname === 'value' ? 't' : 'sparse_tensor')[0];
    let defined: Value = OPAQUE;
    if (aname === 'value' || aname === 'sparse_value') {
      if (t === undefined) throw new FormatError(`Constant ${nodeWhat}: attribute '${aname}' holds no tensor`);
      defined = { tensor: add(t, out, aname === 'sparse_value'), via: [] };
    } else otherTensors++; // value_float(s), value_int(s), value_string(s): scalars and short lists
    // Anything else the attribute carries (a stray tensor list, a subgraph) is listed too.
    listAttributeTensors(a, `${nodeLabel}.${aname}`, t);
    for (const g of list(a, 'g')) visitGraph(g, scope);
    for (const g of list(a, 'graphs')) visitGraph(g, scope);
    scope.define(out, defined);
  };

  /** Direct tensor behind a quantization parameter (through Identity only). */
  const param = (v: Value | undefined): FoundTensor | undefined =>
    v?.tensor !== undefined && v.via.every((o) => o === 'Identity') ? v.tensor : undefined;

  const findQuantization = (
    op: string,
    resolved: (Value | undefined)[],
    attrs: Map<string, WalkedMessage>,
    scope: Scope,
    nodeWhat: string,
  ): void => {
    const markParams = (...idx: number[]): void => {
      for (const i of idx) {
        const p = param(resolved[i]);
        if (p !== undefined) p.quantParam = true;
      }
    };
    const attach = (
      wIdx: number,
      sIdx: number,
      zIdx: number,
      q: Omit<QuantFound, 'scale' | 'zeroPoint' | 'reportAs'>,
    ): void => {
      const w = param(resolved[wIdx]);
      const scale = param(resolved[sIdx]);
      markParams(sIdx, zIdx);
      if (w === undefined || scale === undefined || w.quant !== undefined || w.sparse) return;
      const zeroPoint = param(resolved[zIdx]);
      w.quant = { ...q, scale, zeroPoint, reportAs: w.name };
    };
    switch (op) {
      case 'DequantizeLinear': {
        // ONNX DequantizeLinear (opset 10–23): y = (x − x_zero_point) · x_scale, per tensor,
        // per axis (`axis`, default 1) or per block (`block_size`, opset 21).
        const blockSize = intAttr(attrs, 'block_size', nodeWhat);
        attach(0, 1, 2, {
          scheme: 'DequantizeLinear',
          op,
          axis: intAttr(attrs, 'axis', nodeWhat) ?? 1,
          defaultAxis: () => 1,
          blockSize: blockSize === 0 ? undefined : blockSize,
        });
        return;
      }
      case 'QuantizeLinear':
        markParams(1, 2);
        return;
      case 'QLinearMatMul':
        // a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp: a per row, b per column.
        attach(0, 1, 2, { scheme: 'DequantizeLinear', op, defaultAxis: (r) => Math.max(0, r - 2) });
        attach(3, 4, 5, { scheme: 'DequantizeLinear', op, defaultAxis: (r) => Math.max(0, r - 1) });
        markParams(6, 7);
        return;
      case 'QLinearConv':
        // x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B: w per output channel.
        attach(3, 4, 5, { scheme: 'DequantizeLinear', op, defaultAxis: () => 0 });
        markParams(1, 2, 6, 7);
        return;
      case 'MatMulNBits':
      case 'GatherBlockQuantized': {
        // onnxruntime contrib ops storing n-bit blocks in their own layout (B [N, blocks,
        // blob] for MatMulNBits): listed as weights, not decoded; scales are bookkeeping.
        const wIdx = op === 'MatMulNBits' ? 1 : 0;
        const w = param(resolved[wIdx]);
        if (w !== undefined && w.quant === undefined) w.packedFor = op;
        markParams(2, 3);
        return;
      }
      case 'MatMulInteger':
      case 'ConvInteger': {
        // onnxruntime quantize_dynamic: the weight W is stored as W_quantized with W_scale
        // (and W_zero_point) initializers; the scale is applied by a later Mul, so it is
        // found by name. MatMulInteger inputs: A, B, a_zero_point, b_zero_point.
        markParams(2, 3);
        const candidates = op === 'MatMulInteger' ? [0, 1] : [1];
        for (const wIdx of candidates) {
          const w = param(resolved[wIdx]);
          if (w === undefined || w.quant !== undefined || w.sparse || !w.name.endsWith('_quantized')) continue;
          const base = w.name.slice(0, -'_quantized'.length);
          const scale = param(scope.lookup(`${base}_scale`));
          if (scale === undefined) continue;
          const zeroPoint = param(resolved[wIdx + 2]) ?? param(scope.lookup(`${base}_zero_point`));
          scale.quantParam = true;
          if (zeroPoint !== undefined) zeroPoint.quantParam = true;
          w.quant = {
            scheme: 'dynamic',
            op,
            scale,
            zeroPoint,
            defaultAxis: (r) => (op === 'ConvInteger' ? 0 : Math.max(0, r - 1)),
            reportAs: base,
          };
        }
        return;
      }
    }
  };

  const graph = list(model, 'graph')[0];
  if (graph !== undefined) visitGraph(graph, undefined);
  // A function body sees only its own inputs and definitions (IR spec, "Functions").
  for (const fn of list(model, 'functions')) {
    const scope = new Scope();
    for (const name of strs(fn.fields.input)) scope.define(name, OPAQUE);
    // Attribute defaults of the function: listed like other attribute tensors.
    for (const a of list(fn, 'attribute_proto')) {
      listAttributeTensors(a, `${str(fn.fields.name)}.${str(a.fields.name)}`);
      for (const g of [...list(a, 'g'), ...list(a, 'graphs')]) visitGraph(g, undefined);
    }
    visitNodes(list(fn, 'node'), scope);
  }
  for (const ti of list(model, 'training_info')) {
    for (const g of [...list(ti, 'initialization'), ...list(ti, 'algorithm')]) visitGraph(g, undefined);
  }
  return { tensors, otherTensors, hasGraph: graph !== undefined };
}

/** The element type of a found tensor's data (values of a sparse tensor). */
export function elementType(t: FoundTensor) {
  return ELEMENT_TYPES.get(t.dataType);
}
