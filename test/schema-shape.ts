/**
 * The shape of a JSON Schema, path by path, so that two schemas of the same document can be
 * compared: the hand-written schema/report.v1.schema.json and the one ts-json-schema-generator
 * derives from the TypeScript type (test/schema-drift.test.ts).
 *
 * What is compared is what a type says and a refinement cannot change: at every path, the
 * property names and the required names of each object, the JSON types a value may have
 * (integer counted as number: `number` in TypeScript is both), and the values of literal
 * unions. Ranges, patterns, lengths and if/then/else are refinements the type cannot express,
 * so they are not looked at.
 *
 * How a schema is walked:
 *  - `$ref` (a JSON pointer into the same document: `#/$defs/…`, `#/definitions/…`) is
 *    replaced by its target, conjoined with the keywords beside it;
 *  - `allOf` is a conjunction; `oneOf` and `anyOf` are unions: a node with both its own
 *    keywords and a union is each branch conjoined with the own keywords;
 *  - the object branches of a union are merged, except that when every branch fixes one
 *    property to a distinct constant (`status: 'ok' | 'failed'`) each branch keeps its own
 *    path, named by that constant: `powerLaw(status=ok)`. Merged branches: a property is
 *    listed when any branch has it, and required when every branch requires it;
 *  - `properties` descend to `path.name`, `items` to `path[]`.
 * Paths read like the document: `layers[](status=analyzed).powerLaw(status=ok).alternatives`.
 */

export type JsonSchema = boolean | { readonly [key: string]: unknown };
type Node = { readonly [key: string]: unknown };

/** What one path of the document allows. */
export interface PathShape {
  /** JSON types ('integer' folded into 'number'); undefined: anything. */
  readonly types: ReadonlySet<string> | undefined;
  /** JSON-encoded values when every branch is a literal (const/enum); undefined otherwise. */
  readonly literals: ReadonlySet<string> | undefined;
  /** Set when the path holds an object: its property names and required names. */
  readonly object?: {
    readonly properties: ReadonlySet<string>;
    readonly required: ReadonlySet<string>;
    /** additionalProperties: false (or unevaluatedProperties: false) in every branch. */
    readonly closed: boolean;
  };
}

export type SchemaShape = ReadonlyMap<string, PathShape>;

const ROOT_PATH = '$';
const MAX_DEPTH = 40;

/** A conjunction of schema nodes (all apply to the same value), after unions were expanded. */
type Conj = readonly Node[];

export function schemaShape(schema: JsonSchema): SchemaShape {
  const out = new Map<string, PathShape>();
  const walker = new Walker(schema);
  walker.visit([[asNode(schema)]], ROOT_PATH, 0, out);
  return out;
}

class Walker {
  constructor(private readonly root: JsonSchema) {}

  visit(alternatives: readonly Conj[], path: string, depth: number, out: Map<string, PathShape>): void {
    if (depth > MAX_DEPTH)
      throw new Error(`schema-shape: ${path} is nested deeper than ${MAX_DEPTH} levels (a recursive type?)`);
    const flat = alternatives.flatMap((c) => this.expand(c));
    const types = unionTypes(flat.map(conjTypes));
    const literalSets = flat.map(conjLiterals);
    const literals = literalSets.every((s): s is Set<string> => s !== undefined)
      ? new Set(literalSets.flatMap((s) => [...s]))
      : undefined;

    const objects = flat.filter((c) => conjTypes(c)?.has('object') ?? c.some((n) => 'properties' in n));
    const arrays = flat.filter((c) => conjTypes(c)?.has('array') ?? c.some((n) => 'items' in n));
    const groups = groupByDiscriminator(objects);
    const here: PathShape = { types, literals };
    if (groups.length === 1 && groups[0]!.label === '') {
      out.set(path, { ...here, object: objectOf(groups[0]!.members) });
    } else {
      out.set(path, here);
    }
    for (const { label, members } of groups) {
      const at = path + label;
      const object = objectOf(members);
      if (label !== '') out.set(at, { types: new Set(['object']), literals: undefined, object });
      for (const name of object.properties) {
        const children = members.map((c) => propertyConj(c, name)).filter((c) => c.length > 0);
        this.visit(children, `${at}.${name}`, depth + 1, out);
      }
    }
    if (arrays.length > 0) {
      const items = arrays.flatMap((c) => {
        const schemas = c.flatMap((n) => (n.items !== undefined ? [asNode(n.items as JsonSchema)] : []));
        return schemas.length > 0 ? [schemas] : [];
      });
      if (items.length > 0) this.visit(items, `${path}[]`, depth + 1, out);
    }
  }

  /** The union-free alternatives of a conjunction: `$ref` inlined, allOf/oneOf/anyOf expanded. */
  private expand(conj: Conj, seen: readonly string[] = []): Conj[] {
    let result: Node[][] = [[]];
    for (const node of conj) {
      const options = this.expandNode(node, seen);
      result = result.flatMap((prefix) => options.map((o) => [...prefix, ...o]));
    }
    return result;
  }

