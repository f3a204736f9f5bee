/** The committed fixtures are exactly what the checked-in generator writes. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { makeAllFixtures } from '../scripts/make-fixtures.js';
import { GENERATED } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'rmt-fixtures-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('regenerating the fixtures reproduces the committed bytes', async () => {
  const files = await makeAllFixtures(tmp);
  expect(files.length).toBeGreaterThan(5);
  for (const f of files) {
    expect(readFileSync(join(tmp, f)).equals(readFileSync(join(GENERATED, f))), f).toBe(true);
  }
});
