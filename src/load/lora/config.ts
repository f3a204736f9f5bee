/**
 * A PEFT adapter's `adapter_config.json` (huggingface/peft, `tuners/lora/config.py`
 * LoraConfig): which scaling each adapted module gets. Every field is checked before use;
 * the file is hostile like any other (size capped, types checked, patterns never compiled
 * as regular expressions).
 *
 * Scaling (peft `tuners/lora/layer.py`, update_layer): s = lora_alpha / r, or
 * lora_alpha / √r with `use_rslora` (Kalajdzievski 2023, rsLoRA); `rank_pattern` and
 * `alpha_pattern` override r and lora_alpha per module. peft matches a pattern key against
 * a module name as a regular expression anchored at the end after a dot; we match the key
 * literally (the name equals it or ends with "." + key), which covers the keys peft writes
 * itself (module paths) without running a regex engine on text from a file.
 */
import { FormatError } from '../../errors.js';

/** adapter_config.json is a few kilobytes; anything far larger is not one. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export interface LoraConfig {
  readonly r: number;
  readonly alpha: number;
  readonly rsLora: boolean;
  /** The base weight is stored [in, out] (GPT-2's Conv1D): ΔW is applied transposed. */
  readonly fanInFanOut: boolean;
  readonly rankPattern: ReadonlyMap<string, number>;
  readonly alphaPattern: ReadonlyMap<string, number>;
  /** DoRA adapters also rescale W's columns by a learned magnitude (not applied here). */
  readonly dora: boolean;
  readonly baseModel?: string;
}

/** Parses the text of adapter_config.json; FormatError for anything but a LoRA config. */
export function parseLoraConfig(text: string): LoraConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new FormatError('adapter_config.json is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new FormatError('adapter_config.json is not a JSON object');
  }
  const c = json as Record<string, unknown>;
  const type = c.peft_type;
  if (type !== undefined && type !== 'LORA') {
    const shown = typeof type === 'string' ? type.slice(0, 40) : JSON.stringify(type)?.slice(0, 40);
    throw new FormatError(`adapter_config.json: peft_type ${shown} is not supported (only LORA adapters)`);
  }
  const r = positive(c.r, 'r', 8);
  return {
    r,
    alpha: positive(c.lora_alpha, 'lora_alpha', 8),
    rsLora: flag(c.use_rslora, 'use_rslora'),
    fanInFanOut: flag(c.fan_in_fan_out, 'fan_in_fan_out'),
    rankPattern: pattern(c.rank_pattern, 'rank_pattern'),
    alphaPattern: pattern(c.alpha_pattern, 'alpha_pattern'),
    dora: flag(c.use_dora, 'use_dora'),
    ...(typeof c.base_model_name_or_path === 'string' ? { baseModel: c.base_model_name_or_path } : {}),
  };
}

/** The scale s of ΔW = s·B·A for `module`, and the rank its config says it has. */
export function moduleScaling(config: LoraConfig, module: string): { rank: number; scale: number } {
  const rank = matchPattern(config.rankPattern, module) ?? config.r;
  const alpha = matchPattern(config.alphaPattern, module) ?? config.alpha;
  return { rank, scale: config.rsLora ? alpha / Math.sqrt(rank) : alpha / rank };
}

/** Pattern keys that match no module (the caller says so: a key may have been meant as a regex). */
export function unmatchedPatternKeys(config: LoraConfig, modules: readonly string[]): string[] {
  const keys = [...config.rankPattern.keys(), ...config.alphaPattern.keys()];
  return [...new Set(keys)].filter((k) => !modules.some((m) => keyMatches(k, m)));
}

function matchPattern(patterns: ReadonlyMap<string, number>, module: string): number | undefined {
  // peft takes the first key that matches; Map iteration keeps the file's order.
  for (const [key, value] of patterns) if (keyMatches(key, module)) return value;
  return undefined;
}

function keyMatches(key: string, module: string): boolean {
  return module === key || module.endsWith(`.${key}`);
}

function positive(v: unknown, field: string, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new FormatError(`adapter_config.json: ${field} is ${JSON.stringify(v)?.slice(0, 40)}, not a positive number`);
  }
  return v;
}

function flag(v: unknown, field: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new FormatError(`adapter_config.json: ${field} is not true or false`);
  return v;
}

function pattern(v: unknown, field: string): Map<string, number> {
  const out = new Map<string, number>();
  if (v === undefined || v === null) return out;
  if (typeof v !== 'object' || Array.isArray(v))
    throw new FormatError(`adapter_config.json: ${field} is not an object`);
  for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
    out.set(key, positive(value, `${field}[${JSON.stringify(key).slice(0, 60)}]`, 0));
  }
  return out;
}
