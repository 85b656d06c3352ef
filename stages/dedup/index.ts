/**
 * dedup (in-run): URL duplicates, near-duplicate documents (MinHash + LSH), paragraphs repeated
 * within a domain (boilerplate), duplicate images within a document and images used by many
 * documents (logos), within one unit segment (an HTML directory, a WARC file or run.checkpointBytes of it), so rows never
 * depend on scheduling or resumes; across units, `corpus dedup` decides. The stage also writes the signals the global pass (`corpus dedup`) joins across
 * shards: url_norm, minhash, fetched_ms, and what it removed in-run.
 *
 * Documents are processed one at a time (concurrency 1): in-run decisions depend on what came before.
 */
import type { ColumnSpec, Doc, Segment } from '../../schemas/doc.ts';
import { docStage, drop, type StageContext } from '../../pipeline/stage.ts';
import { bandKey64, lshThreshold, candidateProbability, MinHasher, minMatches, signatureKey64 } from './minhash.ts';
import { domainParagraphKey, imageKey, paragraphMd5 } from './keys.ts';
import { hamming, parsePhash } from '../lib/phash.ts';
import { fetchMs, isBetter, RunDedupState, type IndexedDoc } from './run-index.ts';
import { trackingParamPatterns, urlKey } from './url.ts';

export interface DedupConfig {
  url: {
    enabled: boolean;
    /** Query parameters dropped from the URL key (regex sources, whole name, case-insensitive). */
    trackingParams: string[];
  };
  nearDup: {
    enabled: boolean;
    /** Words per shingle. */
    ngram: number;
    /** LSH bands x rows per band = hash functions per signature. */
    bands: number;
    rowsPerBand: number;
    /** Estimated Jaccard similarity (agreeing signature positions / k) at or above which two docs are duplicates. */
    threshold: number;
    seed: number;
  };
  paragraphs: {
    enabled: boolean;
    /** A paragraph in more than this many documents of one domain is boilerplate and removed. */
    maxDocsPerDomain: number;
  };
  images: {
    enabled: boolean;
    /** An image in more than this many documents is a logo/icon and removed from documents. */
    logoMaxDocs: number;
    /** Perceptual hashes within this many bits (of 64) are the same picture. */
    phashMaxDistance: number;
  };
  /**
   * Drop URL and near duplicates in-run (true), or only mark them (dup_of) and leave every decision
   * to `corpus dedup`, whose threshold can then be raised as well as lowered without reprocessing.
   */
  dropInRun: boolean;
  /** Memory bound of the in-run index: documents (URL and MinHash) and counted keys kept at most. */
  maxIndexedDocs: number;
  maxCountedKeys: number;
}

/** The config sections the in-run dedup reads. */
export type DedupNeeds = { dedup: DedupConfig };

export const dedupDefaults: DedupConfig = {
  url: {
    enabled: true, // OBELICS 08_*: one document per URL, the most recent crawl kept
    // Click/campaign trackers that never change the page (Google, Facebook, Microsoft, Mailchimp, Yandex, Instagram).
    trackingParams: ['utm_\\w+', 'fbclid', 'gclid', 'dclid', 'msclkid', 'mc_cid', 'mc_eid', 'yclid', '_ga', 'igshid'],
  },
  nearDup: {
    enabled: true,
    ngram: 5, // datatrove MinhashConfig n_grams=5; OBELICS 5-grams
    // 16 x 7 = 112 hash functions, as datatrove's 14 x 8 but with the LSH S-curve moved down:
    // (1/16)^(1/7) = 0.67 (datatrove: 0.72), P(candidate | J=0.7/0.8) = 0.747/0.977 (datatrove: 0.565/0.924).
    bands: 16,
    rowsPerBand: 7,
    // Chosen on the fit half of the dev collection (scripts/eval-dedup-dev.ts; 1,684 fit / 1,566 check
    // pages x 9 variants): best F1 against exact J >= 0.7 at 0.7 (check: P 0.945, R 0.924; 0.8 gave
    // R 0.654). A copy with 3% of its words changed (J ~ 0.76) is caught 79% of the time, not 27%.
    // 28 x 4 banding was +0.007 F1 for 1.75x the index entries: not worth it. (OmniCorpus used 0.8.)
    threshold: 0.7,
    seed: 1, // datatrove seed=1
  },
  paragraphs: {
    enabled: true,
    maxDocsPerDomain: 2, // OBELICS 09_*: paragraphs seen more than twice in a domain are removed
  },
  images: {
    enabled: true,
    logoMaxDocs: 10, // OBELICS THRESHOLD_TOO_DUPLICATED = 10
    // pHash of a resized / re-encoded copy differs by a few bits; 4 of 64 keeps distinct pictures apart.
    phashMaxDistance: 4,
  },
  dropInRun: true, // OmniCorpus: dedup early, before the expensive stages downstream
  // ~1.1 kB per indexed document (signature 448 B + 16 band entries + URL key), so ~2 GB at the cap;
  // past it, in-run lookups go on and `corpus dedup` still finds everything.
  maxIndexedDocs: 2_000_000,
  maxCountedKeys: 20_000_000,
};

