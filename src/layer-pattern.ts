/**
 * How a layer pattern matches a name, the same for --layers, --exclude, --gate-layers and
 * the config file's "layers": a pattern with glob characters is a glob (`*` also crosses
 * `.` and `/`); a plain word matches any part of the name, case-insensitively, as
 * `plot --layer` does (`fc1` finds `model.fc1.weight`).
 */
import picomatch from 'picomatch';

const GLOB_CHARS = /[*?[\]{}!()|+@]/;

/** True when `pattern` is a glob rather than a plain part of a name. */
export function isGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}

/** One matcher for one pattern. */
export function patternMatcher(pattern: string): (name: string) => boolean {
  if (isGlob(pattern)) return picomatch(pattern, { bash: true, dot: true });
  const part = pattern.toLowerCase();
  return (name) => name.toLowerCase().includes(part);
}

/** True when any of `patterns` matches `name`; undefined for no patterns (everything passes). */
export function patternsMatcher(patterns: readonly string[] | undefined): ((name: string) => boolean) | undefined {
  if (patterns === undefined || patterns.length === 0) return undefined;
  const each = patterns.map(patternMatcher);
  return (name) => each.some((m) => m(name));
}
