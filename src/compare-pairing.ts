/**
 * Which layer of OLD goes with which of NEW (issue 15, item 10). An HF checkpoint and its
 * ONNX export name the same weights differently (`lm.` prefixes, `onnx::MatMul_12`), so
 * after exact ids, in this order: `--rename FROM=TO` (an OLD id, or a prefix of OLD ids),
 * a common prefix or suffix added or removed (the most frequent rules first), and identical
 * content (same matrix size and the same spectrum: λmax and Σλ to 1e-9, unique on both sides).
 * Pure; the comparison says what was paired how.
 */
import type { LayerResult } from './schema/index.js';

export type PairedBy = 'name' | 'rename' | 'affix' | 'content';

export interface Pair {
  readonly old: LayerResult;
  readonly new: LayerResult;
  readonly by: PairedBy;
}

export interface Pairing {
  readonly pairs: readonly Pair[];
  readonly onlyOld: readonly LayerResult[];
  readonly onlyNew: readonly LayerResult[];
  /** How many pairs each way found (`affix` per rule, e.g. `OLD x → NEW lm.x`). */
  readonly how: {
    readonly name: number;
    readonly rename: number;
    readonly content: number;
    readonly affixes: readonly { readonly rule: string; readonly count: number }[];
  };
}

/** `FROM=TO` pairs, for `--rename`. */
export type Renames = readonly (readonly [string, string])[];

const SEPARATOR = /[./:_/-]/;

export function pairLayers(
  oldLayers: readonly LayerResult[],
  newLayers: readonly LayerResult[],
  renames: Renames = [],
): Pairing {
  const pairs: Pair[] = [];
  const oldLeft = new Map(oldLayers.map((l) => [l.id, l]));
  const newLeft = new Map(newLayers.map((l) => [l.id, l]));
  const take = (o: LayerResult, n: LayerResult, by: PairedBy) => {
    pairs.push({ old: o, new: n, by });
    oldLeft.delete(o.id);
    newLeft.delete(n.id);
  };
  for (const [id, o] of [...oldLeft]) {
    const n = newLeft.get(id);
    if (n) take(o, n, 'name');
  }
  let renamed = 0;
  for (const [id, o] of [...oldLeft]) {
    const target = renameOf(id, renames);
    const n = target === undefined ? undefined : newLeft.get(target);
    if (n) {
      take(o, n, 'rename');
      renamed++;
    }
  }
  const affixes: { rule: string; count: number }[] = [];
  for (const rule of affixRules([...oldLeft.keys()], [...newLeft.keys()])) {
    let count = 0;
    for (const [id, o] of [...oldLeft]) {
      if (!id.startsWith(rule.po) || !id.endsWith(rule.so) || id.length < rule.po.length + rule.so.length) continue;
      const core = id.slice(rule.po.length, id.length - rule.so.length);
      const n = newLeft.get(rule.pn + core + rule.sn);
      if (n) {
        take(o, n, 'affix');
        count++;
      }
    }
    if (count > 0) affixes.push({ rule: describeAffix(rule), count });
  }
  let content = 0;
  for (const [o, n] of contentPairs([...oldLeft.values()], [...newLeft.values()])) {
    take(o, n, 'content');
    content++;
  }
  const name = pairs.length - renamed - content - affixes.reduce((s, a) => s + a.count, 0);
  return {
    pairs,
    onlyOld: [...oldLeft.values()],
    onlyNew: [...newLeft.values()],
    how: { name, rename: renamed, content, affixes },
  };
}

/** `FROM=TO` → [FROM, TO]; undefined when there is no `=` or a side is empty. */
export function parseRename(text: string): [string, string] | undefined {
  const at = text.indexOf('=');
  if (at <= 0 || at === text.length - 1) return undefined;
  return [text.slice(0, at), text.slice(at + 1)];
}

