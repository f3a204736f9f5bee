/**
 * Recognises an ONNX ModelProto from its first byte: a protobuf message whose first tag
 * is one of ModelProto's fields with its wire type (onnx.proto). Exporters write
 * ir_version (field 1, varint) first, but any ModelProto field may lead.
 */

/** ModelProto field numbers and their wire types (onnx.proto): the first tag must be one. */
const MODEL_PROTO_FIRST_TAGS = new Set([
  (1 << 3) | 0, // ir_version
  (8 << 3) | 2, // opset_import
  (2 << 3) | 2, // producer_name
  (3 << 3) | 2, // producer_version
  (4 << 3) | 2, // domain
  (5 << 3) | 0, // model_version
  (6 << 3) | 2, // doc_string
  (7 << 3) | 2, // graph
  (14 << 3) | 2, // metadata_props
  (20 << 3) | 2, // training_info
  (25 << 3) | 2, // functions
]);

export function looksLikeProtobufModel(head: Uint8Array): boolean {
  const tag = head[0];
  return tag !== undefined && MODEL_PROTO_FIRST_TAGS.has(tag);
}
