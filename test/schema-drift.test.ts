/**
 * schema/report.v1.schema.json is written by hand (it carries ranges, patterns and the
 * gate's passed ⇔ no failures, which a type cannot say), so nothing keeps it in step with
 * the TypeScript type AnalysisReport when the type changes. This test does: it derives a
 * schema from the type with ts-json-schema-generator and asserts that both describe the same
 * document — at every path the same property names, the same required names, the same JSON
 * types (null included) and the same values of literal unions (test/schema-shape.ts).
 * A failure lists every differing path; fix the schema (or the type) until it passes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGenerator } from 'ts-json-schema-generator';
import { ROOT } from './helpers.js';
import { openObjects, schemaShape, shapeDifferences, type JsonSchema, type SchemaShape } from './schema-shape.js';

const SCHEMA_PATH = join(ROOT, 'schema', 'report.v1.schema.json');

let handWritten: JsonSchema;
let fromType: SchemaShape;
let fromSchema: SchemaShape;

beforeAll(() => {
  handWritten = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as JsonSchema;
  const generated = createGenerator({
    path: join(ROOT, 'src', 'schema', 'report.ts'),
    tsconfig: join(ROOT, 'tsconfig.build.json'),
    type: 'AnalysisReport',
    skipTypeCheck: true,
  }).createSchema('AnalysisReport');
  fromType = schemaShape(generated as JsonSchema);
  fromSchema = schemaShape(handWritten);
});

function driftMessage(diffs: readonly string[]): string {
  return [
    `schema/report.v1.schema.json has drifted from the type AnalysisReport (src/schema/report.ts) at ${diffs.length} place(s):`,
    ...diffs.map((d) => `  ${d}`),
  ].join('\n');
}

describe('the hand-written schema matches the TypeScript type', () => {
  it('same properties, required names, JSON types and literal values at every path', () => {
    const diffs = shapeDifferences(fromType, fromSchema);
    expect(diffs.length, driftMessage(diffs)).toBe(0);
  });

  it('every object in the schema forbids unknown properties', () => {
    expect(openObjects(fromSchema), 'objects without additionalProperties: false').toEqual([]);
  });

  it('the walk reaches every part of the document (so that an empty diff means something)', () => {
    for (const path of [
      '$.layers[](status=skipped)',
      '$.layers[](status=analyzed).metrics',
      '$.layers[](status=analyzed).powerLaw(status=ok).alternatives(status=ok).plVsTpl',
      '$.layers[](status=analyzed).powerLaw(status=ok).alternatives(status=failed)',
      '$.layers[](status=analyzed).mp(status=ok)',
      '$.layers[](status=analyzed).traps.mpFit',
      '$.layers[](status=analyzed).vectors.perVector',
      '$.layers[](status=analyzed).vectors.tail',
      '$.summary.phases',
      '$.gate.failures[]',
      '$.shard.digests[]',
      '$.shard.options',
    ]) {
      expect(fromType.get(path)?.object, `${path} in the generated schema`).toBeDefined();
    }
    expect(fromType.get('$.layers[](status=analyzed).mp(status=ok).atBound')?.literals).toEqual(
      new Set(['"lower"', '"upper"']),
    );
    expect(fromType.get('$.layers[](status=analyzed).metrics.alphaWeighted')?.types).toEqual(
      new Set(['number', 'null']),
    );
  });
});

describe('the drift check fails on drift', () => {
  // Each case damages a copy of the hand-written schema the way a forgotten update would.
  const damaged = (f: (s: any) => void) => {
    const copy = JSON.parse(JSON.stringify(handWritten));
    f(copy);
    return shapeDifferences(fromType, schemaShape(copy));
  };
  it.each([
    [
      'a field missing',
      (s: any) => delete s.$defs.mpOk.properties.scale,
      '$.layers[](status=analyzed).mp(status=ok): properties in the type only: scale',
    ],
    [
      'a field the type does not have',
      (s: any) => (s.$defs.phase.properties.score = { type: 'number' }),
      '$.layers[](status=analyzed).phase: properties in the schema only: score',
    ],
    [
      'a required field made optional',
      (s: any) =>
        (s.$defs.correlationTraps.required = s.$defs.correlationTraps.required.filter((r: string) => r !== 'numTraps')),
      '$.layers[](status=analyzed).traps: required in the type, optional in the schema: numTraps',
    ],
    [
      'an optional field made required',
      (s: any) => s.$defs.mpOk.required.push('atBound'),
      '$.layers[](status=analyzed).mp(status=ok): required in the schema, optional in the type: atBound',
    ],
    [
      'a literal missing',
      (s: any) => (s.$defs.fitComparison.properties.test.enum = ['vuong', 'nested']),
      'values "nested" | "nested-boundary" | "vuong" in the type, "nested" | "vuong" in the schema',
    ],
    [
      'a nullable number made non-null',
      (s: any) => (s.$defs.vectorGroupStats.properties.entropy = { type: 'number' }),
      '$.layers[](status=analyzed).vectors.bulk.entropy: JSON types null | number in the type, number in the schema',
    ],
    [
      'a union branch missing',
      (s: any) => (s.$defs.powerLawOk.properties.alternatives = { $ref: '#/$defs/tailModels' }),
      '$.layers[](status=analyzed).powerLaw(status=ok).alternatives(status=failed): in the type only',
    ],
  ])('%s', (_what, f, expected) => {
    const diffs = damaged(f);
    expect(diffs.join('\n')).toContain(expected);
  });
});
