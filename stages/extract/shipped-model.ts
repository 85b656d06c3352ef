/**
 * Weights fitted offline and shipped beside the code as JSON (run-model.json, region-model.json).
 * A file missing, unreadable or fitted on other features gives null: the extractor then runs on its
 * rules alone rather than read weights against the wrong features (the tests check both load).
 */
import { readFileSync } from 'node:fs';

const cache = new Map<string, unknown>();

/** The model in `file` (next to this module) if its feature list is `features`, else null; read once. */
export function shippedModel<M extends { features: string[] }>(file: string, features: readonly string[]): M | null {
  if (cache.has(file)) return cache.get(file) as M | null;
  let model: M | null = null;
  try {
    const m = JSON.parse(readFileSync(new URL(`./${file}`, import.meta.url), 'utf8')) as M;
    model = m.features.join(',') === features.join(',') ? m : null;
  } catch {
    model = null;
  }
  cache.set(file, model);
  return model;
}