export const DEDUP_COLUMNS: ColumnSpec[] = [
  { name: 'url_norm', type: 'VARCHAR', description: 'URL dedup key: normalised URL (https, host case, default port, www, fragment, tracking parameters, sorted query)' },
  { name: 'fetched_ms', type: 'DOUBLE', description: 'fetch time in ms since 1970 (from fetched_at); duplicates keep the latest, then the smallest doc_id' },
  { name: 'minhash', type: 'UINTEGER[]', description: 'MinHash signature: bands x rowsPerBand minima of 32-bit hashes of word n-gram shingles (dedup.nearDup); null without words' },
  { name: 'dup_of', type: 'VARCHAR', description: 'duplicates (dropped, or only marked when dedup.dropInRun is false): doc_id of the better duplicate seen in this run' },
  { name: 'dup_similarity', type: 'DOUBLE', description: 'estimated Jaccard similarity with dup_of (1 for a URL duplicate)' },
  { name: 'supersedes', type: 'VARCHAR', description: 'kept doc that is a better duplicate of an earlier one (the global pass removes that one)' },
  { name: 'boilerplate_paras', type: 'INTEGER', description: 'paragraphs removed in-run: seen in more than paragraphs.maxDocsPerDomain documents of the domain' },
  { name: 'boilerplate_md5', type: 'VARCHAR[]', description: 'md5 of the paragraphs removed in-run (so the global pass still counts them)' },
  { name: 'dup_images_removed', type: 'INTEGER', description: 'images removed in-run because an earlier image of the same doc is the same (image_id or pHash)' },
  { name: 'logo_images_removed', type: 'INTEGER', description: 'images removed in-run because they appear in more than images.logoMaxDocs documents' },
  { name: 'removed_image_ids', type: 'VARCHAR[]', description: 'image_id of every image removed in-run' },
];

/**
 * Side table `dedup_bands`: one row per LSH band of every signature, sorted by (b, bk) in small row
 * groups, so an index task of `corpus dedup` reads only the band-key ranges it owns (DuckDB skips the
 * other row groups by their statistics) instead of every signature of every shard — the layout of
 * datatrove's per-band signature files. The keys are hashes: the global pass verifies candidates
 * against the signatures themselves.
 */
export const DEDUP_BANDS = 'dedup_bands';
export const DEDUP_BANDS_COLUMNS: ColumnSpec[] = [
  { name: 'b', type: 'SMALLINT', description: 'LSH band (0-based)' },
  { name: 'bk', type: 'UBIGINT', description: 'band key: 64-bit hash of the band\'s rows of the signature' },
  { name: 'sh', type: 'UBIGINT', description: 'signature key: 64-bit hash of the whole signature' },
  { name: 'doc_id', type: 'VARCHAR', description: 'the document (in docs or rejects of the same shard)' },
];

export const DEDUP_STATE = 'dedup:state';

/** The expected behaviour of a banding, for docs and the eval. */
export function describeBanding(c: DedupConfig['nearDup']): string {
  const p = (s: number) => candidateProbability(s, c.bands, c.rowsPerBand).toFixed(3);
  return (
    `${c.bands} bands x ${c.rowsPerBand} rows = ${c.bands * c.rowsPerBand} hashes; LSH threshold ` +
    `${lshThreshold(c.bands, c.rowsPerBand).toFixed(3)}; P(candidate | J=0.5/0.7/0.8/0.9) = ${p(0.5)}/${p(0.7)}/${p(0.8)}/${p(0.9)}; ` +
    `duplicate when >= ${minMatches(c.threshold, c.bands * c.rowsPerBand)} positions agree (J_est >= ${c.threshold})`
  );
}

