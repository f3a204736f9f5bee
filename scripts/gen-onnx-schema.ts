/**
 * Derives src/load/onnx/onnx.schema.json, the protobufjs schema the ONNX loader runs on,
 * from the official onnx.proto as embedded (a FileDescriptorProto) in the pinned npm
 * package onnx-buf@1.20.0-1 — so the vendored schema is the upstream one, provably:
 * test/load/onnx-schema.test.ts regenerates it and compares.
 *   npx tsx scripts/gen-onnx-schema.ts
 * bufbuild is needed only here; the runtime loads the JSON with protobuf.Root.fromJSON.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { toBinary, create } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { file_onnx } from 'onnx-buf';
import protobuf from 'protobufjs';
// Side effect: adds Root.fromDescriptor (the shim protobufjs/ext/descriptor has no types).
import 'protobufjs/ext/descriptor.js';

export const SCHEMA_PATH = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'src',
  'load',
  'onnx',
  'onnx.schema.json',
);

/** The schema JSON text, exactly as committed. */
export function generateOnnxSchema(): string {
  const set = create(FileDescriptorSetSchema, { file: [file_onnx.proto] });
  const bytes = toBinary(FileDescriptorSetSchema, set);
  // keepCase: the loader addresses fields by their .proto names (raw_data, data_location).
  const root = protobuf.Root.fromDescriptor(bytes, { keepCase: true });
  return JSON.stringify(root.toJSON(), null, 2) + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(SCHEMA_PATH, generateOnnxSchema());
  console.error(`wrote ${SCHEMA_PATH}`);
}
