/**
 * Recognises an ONNX ModelProto from its first bytes by its protobuf structure, not one
 * byte: every field whose tag is in `head` must be a ModelProto field with its wire type
 * (onnx.proto), its varints well formed, its lengths inside the file, and the visible part
 * of its text fields free of control bytes. Exporters write ir_version (field 1) first,
 * but any ModelProto field may lead. A safetensors file cannot pass: its byte 8 is '{',
 * which as a tag would be field 15 with the group wire type, and a length prefix that
 * skips past it needs NUL bytes inside a text field.
 * Encoding reference: https://protobuf.dev/programming-guides/encoding/
 */

/** ModelProto field number → wire type (0 varint, 2 length-delimited), from onnx.proto. */
const MODEL_PROTO_FIELDS = new Map<number, number>([
  [1, 0], // ir_version
  [8, 2], // opset_import
  [2, 2], // producer_name
  [3, 2], // producer_version
  [4, 2], // domain
  [5, 0], // model_version
  [6, 2], // doc_string
  [7, 2], // graph
  [14, 2], // metadata_props
  [20, 2], // training_info
  [25, 2], // functions
]);
/** The string fields: their bytes are UTF-8 text, never control bytes (tab, LF, CR aside). */
const TEXT_FIELDS = new Set([2, 3, 4, 6]);

/** A varint at `pos` of `head`: [value, next], next = −1 when it runs past `head`, −2 when malformed. */
function varint(head: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const b = head[pos + i];
    if (b === undefined) return [0, -1];
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return [value, pos + i + 1];
  }
  return [0, -2];
}

function isTextByte(b: number): boolean {
  return b >= 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

export function looksLikeProtobufModel(head: Uint8Array, size = Number.MAX_SAFE_INTEGER): boolean {
  let pos = 0;
  let fields = 0;
  while (pos < head.length) {
    const [tag, afterTag] = varint(head, pos);
    if (afterTag === -2) return false;
    if (afterTag === -1) return fields > 0;
    const wt = MODEL_PROTO_FIELDS.get(Math.floor(tag / 8));
    if (wt === undefined || wt !== tag % 8) return false;
    const [value, afterValue] = varint(head, afterTag);
    if (afterValue === -2) return false;
    fields++;
    if (afterValue === -1) return true;
    if (wt === 0) {
      pos = afterValue;
      continue;
    }
    // A length-delimited field: it must end inside the file.
    if (afterValue + value > size) return false;
    if (TEXT_FIELDS.has(Math.floor(tag / 8))) {
      const visibleEnd = Math.min(head.length, afterValue + value);
      for (let i = afterValue; i < visibleEnd; i++) if (!isTextByte(head[i]!)) return false;
    }
    pos = afterValue + value;
  }
  return fields > 0;
}