interface Prepared {
  /** The unit segment the state belongs to (StageContext.segment). */
  segment: string | null;
  state: RunDedupState;
  hasher: MinHasher;
  tracking: RegExp[];
}

/**
 * The in-run state of one unit segment (kept in `resources`, renewed when the segment changes; see
 * StageContext.segment). Scoped so that rows never depend on which worker, rank or order ran a unit,
 * nor on where a killed run resumed: `--workers 2`, `--world-size n`, a resumed run and one process
 * write the same rows. Duplicates across segments, units and machines are what `corpus dedup` finds,
 * over the signatures every unit writes.
 */
export function runState(config: DedupNeeds, resources: Map<string, unknown>, segment: string | null = null): Prepared {
  let p = resources.get(DEDUP_STATE) as Prepared | undefined;
  if (!p || (segment !== null && p.segment !== segment)) {
    const c = config.dedup;
    const k = c.nearDup.bands * c.nearDup.rowsPerBand;
    p = {
      segment,
      state: new RunDedupState({
        bands: c.nearDup.bands,
        rows: c.nearDup.rowsPerBand,
        needMatches: minMatches(c.nearDup.threshold, k),
        maxDocs: c.maxIndexedDocs,
        maxKeys: c.maxCountedKeys,
      }),
      hasher: new MinHasher(c.nearDup),
      tracking: trackingParamPatterns(c.url.trackingParams),
    };
    resources.set(DEDUP_STATE, p);
  }
  return p;
}

/** The text MinHash sees: text segments in order, one per line. */
export function docText(segments: Segment[]): string {
  let s = '';
  for (const seg of segments) if (seg.kind === 'text' && seg.text) s += (s ? '\n' : '') + seg.text;
  return s;
}

export function dedupDoc(doc: Doc, ctx: StageContext<DedupNeeds>) {
  const cfg = ctx.config.dedup;
  const { state, hasher, tracking } = runState(ctx.config, ctx.resources, ctx.segment);
  const self: IndexedDoc = { id: doc.id, fetchMs: fetchMs(doc.fetchedAt) };
  const s = doc.signals;
  s.fetched_ms = self.fetchMs;

  // Signals first: rejected duplicates keep them too, and the global pass needs them all.
  const key = cfg.url.enabled ? urlKey(doc.url, tracking) : null;
  s.url_norm = key;
  const sig = cfg.nearDup.enabled ? hasher.signature(docText(doc.segments)) : null;
  s.minhash = sig ? Array.from(sig) : null;
  if (sig && sig.length === hasher.k) {
    const sh = signatureKey64(sig);
    for (let b = 0; b < cfg.nearDup.bands; b++) ctx.emit(DEDUP_BANDS, { b, bk: bandKey64(sig, b, cfg.nearDup.rowsPerBand), sh, doc_id: doc.id });
  }

  let supersedes: string | null = null;
  let dup: { reason: string; of: string; sim: number; detail: string } | null = null;
  if (key !== null) {
    const prev = state.urls.get(key);
    if (prev && prev.id !== doc.id) {
      if (isBetter(prev.fetchMs, prev.id, self.fetchMs, self.id)) {
        dup = { reason: 'dup_url', of: prev.id, sim: 1, detail: `same URL as ${prev.id} (${key})` };
      } else supersedes = prev.id;
    }
  }
  if (sig && !dup) {
    const hit = state.nearDups.query(sig);
    if (hit && hit.id !== doc.id) {
      const sim = hit.matches / hasher.k;
      if (isBetter(hit.fetchMs, hit.id, self.fetchMs, self.id)) {
        dup = { reason: 'near_dup', of: hit.id, sim, detail: `estimated Jaccard ${sim.toFixed(3)} with ${hit.id}` };
      } else supersedes ??= hit.id;
    }
  }
  s.supersedes = supersedes;
  if (dup) {
    s.dup_of = dup.of;
    s.dup_similarity = dup.sim;
    ctx.counters.add(dup.reason === 'dup_url' ? 'dup:url' : 'dup:near');
    if (cfg.dropInRun) return drop(dup.reason, dup.detail);
  } else {
    // Only documents not worse than a known duplicate go in the index (it keeps the best per key).
    if (key !== null) state.urls.offer(key, self);
    if (sig && !state.nearDups.insert(sig, self)) ctx.counters.add('index_full');
  }
  if (supersedes) ctx.counters.add('supersedes');

  // Repeats are counted once per duplicate cluster: a doc with an earlier duplicate only reads the
  // counts (the earlier one was counted), so in-run counts never exceed global ones.
  const counted = supersedes === null && dup === null;
  let segments = doc.segments;
  if (cfg.paragraphs.enabled) segments = removeBoilerplate(doc, segments, counted, state, cfg, ctx);
  if (cfg.images.enabled) segments = removeDuplicateImages(doc, segments, counted, state, cfg, ctx);
  doc.segments = segments;
  if (cfg.paragraphs.enabled && (s.boilerplate_paras as number) > 0 && !segments.some((x) => x.kind === 'text' && x.text)) {
    return drop('boilerplate_only', `${s.boilerplate_paras} paragraphs, all repeated in ${doc.domain}`);
  }
  return doc;
}