  private expandNode(node: Node, seen: readonly string[]): Conj[] {
    const { $ref, allOf, oneOf, anyOf, ...own } = node as Node & {
      $ref?: string;
      allOf?: JsonSchema[];
      oneOf?: JsonSchema[];
      anyOf?: JsonSchema[];
    };
    let result: Conj[] = [[own]];
    const conjoin = (options: Conj[]) => {
      result = result.flatMap((prefix) => options.map((o) => [...prefix, ...o]));
    };
    if ($ref !== undefined) {
      if (seen.includes($ref)) throw new Error(`schema-shape: $ref cycle through ${$ref}`);
      conjoin(this.expand([asNode(this.resolve($ref))], [...seen, $ref]));
    }
    for (const sub of allOf ?? []) conjoin(this.expand([asNode(sub)], seen));
    for (const union of [oneOf, anyOf]) {
      if (union !== undefined) conjoin(union.flatMap((b) => this.expand([asNode(b)], seen)));
    }
    return result;
  }

  private resolve(ref: string): JsonSchema {
    if (!ref.startsWith('#')) throw new Error(`schema-shape: only local $refs are supported, got ${ref}`);
    const pointer = decodeURIComponent(ref.slice(1));
    let at: unknown = this.root;
    for (const raw of pointer.split('/').slice(1)) {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      if (typeof at !== 'object' || at === null || !(key in at))
        throw new Error(`schema-shape: $ref ${ref} does not resolve`);
      at = (at as Record<string, unknown>)[key];
    }
    return at as JsonSchema;
  }
}

function asNode(schema: JsonSchema): Node {
  if (schema === true) return {};
  if (schema === false) return { not: {} };
  return schema;
}

const ALL_TYPES = ['null', 'boolean', 'object', 'array', 'number', 'string'];

function nodeTypes(node: Node): Set<string> | undefined {
  const fromLiterals = literalValues(node);
  if (fromLiterals !== undefined) return new Set(fromLiterals.map(jsonType));
  if (node.type === undefined) return undefined;
  const list = Array.isArray(node.type) ? (node.type as string[]) : [node.type as string];
  return new Set(list.map((t) => (t === 'integer' ? 'number' : t)));
}

/** Types every node of the conjunction allows; undefined when none restricts them. */
function conjTypes(conj: Conj): Set<string> | undefined {
  let types: Set<string> | undefined;
  for (const node of conj) {
    const t = nodeTypes(node);
    if (t === undefined) continue;
    types = types === undefined ? t : new Set([...types].filter((x) => t.has(x)));
  }
  return types;
}

function unionTypes(sets: readonly (Set<string> | undefined)[]): Set<string> | undefined {
  if (sets.some((s) => s === undefined)) return undefined;
  const all = new Set(sets.flatMap((s) => [...s!]));
  return all.size === ALL_TYPES.length ? undefined : all;
}

function literalValues(node: Node): unknown[] | undefined {
  if ('const' in node) return [node.const];
  if (Array.isArray(node.enum)) return node.enum as unknown[];
  return undefined;
}

function conjLiterals(conj: Conj): Set<string> | undefined {
  let values: Set<string> | undefined;
  for (const node of conj) {
    const v = literalValues(node);
    if (v === undefined) continue;
    const s = new Set(v.map((x) => JSON.stringify(x)));
    values = values === undefined ? s : new Set([...values].filter((x) => s.has(x)));
  }
  return values;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'number' ? 'number' : typeof value;
}

function propertyConj(conj: Conj, name: string): Conj {
  return conj.flatMap((n) => {
    const p = (n.properties as Record<string, JsonSchema> | undefined)?.[name];
    return p === undefined ? [] : [asNode(p)];
  });
}

function propertyNames(conj: Conj): string[] {
  return [...new Set(conj.flatMap((n) => Object.keys((n.properties as object | undefined) ?? {})))];
}

/**
 * Object branches with a common property fixed to a distinct constant in each (the
 * discriminator of a tagged union) stay apart, labelled `(name=value)`; otherwise they are
 * merged under one unlabelled group.
 */
function groupByDiscriminator(objects: readonly Conj[]): { label: string; members: Conj[] }[] {
  if (objects.length === 0) return [];
  if (objects.length > 1) {
    const candidates = propertyNames(objects[0]!).sort((a, b) =>
      a === 'status' ? -1 : b === 'status' ? 1 : a.localeCompare(b),
    );
    for (const name of candidates) {
      const tags = objects.map((c) => {
        const lit = conjLiterals(propertyConj(c, name));
        return lit !== undefined && lit.size === 1 ? [...lit][0]! : undefined;
      });
      if (tags.every((t) => t !== undefined) && new Set(tags).size === tags.length) {
        return objects.map((c, i) => ({ label: `(${name}=${JSON.parse(tags[i]!)})`, members: [c] }));
      }
    }
  }
  return [{ label: '', members: [...objects] }];
}

