/** Gate failures in words, for stderr and the human-readable reports. */
import type { GateFailure, GateResult } from '../schema/index.js';

/** One line per failure, for stderr and the human-readable reports: `fc1.weight: alpha-range 2:6 (value 7.1)`. */
export function describeFailure(f: GateFailure): string {
  return `${f.layer}: ${describeViolation(f)}`;
}

/** The failure without the layer: `alpha-range 2:6 (α 7.1)`. */
export function describeViolation(f: GateFailure): string {
  return `${f.rule} (${typeof f.value === 'number' ? 'α' : 'phase'} ${formatValue(f.value)})`;
}

export function formatValue(value: string | number): string {
  return typeof value === 'number' ? String(Number(value.toPrecision(6))) : value;
}

/** `2 violations in 1 layer` */
export function failureCount(result: GateResult): string {
  const layers = new Set(result.failures.map((f) => `${f.model}\u0000${f.layer}`)).size;
  const n = result.failures.length;
  return `${n} violation${n === 1 ? '' : 's'} in ${layers} layer${layers === 1 ? '' : 's'}`;
}
