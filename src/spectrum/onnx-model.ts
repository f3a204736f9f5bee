/**
 * A minimal writer for ONNX ModelProto bytes (onnx.proto3), enough to describe the small
 * all-float64 linear-algebra graphs the spectrum code runs through onnxruntime. Writing
 * the few protobuf fields by hand keeps these tiny graphs independent of the loader's
 * schema (which reads models, src/load/onnx/) and costs no start-up time.
 */

/** Growable byte sink with the protobuf wire-format primitives we need. */
class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + extra));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  varint(v: number): this {
    this.ensure(10);
    // Non-negative values only (field numbers, lengths, dims, enum values).
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  int(field: number, v: number): this {
    return this.tag(field, 0).varint(v);
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  float32(field: number, v: number): this {
    this.tag(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer, this.len, 4).setFloat32(0, v, true);
    this.len += 4;
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** ONNX TensorProto.DataType values. */
const DOUBLE = 11;
const INT64 = 7;

/** A graph input or output: a float64 (or int64) tensor whose dims are numbers or symbolic names. */
export interface ValueSpec {
  readonly name: string;
  readonly dims: readonly (number | string)[];
  /** int64 instead of float64 (shapes, slice bounds, gather indices). */
  readonly int64?: boolean;
}

export type AttributeValue = number | readonly number[] | { readonly float: number };

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

export interface GraphSpec {
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly nodes: readonly NodeSpec[];
  /** Default ONNX opset; 17 covers everything used here. */
  readonly opset?: number;
}

function valueInfo(w: Writer, v: ValueSpec): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.int64 ? INT64 : DOUBLE);
      tensor.message(2, (shape) => {
        for (const d of v.dims) {
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        }
      });
    }),
  );
}

function attribute(w: Writer, name: string, v: AttributeValue): void {
  w.string(1, name);
  if (typeof v === 'number') {
    // AttributeProto.i (3), type INT (2). Integers only: this writer never needs floats here.
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`attribute ${name}: non-negative integers only`);
    w.int(3, v).int(20, 2);
  } else if ('float' in v) {
    w.float32(2, v.float).int(20, 1);
  } else {
    for (const x of v) {
      if (!Number.isInteger(x) || x < 0) throw new RangeError(`attribute ${name}: non-negative integers only`);
      w.int(8, x);
    }
    w.int(20, 7);
  }
}

/** Serialises a graph of standard-domain ONNX ops on float64 tensors as ModelProto bytes. */
export function encodeModel(spec: GraphSpec): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version 8
  w.message(8, (op) => op.string(1, '').int(2, spec.opset ?? 17));
  w.message(7, (g) => {
    spec.nodes.forEach((n, i) =>
      g.message(1, (node) => {
        for (const s of n.inputs) node.string(1, s);
        for (const s of n.outputs) node.string(2, s);
        node.string(3, `n${i}`);
        node.string(4, n.op);
        for (const [k, v] of Object.entries(n.attributes ?? {})) node.message(5, (a) => attribute(a, k, v));
      }),
    );
    g.string(2, 'spectrum');
    for (const v of spec.inputs) g.message(11, (x) => valueInfo(x, v));
    for (const v of spec.outputs) g.message(12, (x) => valueInfo(x, v));
  });
  return w.finish();
}
