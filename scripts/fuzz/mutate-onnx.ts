/**
 * ONNX-aware fuzz edits: decode the model with the project's schema, damage one field a
 * reader trusts — a tensor's dims, data type, data length or location, an external-data
 * reference, a subgraph's depth — and encode it again, so the result is well-formed
 * protobuf with hostile content (byte-level damage is covered by mutateBytes).
 */
import { ModelProto } from '../../src/load/onnx/schema.js';
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
      : pick(r, ['dims', 'dims', 'dtype', 'raw', 'typed', 'external', 'location', 'nest', 'duplicate']);
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
  } else if (kind === 'duplicate' && t) {
    // The same name twice with different shapes.
    const g = model.graph as Obj;
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
