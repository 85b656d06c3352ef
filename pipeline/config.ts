/**
 * One typed config for a run. Each stage owns its section (type + defaults with their sources,
 * exported from the stage's module); this file only assembles them, loads user overrides from JSON
 * and rejects unknown keys with a message that names them. The run records the config it used in
 * manifest.json.
 */
import { readFileSync } from 'node:fs';
import { compileSiteRules, extractDefaults, type ExtractConfig } from '../stages/extract/index.ts';
import { langidDefaults, type LangidConfig } from '../stages/langid/index.ts';
import { qualityDefaults, type QualityConfig } from '../stages/quality/index.ts';
import { readDefaults, type ReadConfig } from '../stages/read/index.ts';
import { safetyDefaults, type SafetyConfig } from '../stages/safety/index.ts';
import { writeDefaults, type WriteConfig } from '../stages/write/config.ts';
import { fetchDefaults, type FetchConfig } from '../stages/fetch/config.ts';
import { imagesDefaults, type ImagesConfig } from '../stages/images/config.ts';
import { dedupDefaults, type DedupConfig } from '../stages/dedup/index.ts';
import { coherenceDefaults, type CoherenceConfig } from '../stages/coherence/index.ts';
import { pixelsDefaults, type PixelsConfig } from '../stages/pixels/index.ts';
import { tokenizeDefaults, type TokenizeConfig } from '../stages/tokenize/index.ts';
import { positionsDefaults, type PositionsConfig } from '../stages/positions/index.ts';
import { packDefaults, type PackConfig } from '../stages/pack/index.ts';
import { UserError } from '../stages/lib/errors.ts';

export interface RunConfig {
  /** Stop after this many pages per run (0 = no limit); for trying things out. */
  limit: number;
  /** In-unit checkpoint every this many bytes of an archive (0 = none): a killed run redoes at most this much of a file. */
  checkpointBytes: number;
  /**
   * A gzip WARC larger than 1.5x this is cut at record starts into parts of about this size, each a
   * unit of work (stages/read/parts.ts), so that one big file uses every worker; 0 = never cut. The
   * cuts depend on the file and this value only, so the rows do not depend on --workers.
   */
  partBytes: number;
}

export interface Config {
  run: RunConfig;
  read: ReadConfig;
  extract: ExtractConfig;
  langid: LangidConfig;
  quality: QualityConfig;
  safety: SafetyConfig;
  write: WriteConfig;
  fetch: FetchConfig;
  images: ImagesConfig;
  dedup: DedupConfig;
  coherence: CoherenceConfig;
  pixels: PixelsConfig;
  tokenize: TokenizeConfig;
  positions: PositionsConfig;
  pack: PackConfig;
}

export const defaultConfig: Config = {
  run: { limit: 0, checkpointBytes: 64 * 1024 * 1024, partBytes: 128 * 1024 * 1024 }, // checkpoints: 64 MiB, ~10-20 s of work lost at most per killed worker; parts: a 1 GB Common Crawl WARC in 8
  read: readDefaults,
  extract: extractDefaults,
  langid: langidDefaults,
  quality: qualityDefaults,
  safety: safetyDefaults,
  write: writeDefaults,
  fetch: fetchDefaults,
  images: imagesDefaults,
  dedup: dedupDefaults,
  coherence: coherenceDefaults,
  pixels: pixelsDefaults,
  tokenize: tokenizeDefaults,
  positions: positionsDefaults,
  pack: packDefaults,
};

export class ConfigError extends UserError {
  readonly code = 'ERR_CONFIG';
}

type Json = Record<string, unknown>;

/** Keys that moved: a config written for an older version gets told where, not just "unknown key". */
const MOVED_KEYS: Record<string, string> = {
  'quality.minImages': 'pixels.minImagesPerDoc (it counts only images that kept their pixels)',
  'quality.maxImages': 'pixels.maxImagesPerDoc (it counts only images that kept their pixels)',
};

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Deep-merge `override` into `base`; unknown keys and type mismatches are errors naming the path. */
export function mergeConfig<T>(base: T, override: unknown, path = ''): T {
  if (override === undefined) return base;
  if (!isObject(base)) {
    const bt = Array.isArray(base) ? 'array' : base === null ? 'null' : typeof base;
    const ot = Array.isArray(override) ? 'array' : override === null ? 'null' : typeof override;
    if (base !== null && bt !== ot) throw new ConfigError(`config ${path || '(root)'}: expected ${bt}, got ${ot}`);
    return override as T;
  }
  if (!isObject(override)) throw new ConfigError(`config ${path || '(root)'}: expected an object`);
  const out: Json = { ...(base as Json) };
  for (const [k, v] of Object.entries(override)) {
    const p = path ? `${path}.${k}` : k;
    if (!(k in out)) {
      if (MOVED_KEYS[p]) throw new ConfigError(`config ${p}: moved to ${MOVED_KEYS[p]}`);
      throw new ConfigError(`config ${p}: unknown key (known: ${Object.keys(out).join(', ')})`);
    }
    out[k] = mergeConfig(out[k], v, p);
  }
  return out as T;
}

export function loadConfig(file?: string, overrides?: unknown): Config {
  let cfg = structuredClone(defaultConfig);
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new ConfigError(`cannot read config file ${file}: check the path given to --config`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`config file ${file} is not valid JSON: ${(e as Error).message}`);
    }
    cfg = mergeConfig(cfg, json);
  }
  if (overrides) cfg = mergeConfig(cfg, overrides);
  try {
    compileSiteRules(cfg.extract.siteRules); // checked here so that a bad selector is a one-line error before any page
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  // CORPUS_OFFLINE=1: never fetch images over HTTP (WARC records and the cache only). The test suite
  // sets it so that runs over real archives never reach for the hosts their pages link to.
  if (process.env.CORPUS_OFFLINE === '1') cfg.images.offline = true;
  return cfg;
}