function objectOf(members: readonly Conj[]): NonNullable<PathShape['object']> {
  const properties = new Set(members.flatMap(propertyNames));
  const requiredEach = members.map(
    (c) => new Set(c.flatMap((n) => (Array.isArray(n.required) ? (n.required as string[]) : []))),
  );
  const required = new Set([...properties].filter((p) => requiredEach.every((r) => r.has(p))));
  const closed = members.every((c) =>
    c.some((n) => n.additionalProperties === false || n.unevaluatedProperties === false),
  );
  return { properties, required, closed };
}

/** One line per difference between the shape of the type (`expected`) and of the schema (`actual`). */
export function shapeDifferences(expected: SchemaShape, actual: SchemaShape): string[] {
  const diffs: string[] = [];
  const list = (xs: Iterable<string>) => [...xs].join(', ');
  const minus = (a: ReadonlySet<string>, b: ReadonlySet<string>) => [...a].filter((x) => !b.has(x));
  const typesText = (t: ReadonlySet<string> | undefined) => (t === undefined ? 'anything' : [...t].sort().join(' | '));
  // A path missing on one side is reported once, not again for everything under it.
  const missing: string[] = [];
  const under = (path: string) => missing.some((m) => path.startsWith(m) && '.[('.includes(path[m.length] ?? ''));
  for (const [path, e] of expected) {
    const a = actual.get(path);
    if (a === undefined) {
      if (missing.includes(path) || under(path)) continue;
      missing.push(path);
      diffs.push(
        `${path}: in the type only${e.object ? ` (an object with ${list(e.object.properties) || 'no properties'})` : ''}`,
      );
      continue;
    }
    if (e.object && a.object) {
      const onlyType = minus(e.object.properties, a.object.properties);
      const onlySchema = minus(a.object.properties, e.object.properties);
      if (onlyType.length > 0) diffs.push(`${path}: properties in the type only: ${list(onlyType)}`);
      if (onlySchema.length > 0) diffs.push(`${path}: properties in the schema only: ${list(onlySchema)}`);
      missing.push(...[...onlyType, ...onlySchema].map((name) => `${path}.${name}`));
      const reqType = minus(e.object.required, a.object.required).filter((p) => a.object!.properties.has(p));
      const reqSchema = minus(a.object.required, e.object.required).filter((p) => e.object!.properties.has(p));
      if (reqType.length > 0) diffs.push(`${path}: required in the type, optional in the schema: ${list(reqType)}`);
      if (reqSchema.length > 0) diffs.push(`${path}: required in the schema, optional in the type: ${list(reqSchema)}`);
    } else if (e.object && !a.object) {
      diffs.push(`${path}: an object in the type, not in the schema`);
    } else if (!e.object && a.object) {
      diffs.push(`${path}: an object in the schema, not in the type`);
    }
    if (typesText(e.types) !== typesText(a.types))
      diffs.push(`${path}: JSON types ${typesText(e.types)} in the type, ${typesText(a.types)} in the schema`);
    if (e.literals !== undefined) {
      const values = (s: ReadonlySet<string> | undefined) =>
        s === undefined ? 'not a literal union' : [...s].sort().join(' | ');
      if (values(e.literals) !== values(a.literals))
        diffs.push(`${path}: values ${values(e.literals)} in the type, ${values(a.literals)} in the schema`);
    }
  }
  for (const [path, a] of actual) {
    if (expected.has(path) || missing.includes(path) || under(path)) continue;
    missing.push(path);
    diffs.push(
      `${path}: in the schema only${a.object ? ` (an object with ${list(a.object.properties) || 'no properties'})` : ''}`,
    );
  }
  return diffs;
}

/** Object paths of a shape that do not forbid unknown properties. */
export function openObjects(shape: SchemaShape): string[] {
  return [...shape].filter(([, s]) => s.object !== undefined && !s.object.closed).map(([path]) => path);
}

/**
 * The paths of `shape` that the document `value` occupies, with the JSON types met at each
 * (a tagged union's branch is the one its discriminator names): to check that sample
 * documents reach every field and every branch.
 */
export function instancePaths(
  shape: SchemaShape,
  value: unknown,
  out: Map<string, Set<string>> = new Map(),
  path: string = ROOT_PATH,
): Map<string, Set<string>> {
  const note = (at: string) => {
    const seen = out.get(at) ?? new Set<string>();
    seen.add(jsonType(value));
    out.set(at, seen);
  };
  note(path);
  if (Array.isArray(value)) {
    for (const item of value) instancePaths(shape, item, out, `${path}[]`);
    return out;
  }
  if (typeof value !== 'object' || value === null) return out;
  const record = value as Record<string, unknown>;
  let at = path;
  if (shape.get(path)?.object === undefined) {
    const branch = [...shape.keys()].find((k) => {
      const m = k.startsWith(path) ? /^\(([^=()]+)=([^()]*)\)$/.exec(k.slice(path.length)) : null;
      return m !== null && String(record[m[1]!]) === m[2];
    });
    if (branch === undefined) return out;
    at = branch;
    note(at);
  }
  for (const [key, v] of Object.entries(record)) instancePaths(shape, v, out, `${at}.${key}`);
  return out;
}
