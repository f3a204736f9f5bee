/**
 * Protobuf message and enum descriptors built from a schema in protobufjs's JSON form
 * (onnx.schema.json, derived from the official onnx.proto by scripts/gen-onnx-schema.ts).
 *
 * Why not protobufjs's own reflection at run time: the loader needs only field tables
 * (number → name, type, repeated), and protobufjs costs an ONNX run ~35 ms to load, ~12 ms
 * to build its Root and ~40 ms more to generate and warm a decoder per message type on
 * first use — a fifth of a small model's whole run (issue 14). These tables take about a
 * millisecond; protobuf.ts decodes with them. protobufjs stays a devDependency for the
 * scripts that write fixtures, and the tests check this decoding against it.
 *
 * Protobuf semantics followed (https://protobuf.dev/programming-guides/proto2/,
 * …/editions/features): an enum is closed in proto2 (an unknown value is kept aside, not
 * stored in its field) and open otherwise; repeated scalars are packed by default only
 * outside proto2; `edition` is inherited from the enclosing declaration.
 */
/** Protobuf wire types (protobuf encoding spec). */
export const WIRE = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

export interface EnumType {
  readonly name: string;
  readonly fullName: string;
  readonly values: Readonly<Record<string, number>>;
  /** The declared numbers (an enum may alias several names to one). */
  readonly numbers: ReadonlySet<number>;
  /** Closed enums (proto2) keep an unknown value aside instead of storing it. */
  readonly closed: boolean;
}

export interface FieldType {
  readonly name: string;
  readonly id: number;
  /** The scalar type, or the full name of the message or enum type. */
  readonly type: string;
  readonly repeated: boolean;
  readonly packed: boolean;
  /** Set when the field holds a message. */
  readonly message: MessageType | undefined;
  /** Set when the field holds an enum value. */
  readonly enumType: EnumType | undefined;
  /** Wire types the field may legally arrive with (both encodings for repeated scalars). */
  readonly wireTypes: readonly number[];
}

export interface MessageType {
  readonly name: string;
  readonly fullName: string;
  readonly fields: Readonly<Record<string, FieldType>>;
  readonly fieldsArray: readonly FieldType[];
  readonly fieldsById: ReadonlyMap<number, FieldType>;
}

/** Every message and enum type of a schema, by full name ('.onnx.TensorProto'). */
export interface Descriptors {
  readonly messages: ReadonlyMap<string, MessageType>;
  readonly enums: ReadonlyMap<string, EnumType>;
}

/** A namespace, message or enum in protobufjs's JSON schema form (INamespace). */
interface JsonNode {
  readonly nested?: Readonly<Record<string, JsonNode>>;
  readonly fields?: Readonly<Record<string, JsonField>>;
  readonly values?: Readonly<Record<string, number>>;
  readonly edition?: string;
}
interface JsonField {
  readonly type: string;
  readonly id: number;
  readonly rule?: string;
  readonly options?: { readonly packed?: boolean };
}

const VARINT_SCALARS: ReadonlySet<string> = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'bool']);
const I64_SCALARS: ReadonlySet<string> = new Set(['fixed64', 'sfixed64', 'double']);
const I32_SCALARS: ReadonlySet<string> = new Set(['fixed32', 'sfixed32', 'float']);
const SCALARS: ReadonlySet<string> = new Set([...VARINT_SCALARS, ...I64_SCALARS, ...I32_SCALARS, 'string', 'bytes']);

/** The fixed width of one element of a scalar type, or undefined for varints and LEN types. */
export function scalarWidth(type: string): number | undefined {
  if (I64_SCALARS.has(type)) return 8;
  if (I32_SCALARS.has(type)) return 4;
  return undefined;
}

/** Builds the descriptors of every type in `root`; throws on a type name it cannot resolve. */
export function buildDescriptors(root: JsonNode): Descriptors {
  type Pending = { full: string; node: JsonNode; edition: string };
  const messages = new Map<string, MessageType>();
  const enums = new Map<string, EnumType>();
  const pending: Pending[] = [];
  const visit = (node: JsonNode, full: string, inherited: string): void => {
    const edition = node.edition ?? inherited;
    const name = full.slice(full.lastIndexOf('.') + 1);
    if (node.values !== undefined) {
      const values = { ...node.values };
      enums.set(full, {
        name,
        fullName: full,
        values,
        numbers: new Set(Object.values(values)),
        closed: edition === 'proto2',
      });
    } else if (node.fields !== undefined) {
      // Filled in the second pass: message types refer to each other (graph ↔ node).
      messages.set(full, { name, fullName: full, fields: {}, fieldsArray: [], fieldsById: new Map() });
      pending.push({ full, node, edition });
    }
    for (const [k, child] of Object.entries(node.nested ?? {})) visit(child, `${full}.${k}`, edition);
  };
  for (const [k, child] of Object.entries(root.nested ?? {})) visit(child, `.${k}`, root.edition ?? 'proto2');

  for (const { full, node, edition } of pending) {
    const m = messages.get(full)!;
    const fields = m.fields as Record<string, FieldType>;
    const byId = m.fieldsById as Map<number, FieldType>;
    for (const [name, f] of Object.entries(node.fields!)) {
      const field = describeField(name, f, full, edition, messages, enums);
      fields[name] = field;
      (m.fieldsArray as FieldType[]).push(field);
      byId.set(field.id, field);
    }
  }
  return { messages, enums };
}

function describeField(
  name: string,
  f: JsonField,
  scope: string,
  edition: string,
  messages: ReadonlyMap<string, MessageType>,
  enums: ReadonlyMap<string, EnumType>,
): FieldType {
  const repeated = f.rule === 'repeated';
  let message: MessageType | undefined;
  let enumType: EnumType | undefined;
  let type = f.type;
  if (!SCALARS.has(type)) {
    type = resolveName(type, scope, (n) => messages.has(n) || enums.has(n));
    message = messages.get(type);
    enumType = enums.get(type);
  }
  const numeric = enumType !== undefined || (message === undefined && type !== 'string' && type !== 'bytes');
  const packed = repeated && numeric && (f.options?.packed ?? edition !== 'proto2');
  let scalar: number | undefined;
  if (enumType !== undefined || VARINT_SCALARS.has(type)) scalar = WIRE.VARINT;
  else if (I64_SCALARS.has(type)) scalar = WIRE.I64;
  else if (I32_SCALARS.has(type)) scalar = WIRE.I32;
  // string, bytes and messages are length-delimited; repeated scalars may come packed (LEN)
  // or one element per tag, whatever the .proto says (encoding spec, "Packed Repeated Fields").
  const wireTypes = scalar === undefined ? [WIRE.LEN] : repeated ? [WIRE.LEN, scalar] : [scalar];
  return { name, id: f.id, type, repeated, packed, message, enumType, wireTypes };
}

/**
 * A type reference as protobuf resolves it: a leading dot is a full name; otherwise the
 * innermost enclosing scope that has it (protobuf language spec, "Name resolution").
 */
function resolveName(ref: string, scope: string, exists: (full: string) => boolean): string {
  if (ref.startsWith('.')) {
    if (exists(ref)) return ref;
  } else {
    for (let s = scope; ; s = s.slice(0, s.lastIndexOf('.'))) {
      if (exists(`${s}.${ref}`)) return `${s}.${ref}`;
      if (s === '') break;
    }
  }
  throw new Error(`protobuf schema: type '${ref}' (in ${scope}) is not defined`);
}
