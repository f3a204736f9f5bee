/**
 * Scales map data values to SVG coordinates and choose their ticks. Linear ticks are
 * "nice" steps (1, 2, 5 × 10ᵏ, as in Heckbert, "Nice numbers for graph labels", Graphics
 * Gems 1990); log ticks sit on powers of ten, with 2× and 5× added when the axis spans
 * less than two decades and thinned when it spans many.
 */
import { formatLabel, powerOfTen } from './format.js';

export interface Tick {
  readonly value: number;
  /** Empty for minor ticks. */
  readonly label: string;
}

export interface Scale {
  readonly kind: 'linear' | 'log';
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
  /** Data value → coordinate (log scales: values ≤ 0 map to the range start). */
  map(v: number): number;
  ticks(): Tick[];
}

export function linearScale(domain: readonly [number, number], range: readonly [number, number], tickCount = 5): Scale {
  let [d0, d1] = domain;
  if (!(d1 > d0)) d1 = d0 + (d0 === 0 ? 1 : Math.abs(d0) * 0.1);
  const [r0, r1] = range;
  const k = (r1 - r0) / (d1 - d0);
  return {
    kind: 'linear',
    domain: [d0, d1],
    range,
    map: (v) => r0 + (v - d0) * k,
    ticks: () => linearTicks(d0, d1, tickCount),
  };
}

export function logScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  let [d0, d1] = domain;
  if (!(d0 > 0)) d0 = d1 > 0 ? d1 / 10 : 1;
  if (!(d1 > d0)) d1 = d0 * 10;
  const a = Math.log10(d0);
  const b = Math.log10(d1);
  const [r0, r1] = range;
  const k = (r1 - r0) / (b - a);
  return {
    kind: 'log',
    domain: [d0, d1],
    range,
    map: (v) => (v > 0 ? r0 + (Math.log10(v) - a) * k : r0),
    ticks: () => logTicks(d0, d1),
  };
}

export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

function linearTicks(d0: number, d1: number, count: number): Tick[] {
  const step = niceStep(d1 - d0, count);
  const first = Math.ceil(d0 / step - 1e-9);
  const last = Math.floor(d1 / step + 1e-9);
  const ticks: Tick[] = [];
  for (let i = first; i <= last; i++) {
    const v = i * step;
    // Round away binary noise (0.30000000000000004) before labelling.
    const clean = Number(v.toPrecision(12));
    ticks.push({ value: clean, label: formatLabel(clean, 3) });
  }
  return ticks;
}

function logTicks(d0: number, d1: number): Tick[] {
  const a = Math.log10(d0);
  const b = Math.log10(d1);
  const k0 = Math.ceil(a - 1e-9);
  const k1 = Math.floor(b + 1e-9);
  const decades = k1 - k0 + 1;
  const ticks: Tick[] = [];
  if (b - a < 2) {
    // Short axes: 1, 2, 5 × 10ᵏ, labelled, so there are always a few labels.
    for (let k = Math.floor(a); k <= Math.ceil(b); k++) {
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** k;
        if (v >= d0 * (1 - 1e-9) && v <= d1 * (1 + 1e-9)) ticks.push({ value: v, label: formatLabel(v, 2) });
      }
    }
    return ticks;
  }
  const stride = Math.max(1, Math.ceil(decades / 7));
  for (let k = k0; k <= k1; k++) {
    const labelled = (k - k0) % stride === 0;
    ticks.push({ value: 10 ** k, label: labelled ? powerOfTen(k) : '' });
  }
  // Unlabelled minor ticks at 2…9 × 10ᵏ while there is room for them.
  if (decades <= 6) {
    for (let k = k0 - 1; k <= k1; k++) {
      for (let m = 2; m <= 9; m++) {
        const v = m * 10 ** k;
        if (v > d0 && v < d1) ticks.push({ value: v, label: '' });
      }
    }
  }
  return ticks;
}