function removeBoilerplate(
  doc: Doc,
  segments: Segment[],
  counted: boolean,
  state: RunDedupState,
  cfg: DedupConfig,
  ctx: StageContext,
): Segment[] {
  const removed: string[] = [];
  const seenInDoc = new Map<string, number>(); // md5 -> documents of the domain with it
  const out: Segment[] = [];
  for (const seg of segments) {
    if (seg.kind !== 'text' || !seg.text) {
      out.push(seg);
      continue;
    }
    const md5 = paragraphMd5(seg.text);
    let n = seenInDoc.get(md5);
    if (n === undefined) {
      const key = domainParagraphKey(doc.domain, md5);
      n = counted ? state.paragraphs.add(key) : state.paragraphs.get(key);
      seenInDoc.set(md5, n);
    }
    if (n > cfg.paragraphs.maxDocsPerDomain) removed.push(md5);
    else out.push(seg);
  }
  doc.signals.boilerplate_paras = removed.length;
  doc.signals.boilerplate_md5 = removed.length ? [...new Set(removed)] : null;
  if (removed.length) ctx.counters.add('paragraphs:boilerplate', removed.length);
  return removed.length ? out : segments;
}

function removeDuplicateImages(
  doc: Doc,
  segments: Segment[],
  counted: boolean,
  state: RunDedupState,
  cfg: DedupConfig,
  ctx: StageContext,
): Segment[] {
  const seenIds = new Set<string>();
  const seenPhashes: [number, number][] = [];
  const logoIds = new Set<string>();
  // Documents per image: each distinct image of the doc counts once.
  for (const seg of segments) {
    const id = seg.kind === 'image' ? seg.image_id : null;
    if (!id || seenIds.has(id)) continue;
    seenIds.add(id);
    const key = imageKey(id);
    const n = counted ? state.images.add(key) : state.images.get(key);
    if (n > cfg.images.logoMaxDocs) logoIds.add(id);
  }
  seenIds.clear();
  let dups = 0;
  let logos = 0;
  const removedIds: string[] = [];
  const out: Segment[] = [];
  for (const seg of segments) {
    const id = seg.kind === 'image' ? seg.image_id : null;
    if (!id) {
      out.push(seg);
      continue;
    }
    if (logoIds.has(id)) {
      logos++;
      removedIds.push(id);
      continue;
    }
    const ph = parsePhash(seg.visual?.phash);
    const samePicture =
      seenIds.has(id) || (ph !== null && seenPhashes.some((p) => hamming(p, ph) <= cfg.images.phashMaxDistance));
    if (samePicture) {
      dups++;
      removedIds.push(id);
      continue;
    }
    seenIds.add(id);
    if (ph) seenPhashes.push(ph);
    out.push(seg);
  }
  doc.signals.dup_images_removed = dups;
  doc.signals.logo_images_removed = logos;
  doc.signals.removed_image_ids = removedIds.length ? [...new Set(removedIds)] : null;
  if (dups) ctx.counters.add('images:dup_in_doc', dups);
  if (logos) ctx.counters.add('images:logo', logos);
  return removedIds.length ? out : segments;
}

export const dedupStage = docStage<Doc, Doc, DedupNeeds>({
  name: 'dedup',
  columns: DEDUP_COLUMNS,
  tables: { [DEDUP_BANDS]: DEDUP_BANDS_COLUMNS },
  tableLayouts: { [DEDUP_BANDS]: { orderBy: 'b, bk, sh, doc_id', rowGroupRows: 4096, shardRowsFactor: 32 } },
  concurrency: 1,
  async open(config, resources) {
    runState(config, resources);
  },
  process: dedupDoc,
});