function renameOf(id: string, renames: Renames): string | undefined {
  for (const [from, to] of renames) if (id === from) return to;
  for (const [from, to] of renames) if (id.startsWith(from)) return to + id.slice(from.length);
  return undefined;
}

/** OLD = po + core + so and NEW = pn + core + sn. */
interface Affix {
  readonly po: string;
  readonly pn: string;
  readonly so: string;
  readonly sn: string;
}

function describeAffix(a: Affix): string {
  const side = (p: string, s: string) => `${p}…${s}`;
  return `OLD ${side(a.po, a.so)} → NEW ${side(a.pn, a.sn)}`;
}

/** A core shared by more NEW ids than this (`weight`, `bias`) names no layer: no rule is read from it. */
const MAX_SHARED_CORE = 4;

/**
 * Rules that turn an unpaired OLD id into an unpaired NEW id by adding, removing or replacing
 * a prefix or a suffix cut at separators (`model.x` → `lm.model.x`), most frequent first (ties:
 * shorter affixes first). A rule must pair at least two layers and a quarter of the smaller
 * side's unpaired ones: a rule that fits one pair (`fc1.` → `fc2.`) is a coincidence.
 */
function affixRules(oldIds: readonly string[], newIds: readonly string[]): Affix[] {
  const cuts = (id: string) => {
    // [prefix, core, suffix] with the core running to one end of the id (or the whole id).
    const at = [...id].flatMap((ch, i) => (SEPARATOR.test(ch) ? [i, i + 1] : []));
    const out: [string, string, string][] = [['', id, '']];
    for (const i of at) {
      if (i > 0 && i < id.length) out.push([id.slice(0, i), id.slice(i), ''], ['', id.slice(0, i), id.slice(i)]);
    }
    return out;
  };
  const newByCore = new Map<string, [string, string][]>();
  for (const id of newIds)
    for (const [p, core, s] of cuts(id)) {
      const list = newByCore.get(core) ?? [];
      list.push([p, s]);
      newByCore.set(core, list);
    }
  const votes = new Map<string, { rule: Affix; count: number }>();
  for (const id of oldIds)
    for (const [po, core, so] of cuts(id)) {
      const list = newByCore.get(core);
      if (list === undefined || list.length > MAX_SHARED_CORE) continue;
      for (const [pn, sn] of list) {
        if (po === pn && so === sn) continue;
        const rule = { po, pn, so, sn };
        const key = JSON.stringify(rule);
        const v = votes.get(key) ?? { rule, count: 0 };
        v.count++;
        votes.set(key, v);
      }
    }
  const needed = Math.max(2, Math.ceil(0.25 * Math.min(oldIds.length, newIds.length)));
  const size = (r: Affix) => r.po.length + r.pn.length + r.so.length + r.sn.length;
  return [...votes.values()]
    .filter((v) => v.count >= needed)
    .sort((x, y) => y.count - x.count || size(x.rule) - size(y.rule))
    .map((v) => v.rule);
}

/** Analysed layers with the same matrix size and spectrum on both sides, when unique on each. */
function contentPairs(
  oldLayers: readonly LayerResult[],
  newLayers: readonly LayerResult[],
): [LayerResult, LayerResult][] {
  const key = (l: LayerResult) =>
    l.status === 'analyzed'
      ? `${l.N}×${l.M}·${l.slices}:${l.metrics.lambdaMax.toPrecision(9)}:${l.metrics.norm.toPrecision(9)}`
      : undefined;
  const index = (layers: readonly LayerResult[]) => {
    const m = new Map<string, LayerResult[]>();
    for (const l of layers) {
      const k = key(l);
      if (k !== undefined) m.set(k, [...(m.get(k) ?? []), l]);
    }
    return m;
  };
  const olds = index(oldLayers);
  const news = index(newLayers);
  const out: [LayerResult, LayerResult][] = [];
  for (const [k, o] of olds) {
    const n = news.get(k);
    if (o.length === 1 && n?.length === 1) out.push([o[0]!, n[0]!]);
  }
  return out;
}
