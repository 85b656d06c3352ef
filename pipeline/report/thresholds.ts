/**
 * Which configured thresholds belong to which signal column, found by name so that the report needs
 * no list of stages: a numeric config key with a min/max prefix or suffix (`quality.minWords`,
 * `images.nsfwPornMax`, `langid.minScore`) belongs to a column whose name ends with the rest of the
 * key (`num_words`, `images_nsfw_porn_max`, `lang_score`), when what is left of the column name is
 * nothing, `num`, or a word the stage's section name starts with (`lang` of `langid`). Only keys
 * directly in a section count.
 */

export interface Threshold {
  /** Config path, e.g. 'quality.minWords'. */
  key: string;
  bound: 'min' | 'max';
  value: number;
}

function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** Numeric leaves of a config object with their dotted paths (arrays are skipped: per-language overrides and lists). */
function numericLeaves(obj: unknown, path: string[] = []): { path: string[]; value: number }[] {
  if (typeof obj === 'number' && Number.isFinite(obj)) return [{ path, value: obj }];
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return [];
  return Object.entries(obj).flatMap(([k, v]) => numericLeaves(v, [...path, k]));
}

function endsWith(col: string[], tail: string[]): boolean {
  if (tail.length === 0 || tail.length > col.length) return false;
  return tail.every((w, i) => col[col.length - tail.length + i] === w);
}

/** Thresholds of the run's config that name `column` (see the module comment for the rule). */
export function thresholdsFor(column: string, config: unknown): Threshold[] {
  const col = words(column);
  const found: Threshold[] = [];
  for (const { path, value } of numericLeaves(config)) {
    // Filter thresholds sit directly in a stage's section; deeper keys are settings of a part
    // (e.g. tokenize.image.maxTiles bounds one image, not the document's num_tiles).
    if (path.length !== 2) continue;
    const section = path[0]!.toLowerCase();
    const key = words(path[path.length - 1]!);
    let bound: 'min' | 'max' | null = null;
    let rest = key;
    if (key[0] === 'min' || key[0] === 'max') [bound, rest] = [key[0], key.slice(1)];
    else if (key.at(-1) === 'min' || key.at(-1) === 'max') [bound, rest] = [key.at(-1) as 'min' | 'max', key.slice(0, -1)];
    if (!bound) continue;
    // `nsfwPornMax` may name `images_nsfw_porn_max` (the column keeps the word) or `nsfw_porn`.
    const matches = [rest, key].some((tail) => {
      if (!endsWith(col, tail)) return false;
      const prefix = col.slice(0, col.length - tail.length);
      return prefix.every((w) => w === 'num' || (w.length >= 3 && (section.startsWith(w) || w.startsWith(section))));
    });
    if (matches) found.push({ key: path.join('.'), bound, value });
  }
  return found;
}

/** True when a value falls outside any of the thresholds (what the filter would drop). */
export function violates(value: number, thresholds: Threshold[]): boolean {
  return thresholds.some((t) => (t.bound === 'min' ? value < t.value : value > t.value));
}
