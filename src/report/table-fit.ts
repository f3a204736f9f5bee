/**
 * The terminal table in a given width (issue 15, item 3): never wider than the terminal, so
 * no row wraps. In order: long layer names are shortened in the middle (the start and the
 * `.q_proj.weight` end stay), low-priority columns are dropped (DROP_ORDER), and a long
 * reason in the last column is cut with '…'. Unlimited width (piped output) changes nothing.
 */

/** The columns dropped first when the terminal is narrow, in order (the table's titles). */
export const DROP_ORDER: readonly string[] = [
  'log α-norm',
  'α̂',
  'α Hill',
  'xmin',
  'D',
  'entropy',
  'Q',
  'fit',
  'shape',
  'PR tail/bulk',
  'traps',
  'stable rank',
  'kind',
  'N×M',
  'λmax',
];

/** Layer names are not shortened below this many characters before columns are dropped. */
const NAME_COMFORT = 32;
/** Nor below this after every droppable column is gone. */
const NAME_MIN = 12;
/** Room kept for the last column (the phase names are at most 13 characters). */
const LAST_MIN = 13;
const GAP = 2;

export interface TableFit {
  /** Indices of the columns kept, in order (the first and the last are always kept). */
  readonly keep: readonly number[];
  /** Width of the first (name) column: cells longer than this are shortened in the middle. */
  readonly firstWidth: number;
  /** Width of the last column: longer cells are cut at the end. */
  readonly lastWidth: number;
}

/** Which columns fit in `width` (undefined: unlimited), and how wide the first and last are. */
export function fitTable(
  titles: readonly string[],
  rows: readonly (readonly string[])[],
  width: number | undefined,
): TableFit {
  const all = titles.map((_, i) => i);
  if (width === undefined || !Number.isFinite(width)) return { keep: all, firstWidth: Infinity, lastWidth: Infinity };
  const last = titles.length - 1;
  const natural = titles.map((t, i) => rows.reduce((m, r) => Math.max(m, r[i]!.length), t.length));
  const lastMin = Math.min(natural[last]!, Math.max(LAST_MIN, titles[last]!.length));
  const firstNatural = natural[0]!;
  const keep = [...all];
  const drops = DROP_ORDER.map((t) => titles.indexOf(t)).filter((i) => i > 0 && i < last);
  for (;;) {
    const middle = keep.slice(1, -1).reduce((s, i) => s + natural[i]!, 0) + GAP * (keep.length - 1);
    const room = width - middle;
    if (room >= firstNatural + lastMin) return { keep, firstWidth: firstNatural, lastWidth: room - firstNatural };
    const comfort = Math.min(firstNatural, NAME_COMFORT);
    if (room >= comfort + lastMin) return { keep, firstWidth: room - lastMin, lastWidth: lastMin };
    const drop = drops.shift();
    if (drop === undefined) {
      const firstWidth = Math.max(Math.min(firstNatural, NAME_MIN), room - lastMin);
      return { keep, firstWidth, lastWidth: Math.max(1, room - firstWidth) };
    }
    keep.splice(keep.indexOf(drop), 1);
  }
}

/** `model.layers.0.self_attn.q_proj.weight` → `model.layers…q_proj.weight` in `width` characters. */
export function shortenMiddle(s: string, width: number): string {
  const chars = [...s];
  if (chars.length <= width) return s;
  if (width <= 1) return '…'.slice(0, Math.max(0, width));
  const head = Math.ceil((width - 1) / 2);
  const tail = width - 1 - head;
  return `${chars.slice(0, head).join('')}…${tail > 0 ? chars.slice(-tail).join('') : ''}`;
}

/**
 * Names shortened to `width` with one '…' at the same place in each, chosen to keep them
 * apart: the middle when that leaves them distinct, else the nearest cut that does
 * (`If_0_else…er.0.reparam_conv.weight` beside `If_0_then…`), else the middle.
 */
export function shortenNames(names: readonly string[], width: number): string[] {
  if (!Number.isFinite(width) || names.every((n) => [...n].length <= width)) return [...names];
  if (width < 3) return names.map((n) => shortenMiddle(n, width));
  const split = names.map((n) => [...n]);
  const distinct = new Set(names).size;
  const cut = (head: number) =>
    split.map((c) =>
      c.length <= width
        ? c.join('')
        : `${c.slice(0, head).join('')}…${c.slice(c.length - (width - 1 - head)).join('')}`,
    );
  const middle = Math.ceil((width - 1) / 2);
  for (let step = 0; step < width; step++) {
    for (const head of step === 0 ? [middle] : [middle - step, middle + step]) {
      if (head < 1 || head > width - 2) continue;
      const shortened = cut(head);
      if (new Set(shortened).size === distinct) return shortened;
    }
  }
  return cut(middle);
}

/** `s` cut to `width` characters, the last one '…' when anything was cut. */
export function cutEnd(s: string, width: number): string {
  const chars = [...s];
  if (chars.length <= width) return s;
  return width <= 0 ? '' : `${chars.slice(0, width - 1).join('')}…`;
}

const ANSI = /\x1b\[[0-9;]*m/g;
const visible = (s: string) => [...s.replace(ANSI, '')].length;

/**
 * Words of `text` in lines of at most `width` visible characters (colour codes do not count),
 * the first starting with `firstIndent`, the others with `indent`; a word longer than a line is
 * cut (unless coloured).
 */
export function wrapText(text: string, width: number, indent: string, firstIndent = indent): string[] {
  if (!Number.isFinite(width) || visible(firstIndent + text) <= width) return [firstIndent + text];
  const lines: string[] = [];
  let line = firstIndent;
  let lineHasWord = false;
  for (const word of text.split(' ')) {
    const next = lineHasWord ? `${line} ${word}` : line + word;
    if (lineHasWord && visible(next) > width) {
      lines.push(line);
      line = indent + word;
    } else line = next;
    lineHasWord = true;
  }
  lines.push(line);
  return lines.map((l) => (l.includes('\x1b[') ? l : cutEnd(l, width)));
}
