/**
 * ONNX-aware fuzz edits: decode the model with the project's schema, damage one field a
 * reader trusts — a tensor's dims, data type, data length or location, an external-data
 * reference, a subgraph's depth — and encode it again, so the result is well-formed
 * protobuf with hostile content (byte-level damage is covered by mutateBytes). Issue 12
 * adds schema-aware edits of structure: repeated attributes (a Constant's `value`, an If's
 * branch), attribute names in another case, tensors in attributes of other ops, and
 * counts (many tiny initializers, an expert stack with huge dims and small data).
 */
import { ModelProto } from '../fixtures/onnx-protobufjs.js';
import { int, nastyInt, pick, type Mutation, type Rng } from './mutate.js';

type Obj = Record<string, unknown> & { [k: string]: any };

/** Every TensorProto in the model: initializers, Constant values, in subgraphs and functions. */
function tensorsOf(model: Obj): Obj[] {
  const out: Obj[] = [];
  const visitGraph = (g: Obj | undefined, depth: number) => {
    if (!g || depth > 16) return;
    out.push(...((g.initializer as Obj[]) ?? []));
    for (const n of (g.node as Obj[]) ?? []) visitNode(n, depth);
  };
  const visitNode = (n: Obj, depth: number) => {
    for (const a of (n.attribute as Obj[]) ?? []) {
      if (a.t) out.push(a.t);
      for (const t of (a.tensors as Obj[]) ?? []) out.push(t);
      visitGraph(a.g, depth + 1);
      for (const g of (a.graphs as Obj[]) ?? []) visitGraph(g, depth + 1);
    }
  };
  visitGraph(model.graph, 0);
  for (const f of (model.functions as Obj[]) ?? []) for (const n of (f.node as Obj[]) ?? []) visitNode(n, 0);
  return out;
}

/** Every node of the model (main graph, subgraphs, functions), to edit attributes. */
function nodesOf(model: Obj): Obj[] {
  const out: Obj[] = [];
  const visitGraph = (g: Obj | undefined, depth: number) => {
    if (!g || depth > 16) return;
    for (const n of (g.node as Obj[]) ?? []) {
      out.push(n);
      for (const a of (n.attribute as Obj[]) ?? []) {
        visitGraph(a.g, depth + 1);
        for (const sub of (a.graphs as Obj[]) ?? []) visitGraph(sub, depth + 1);
      }
    }
  };
  visitGraph(model.graph, 0);
  for (const f of (model.functions as Obj[]) ?? []) for (const n of (f.node as Obj[]) ?? []) out.push(n);
  return out;
}

/** A name in another case: 'value' → 'Value', 'VALUE', 'vAlue' … */
function recase(r: Rng, name: string): string {
  const op = pick(r, ['upper', 'first', 'one']);
  if (op === 'upper') return name.toUpperCase() === name ? name.toLowerCase() : name.toUpperCase();
  if (op === 'first') return name.charAt(0).toUpperCase() + name.slice(1);
  const i = int(r, 0, Math.max(0, name.length - 1));
  const c = name.charAt(i);
  return name.slice(0, i) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + name.slice(i + 1);
}

