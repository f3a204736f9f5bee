/**
 * The pickle machine's stack, split into frames by MARK as CPython's `_Unpickler` splits it
 * (`stack` and `metastack`: a pop never reaches below the last MARK), and the accounting that
 * bounds a hostile pickle: values on the stack, opcodes run, and how deep containers nest as
 * they are built and grown (the memo can build a container top-down, so the finished value
 * is walked once more by `walkLimited`).
 */
import { FormatError } from '../../errors.js';
import { childrenOf, type PickleValue, type PyDict, type UnpickleLimits } from './values.js';

export const isNode = (
  v: PickleValue | undefined,
): v is Exclude<PickleValue, null | boolean | number | bigint | string> => v !== null && typeof v === 'object';

/** What kind of value `v` is, for messages: None, a number, a string, a list, an object … */
export function describe(v: PickleValue): string {
  if (v === null) return 'None';
  const kind = typeof v === 'object' ? v.kind : typeof v;
  return `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
}

/** State and accounting shared by every opcode; the opcodes themselves are in machine.ts. */
export abstract class Frames {
  protected readonly stack: PickleValue[] = [];
  /** Stack heights where each open MARK began (Python's metastack). */
  protected readonly marks: number[] = [];
  /** Nesting depth of each container as built (scalars, globals and bytes are 0). */
  // Maps, not WeakMaps: everything lives as long as the machine anyway, and V8's garbage
  // collector slows down sharply with millions of WeakMap entries (ephemerons).
  // Only depths above 1 are stored: most containers hold scalars.
  private readonly depths = new Map<object, number>();
  /** Where each string or number key sits in a dict's entries (built on first use). */
  private readonly keys = new Map<PyDict, Map<string | number, number>>();
  private ops = 0;
  /** Offset of the opcode being run, for messages. */
  protected at = 0;

  constructor(protected readonly limits: UnpickleLimits) {}

  protected fail(what: string): FormatError {
    return new FormatError(`${what} at byte ${this.at}`);
  }

  charge(n: number): void {
    this.ops += n;
    if (this.ops > this.limits.maxOps) throw this.fail(`pickle runs more than ${this.limits.maxOps} opcodes`);
  }

  // --- the stack, split into frames by MARK as Python's metastack -----------------------

  protected get floor(): number {
    return this.marks.length === 0 ? 0 : this.marks[this.marks.length - 1]!;
  }

  protected push(v: PickleValue): void {
    if (this.stack.length + this.marks.length >= this.limits.maxStack) {
      throw this.fail(`pickle stack holds more than ${this.limits.maxStack} values`);
    }
    this.stack.push(v);
  }

  protected pop(): PickleValue {
    if (this.stack.length <= this.floor) throw this.fail('pickle pops from an empty stack');
    return this.stack.pop()!;
  }

  protected top(): PickleValue {
    if (this.stack.length <= this.floor) throw this.fail('pickle pops from an empty stack');
    return this.stack[this.stack.length - 1]!;
  }

  protected popMark(): PickleValue[] {
    const mark = this.marks.pop();
    if (mark === undefined) throw this.fail('pickle has no MARK to pop');
    return this.stack.splice(mark);
  }

  // --- nesting depth, counted as values are built and grown ------------------------------

  protected depthOf(v: PickleValue): number {
    if (!isNode(v) || v.kind === 'global' || v.kind === 'bytes') return 0;
    return this.depths.get(v) ?? 1;
  }

  /** Records that `container` holds `items` (now or from now on), and checks the limit. */
  protected holds(container: object, items: readonly PickleValue[]): void {
    let d = this.depths.get(container) ?? 1;
    for (const item of items) if (item !== container) d = Math.max(d, this.depthOf(item) + 1);
    if (d > this.limits.maxDepth) throw this.fail(`pickle nests deeper than ${this.limits.maxDepth} levels`);
    if (d > 1) this.depths.set(container, d);
  }

  protected made<T extends PickleValue>(v: T): T {
    if (isNode(v) && v.kind === 'dict') this.keyIndex(v);
    if (isNode(v) && v.kind !== 'global' && v.kind !== 'bytes') this.holds(v, childrenOf(v));
    return v;
  }

  /**
   * The key index of `dict`; building it keeps the first place and the last value of a
   * string or number key written twice, as Python's dict does (other keys are kept as written).
   */
  private keyIndex(dict: PyDict): Map<string | number, number> {
    let index = this.keys.get(dict);
    if (index === undefined) {
      index = new Map();
      const kept: [PickleValue, PickleValue][] = [];
      for (const entry of dict.entries) {
        const key = entry[0];
        if (typeof key === 'string' || typeof key === 'number') {
          const i = index.get(key);
          if (i !== undefined) {
            kept[i] = entry;
            continue;
          }
          index.set(key, kept.length);
        }
        kept.push(entry);
      }
      if (kept.length !== dict.entries.length) {
        dict.entries.length = 0;
        for (const entry of kept) dict.entries.push(entry);
      }
      this.keys.set(dict, index);
    }
    return index;
  }

  /** `dict[key] = value` for each key, value in `items`. */
  protected setEntries(dict: PyDict, items: readonly PickleValue[]): void {
    const index = this.keyIndex(dict);
    for (let i = 0; i + 1 < items.length; i += 2) {
      const key = items[i]!;
      const at = typeof key === 'string' || typeof key === 'number' ? index.get(key) : undefined;
      if (at !== undefined) dict.entries[at] = [key, items[i + 1]!];
      else {
        if (typeof key === 'string' || typeof key === 'number') index.set(key, dict.entries.length);
        dict.entries.push([key, items[i + 1]!]);
      }
    }
  }
}
