/**
 * Writes the small synthetic fixtures under fixtures/generated/ (committed; a test
 * regenerates them and checks the bytes are unchanged). Deterministic: seeded values only.
 *   npm run fixtures
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { writeSafetensorsFixtures } from './fixtures/safetensors.js';
import { writeOnnxFixtures } from './fixtures/onnx.js';
import { writeShardedLmFixture } from './fixtures/sharded-lm.js';
import { writeLoraFixtures } from './fixtures/lora.js';

export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'generated');

/** Each maker writes its files under `dir` and returns their paths relative to it. */
export type FixtureMaker = (dir: string) => Promise<string[]>;

export async function makeAllFixtures(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const makers: FixtureMaker[] = [
    writeSafetensorsFixtures,
    writeOnnxFixtures,
    writeShardedLmFixture,
    writeLoraFixtures,
  ];
  const written: string[] = [];
  for (const make of makers) written.push(...(await make(dir)));
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = await makeAllFixtures(FIXTURE_DIR);
  console.error(`wrote ${files.length} fixture files under ${FIXTURE_DIR}`);
}