/** Structure edits (issue 12): repeated or re-cased attributes, tensors in attributes, counts. */
function mutateStructure(r: Rng, model: Obj, tensors: Obj[], kind: string): string {
  const g = ((model.graph as Obj) ??= { node: [] });
  const nodes = nodesOf(model);
  const withAttrs = nodes.filter((n) => ((n.attribute as Obj[]) ?? []).length > 0);
  const preferred = withAttrs.filter((n) => n.opType === 'Constant' || n.opType === 'If');
  if (kind === 'repeat-attr' && withAttrs.length > 0) {
    // Duplicate one attribute of a node (a Constant's value, an If's then_branch …), maybe altered.
    const n = pick(r, preferred.length > 0 && r() < 0.7 ? preferred : withAttrs);
    const attrs = n.attribute as Obj[];
    const a = pick(r, attrs);
    const copy: Obj = { ...a };
    if (copy.t && r() < 0.5) copy.t = { ...copy.t, dims: [...((copy.t.dims as number[]) ?? []), 1] };
    attrs.splice(pick(r, [0, attrs.length]), 0, copy);
    return `onnx-repeat-attr-${n.opType}.${a.name}`;
  }
  if (kind === 'case-attr' && withAttrs.length > 0) {
    const n = pick(r, preferred.length > 0 && r() < 0.7 ? preferred : withAttrs);
    const a = pick(r, n.attribute as Obj[]);
    const was = String(a.name ?? '');
    const renamed = recase(r, was);
    // Either renamed in place or added beside the original.
    if (r() < 0.5) a.name = renamed;
    else (n.attribute as Obj[]).push({ ...a, name: renamed });
    return `onnx-case-attr-${n.opType}.${was}->${renamed}`;
  }
  if (kind === 'attr-tensor' && tensors.length > 0) {
    // A tensor held by an attribute of some other op (or a new custom op), named or not.
    const t: Obj = { ...pick(r, tensors) };
    if (r() < 0.5) t.name = '';
    const others = nodes.filter((n) => n.opType !== 'Constant');
    const attrName = pick(r, ['value', 'Value', 'weight', 'W', 'then_branch', '']);
    const a: Obj = r() < 0.5 ? { name: attrName, type: 4, t } : { name: attrName, type: 9, tensors: [t, { ...t }] };
    if (others.length > 0 && r() < 0.7) ((pick(r, others).attribute as Obj[]) ??= []).push(a);
    else
      (g.node as Obj[]).push({ opType: pick(r, ['MyOp', 'ConstantOfShape', 'Relu']), output: ['fz'], attribute: [a] });
    return `onnx-attr-tensor-${a.type === 4 ? 't' : 'tensors'}.${attrName}`;
  }
  if (kind === 'many-tensors') {
    // Many tiny initializers: lists, tables and reports of that many rows.
    const n = pick(r, [500, 2000, 5000]); // more can pass the fuzzer's 5 s case limit on a busy machine
    const one = Buffer.from(new Float32Array([1]).buffer);
    const inits = (g.initializer as Obj[]) ?? [];
    for (let i = 0; i < n; i++) inits.push({ name: `fz.${i}`, dataType: 1, dims: [1], rawData: one });
    g.initializer = inits;
    return `onnx-many-tensors×${n}`;
  }
  // An expert stack with huge dims: FLOAT8 data of the right size, or small data that cannot match.
  const stack = pick(r, [1000, 30_000, 140_000, 2 ** 20]);
  const rows = pick(r, [1, 2, 17]);
  const exact = stack <= 30_000 && r() < 0.6; // 140,000 layers would pass the 5 s case limit
  const raw = Buffer.alloc(exact ? stack * rows * 17 : int(r, 0, 64), 0x38);
  ((g.initializer as Obj[]) ??= []).push({ name: 'fz.experts', dataType: 17, dims: [stack, rows, 17], rawData: raw });
  return `onnx-stack-${stack}x${rows}x17-${exact ? 'exact' : 'small'}`;
}

const ESCAPES = [
  '../outside.bin',
  '../../../../etc/passwd',
  '/etc/passwd',
  'missing.bin',
  'ext-data/../../x',
  '',
  'a\u0000b',
  'ext-data',
];

const STRUCTURE_KINDS = ['repeat-attr', 'repeat-attr', 'case-attr', 'attr-tensor', 'many-tensors', 'stack'];

