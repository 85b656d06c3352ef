/**
 * Which configured thresholds belong to which signal column: read from the stages' own rules
 * (Stage.rules, pipeline/stages.ts `documentRules`), the same list that decides in the run and
 * that `corpus filter-sql` prints, so the report draws exactly the lines the run cut at.
 */
import { type Config, ConfigError, defaultConfig, mergeConfig } from '../config.ts';
import { documentRules } from '../stages.ts';

export interface Threshold {
  /** Config path, e.g. 'quality.minWords' (or `<stage>.<reason>` for a rule with no single setting). */
  key: string;
  bound: 'min' | 'max';
  value: number;
}

/**
 * The min/max rules of a run's recorded config (manifest.json), column by column. None when the run
 * recorded no config or one this version cannot read: the report then draws no line rather than
 * today's defaults, which may not be what the run cut at.
 */
export function runThresholds(config: unknown): Map<string, Threshold[]> {
  const out = new Map<string, Threshold[]>();
  if (config === undefined || config === null) return out;
  let full: Config;
  try {
    full = mergeConfig(structuredClone(defaultConfig), config);
  } catch (e) {
    if (e instanceof ConfigError) return out; // a config of another version: no lines rather than wrong ones
    throw e;
  }
  for (const { stage, rules } of documentRules(full)) {
    for (const r of rules) {
      if ((r.kind !== 'min' && r.kind !== 'max') || !Number.isFinite(r.threshold)) continue;
      const list = out.get(r.column) ?? [];
      list.push({ key: r.setting ?? `${stage}.${r.reason}`, bound: r.kind, value: r.threshold });
      out.set(r.column, list);
    }
  }
  return out;
}

const cache = new WeakMap<object, Map<string, Threshold[]>>();

/** Thresholds of the run's config on `column` (the rules are worked out once per config object). */
export function thresholdsFor(column: string, config: unknown): Threshold[] {
  if (typeof config !== 'object' || config === null) return runThresholds(config).get(column) ?? [];
  let byColumn = cache.get(config);
  if (!byColumn) cache.set(config, (byColumn = runThresholds(config)));
  return byColumn.get(column) ?? [];
}

/** True when a value falls outside any of the thresholds (what the filter would drop). */
export function violates(value: number, thresholds: Threshold[]): boolean {
  return thresholds.some((t) => (t.bound === 'min' ? value < t.value : value > t.value));
}
