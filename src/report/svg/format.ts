/** Tick and annotation labels for plots: powers of ten with superscripts, compact numbers. */

const SUPERSCRIPT: Readonly<Record<string, string>> = {
  '0': '⁰',
  '1': '¹',
  '2': '²',
  '3': '³',
  '4': '⁴',
  '5': '⁵',
  '6': '⁶',
  '7': '⁷',
  '8': '⁸',
  '9': '⁹',
  '-': '⁻',
};

export function superscript(n: number): string {
  return String(n).replace(/[-0-9]/g, (c) => SUPERSCRIPT[c]!);
}

/** 10^k as "10ᵏ" (1 and 10 written plainly). */
export function powerOfTen(k: number): string {
  if (k === 0) return '1';
  if (k === 1) return '10';
  return `10${superscript(k)}`;
}

/**
 * A number for a label: plain decimals between 1e-3 and 1e5, else "m×10ᵏ". `digits`
 * significant digits, trailing zeros dropped.
 */
export function formatLabel(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e5) return String(Number(x.toPrecision(digits)));
  const k = Math.floor(Math.log10(a));
  let m = Number((x / 10 ** k).toPrecision(digits));
  let e = k;
  if (Math.abs(m) >= 10) {
    m /= 10;
    e += 1;
  }
  return m === 1 ? powerOfTen(e) : m === -1 ? `−${powerOfTen(e)}` : `${m}×${powerOfTen(e)}`;
}