export function mutateOnnx(r: Rng, input: Uint8Array): Mutation {
  let model: Obj;
  try {
    model = ModelProto.toObject(ModelProto.decode(input), { defaults: false, longs: Number, bytes: Buffer }) as Obj;
  } catch {
    return { name: 'onnx-undecodable', bytes: input };
  }
  const tensors = tensorsOf(model);
  const kind =
    tensors.length === 0
      ? 'nest'
      : pick(r, [
          'dims',
          'dims',
          'dtype',
          'raw',
          'typed',
          'external',
          'location',
          'nest',
          'duplicate',
          ...STRUCTURE_KINDS,
        ]);
  let name = `onnx-${kind}`;
  const t = tensors.length > 0 ? pick(r, tensors) : undefined;
  if (t && kind === 'dims') {
    const dims = [...((t.dims as number[]) ?? [])];
    const op = pick(r, ['set', 'push', 'pop', 'huge']);
    if (op === 'set' && dims.length > 0) dims[int(r, 0, dims.length - 1)] = nastyInt(r, dims[0] ?? 4);
    else if (op === 'push') dims.push(nastyInt(r, 2));
    else if (op === 'pop') dims.pop();
    else dims.splice(0, dims.length, 2 ** 30, 2 ** 30);
    t.dims = dims;
    name += `-${op}`;
  } else if (t && kind === 'dtype') {
    t.dataType = pick(r, [0, 1, 2, 3, 5, 6, 7, 8, 10, 11, 16, 17, 19, 21, 22, 23, 30, -1, 1000]);
    name += `=${t.dataType}`;
  } else if (t && kind === 'raw') {
    const raw: Buffer = t.rawData ?? Buffer.alloc(0);
    t.rawData = pick(r, [
      raw.subarray(0, int(r, 0, raw.length)),
      Buffer.concat([raw, Buffer.alloc(int(r, 1, 9))]),
      Buffer.alloc(0),
    ]);
  } else if (t && kind === 'typed') {
    const field = pick(r, ['floatData', 'int32Data', 'int64Data', 'doubleData']);
    t[field] = Array.from({ length: int(r, 0, 40) }, () => nastyInt(r, 3));
    name += `-${field}`;
  } else if (t && kind === 'external') {
    t.dataLocation = 1;
    const entries: Obj[] = (t.externalData as Obj[]) ?? [];
    const key = pick(r, ['location', 'offset', 'length', 'checksum', 'bogus']);
    const value = key === 'location' ? pick(r, ESCAPES) : String(pick(r, [nastyInt(r, 16), -5, 'x', '1e3', '']));
    const existing = entries.find((e) => e.key === key);
    if (existing) existing.value = value;
    else entries.push({ key, value });
    if (!entries.some((e) => e.key === 'location')) entries.push({ key: 'location', value: pick(r, ESCAPES) });
    t.externalData = entries;
    name += `-${key}=${JSON.stringify(value)}`;
  } else if (t && kind === 'location') {
    t.dataLocation = pick(r, [0, 1, 2, -1]);
    name += `=${t.dataLocation}`;
  } else if (STRUCTURE_KINDS.includes(kind)) {
    name = mutateStructure(r, model, tensors, kind);
  } else if (kind === 'duplicate' && t) {
    // The same name twice with different shapes.
    // (The tensor may come from a model whose graph field an earlier mutation removed.)
    const g = ((model.graph as Obj | undefined) ?? (model.graph = { node: [] })) as Obj;
    g.initializer = [...((g.initializer as Obj[]) ?? []), { ...t, dims: [...((t.dims as number[]) ?? []), 1] }];
  } else {
    // Deeply nested If subgraphs around the graph.
    let g: Obj = (model.graph as Obj) ?? { node: [] };
    const depth = pick(r, [10, 63, 65, 200, 2000]);
    for (let i = 0; i < depth; i++)
      g = { name: `g${i}`, node: [{ opType: 'If', attribute: [{ name: 'then_branch', type: 5, g }] }] };
    model.graph = g;
    name += `×${depth}`;
  }
  try {
    return { name, bytes: ModelProto.encode(ModelProto.fromObject(model)).finish() };
  } catch {
    return { name: `${name}-unencodable`, bytes: input };
  }
}
