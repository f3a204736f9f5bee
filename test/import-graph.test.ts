/**
 * The layering of ARCHITECTURE.md, checked on the source itself: no import cycle among src/
 * files, and the core (everything but report/, commands/, cli.ts and the library entry
 * index.ts) never imports a reporter or a command; reporters never import commands. Also its
 * house rules: no src/ file over 400 lines, no line over 120 characters.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const SRC = join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.as.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative specifiers of static imports, re-exports and dynamic imports. */
function importSpecifiers(text: string): string[] {
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\sfrom\s*['"](\.[^'"]+)['"]/g,
    /\bimport\s*['"](\.[^'"]+)['"]/g,
    /\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[1]!);
  return out;
}

/** src-relative path → the src-relative paths it imports (only those that are src .ts files). */
function importGraph(): Map<string, string[]> {
  const files = sourceFiles(SRC);
  const known = new Set(files.map((f) => relative(SRC, f)));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const edges: string[] = [];
    for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec);
      const candidates = [target.replace(/\.js$/, '.ts'), `${target}.ts`, join(target, 'index.ts')].map((c) =>
        relative(SRC, c),
      );
      const hit = candidates.find((c) => known.has(c));
      if (hit !== undefined) edges.push(hit);
    }
    graph.set(relative(SRC, file), edges);
  }
  return graph;
}

/** One cycle as a path a → … → a, or undefined (iterative DFS, white/grey/black). */
function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 'grey' | 'black'>();
  for (const start of graph.keys()) {
    if (state.has(start)) continue;
    const stack: { node: string; next: number }[] = [{ node: start, next: 0 }];
    state.set(start, 'grey');
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const edges = graph.get(top.node) ?? [];
      if (top.next >= edges.length) {
        state.set(top.node, 'black');
        stack.pop();
        continue;
      }
      const to = edges[top.next++]!;
      const s = state.get(to);
      if (s === 'grey') {
        const path = stack.map((f) => f.node);
        return [...path.slice(path.indexOf(to)), to];
      }
      if (s === undefined) {
        state.set(to, 'grey');
        stack.push({ node: to, next: 0 });
      }
    }
  }
  return undefined;
}

const MAX_LINES = 400;
const MAX_WIDTH = 120;
/** Generated sources, exempt from the house rules (*.as.ts never reach sourceFiles()). */
const GENERATED = new Set(['spectrum/wasm/kernels.wasm.ts']);

/** `file:line (n chars)` for every line over MAX_WIDTH characters, `file: n lines` when over MAX_LINES. */
function houseRuleViolations(file: string, text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out: string[] = [];
  if (lines.length > MAX_LINES) out.push(`${file}: ${lines.length} lines (max ${MAX_LINES})`);
  lines.forEach((line, i) => {
    const width = [...line].length; // characters (code points), as grep and awk count them
    if (width > MAX_WIDTH) out.push(`${file}:${i + 1} (${width} chars)`);
  });
  return out;
}

const isReport = (f: string) => f.startsWith('report/');
const isCommand = (f: string) => f.startsWith('commands/');
const isShell = (f: string) => isReport(f) || isCommand(f) || f === 'cli.ts' || f === 'index.ts';

describe('import graph of src/', () => {
  const graph = importGraph();

  it('covers the source tree', () => {
    expect(graph.size).toBeGreaterThan(80);
    expect(graph.get('analyze.ts')).toContain('schema/index.ts');
  });

  it('has no cycle', () => {
    const cycle = findCycle(graph);
    expect(cycle, cycle ? `import cycle: ${cycle.join(' → ')}` : '').toBeUndefined();
  });

  it('the core imports neither report/ nor commands/; report/ never imports commands/', () => {
    const wrong: string[] = [];
    for (const [file, edges] of graph) {
      for (const to of edges) {
        if (!isShell(file) && (isReport(to) || isCommand(to))) wrong.push(`${file} → ${to}`);
        if (isReport(file) && isCommand(to)) wrong.push(`${file} → ${to}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('only cli.ts and commands/ write to the console or the process streams', () => {
    const talk = /\bconsole\.|\bprocess\.std(?:out|err)\b/;
    const wrong = [...graph.keys()].filter(
      (f) => !isCommand(f) && f !== 'cli.ts' && talk.test(readFileSync(join(SRC, f), 'utf8')),
    );
    expect(wrong).toEqual([]);
  });

  it('the checks can fail: a planted cycle and a planted upward import are found', () => {
    expect(
      findCycle(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', ['c.ts']],
          ['c.ts', ['a.ts']],
          ['d.ts', []],
        ]),
      ),
    ).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
    expect(
      findCycle(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', []],
        ]),
      ),
    ).toBeUndefined();
    expect(
      importSpecifiers("import type { A } from '../report/json.js';\nexport * from './x.js';\nawait import('./y.js');"),
    ).toEqual(['../report/json.js', './x.js', './y.js']);
  });
});

describe('house rules', () => {
  it(`no src/ file over ${MAX_LINES} lines, no line over ${MAX_WIDTH} characters (generated files excepted)`, () => {
    const files = sourceFiles(SRC)
      .map((f) => relative(SRC, f))
      .filter((f) => !GENERATED.has(f));
    expect(files.length).toBeGreaterThan(80);
    const wrong = files.flatMap((f) => houseRuleViolations(f, readFileSync(join(SRC, f), 'utf8')));
    expect(wrong, `house rules broken:\n${wrong.join('\n')}`).toEqual([]);
  });

  it('the check can fail: a long line and a long file are found, characters counted not bytes', () => {
    expect(houseRuleViolations('x.ts', `ok\n${'a'.repeat(121)}\n${'λ'.repeat(120)}\n`)).toEqual(['x.ts:2 (121 chars)']);
    expect(houseRuleViolations('y.ts', 'a\n'.repeat(MAX_LINES))).toEqual([]);
    expect(houseRuleViolations('y.ts', 'a\n'.repeat(MAX_LINES + 1))).toEqual(['y.ts: 401 lines (max 400)']);
  });
});
