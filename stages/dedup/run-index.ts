/**
 * The in-run dedup state: what one process has seen so far, across the units it processes. It lives
 * in the runner's `resources` map (the same map is handed to every unit), so URL and near-duplicate
 * lookups work across WARC files of one run. Shards on other machines are joined later by
 * `corpus dedup`, which is the authoritative answer.
 *
 * Consistency with the global pass: the in-run stage drops a document only when it found a duplicate
 * that is strictly better by the same order the global pass uses (later fetch, then smaller doc_id),
 * through the same edge test (a shared LSH band and enough agreeing signature positions). Such a
 * document is never the best of its global cluster, so the global pass would remove it too; the
 * in-run stage can only miss duplicates, never drop one that the global pass keeps.
 */
import { bandEqual, bandKey, matchingPositions } from './minhash.ts';

/** The order of duplicates: is (aMs, aId) kept over (bMs, bId)? Later fetch wins, then smaller id. */
export function isBetter(aMs: number | null, aId: string, bMs: number | null, bId: string): boolean {
  const a = aMs ?? -Infinity;
  const b = bMs ?? -Infinity;
  if (a !== b) return a > b;
  return aId < bId;
}

/** Fetch time as ms since the epoch, or null when absent/unparseable (sorted as oldest). */
export function fetchMs(fetchedAt: string | null): number | null {
  if (!fetchedAt) return null;
  const t = Date.parse(fetchedAt);
  return Number.isFinite(t) ? t : null;
}

export interface IndexedDoc {
  id: string;
  fetchMs: number | null;
}

export interface NearDupHit extends IndexedDoc {
  /** Agreeing signature positions (the Jaccard estimate is matches / k). */
  matches: number;
}

/** LSH index over MinHash signatures: one map per band from band key to the best document seen. */
export class NearDupIndex {
  private sigs: Uint32Array;
  private ms: Float64Array;
  private readonly ids: string[] = [];
  private readonly bandMaps: Map<number, number>[];
  readonly k: number;

  constructor(
    readonly bands: number,
    readonly rows: number,
    /** Agreeing positions needed for a near duplicate (minMatches(threshold, k)). */
    readonly needMatches: number,
    /** Stop adding documents past this many (memory bound); lookups go on. */
    readonly maxDocs: number,
  ) {
    this.k = bands * rows;
    this.sigs = new Uint32Array(1024 * this.k);
    this.ms = new Float64Array(1024);
    this.bandMaps = Array.from({ length: bands }, () => new Map<number, number>());
  }

  get size(): number {
    return this.ids.length;
  }

  get full(): boolean {
    return this.ids.length >= this.maxDocs;
  }

  private sigOf(slot: number): Uint32Array {
    return this.sigs.subarray(slot * this.k, (slot + 1) * this.k);
  }

  private docOf(slot: number): IndexedDoc {
    const m = this.ms[slot]!;
    return { id: this.ids[slot]!, fetchMs: Number.isNaN(m) ? null : m };
  }

  /** The best indexed near duplicate of `sig` (shares a band and has enough agreeing positions). */
  query(sig: Uint32Array): NearDupHit | null {
    let best: NearDupHit | null = null;
    const seen = new Set<number>();
    for (let b = 0; b < this.bands; b++) {
      const slot = this.bandMaps[b]!.get(bandKey(sig, b, this.rows));
      if (slot === undefined || seen.has(slot)) continue;
      seen.add(slot);
      const other = this.sigOf(slot);
      if (!bandEqual(sig, other, b, this.rows)) continue; // a collision of band keys, not of bands
      const matches = matchingPositions(sig, other);
      if (matches < this.needMatches) continue;
      const d = this.docOf(slot);
      if (!best || isBetter(d.fetchMs, d.id, best.fetchMs, best.id)) best = { ...d, matches };
    }
    return best;
  }

  /** Index a document; each band key points at the best document seen with that key. */
  insert(sig: Uint32Array, doc: IndexedDoc): boolean {
    if (this.full) return false;
    const slot = this.ids.length;
    if ((slot + 1) * this.k > this.sigs.length) {
      const sigs = new Uint32Array(this.sigs.length * 2);
      sigs.set(this.sigs);
      this.sigs = sigs;
      const ms = new Float64Array(this.ms.length * 2);
      ms.set(this.ms);
      this.ms = ms;
    }
    this.sigs.set(sig, slot * this.k);
    this.ms[slot] = doc.fetchMs ?? NaN;
    this.ids.push(doc.id);
    for (let b = 0; b < this.bands; b++) {
      const map = this.bandMaps[b]!;
      const key = bandKey(sig, b, this.rows);
      const old = map.get(key);
      if (old === undefined) map.set(key, slot);
      else {
        const o = this.docOf(old);
        if (isBetter(doc.fetchMs, doc.id, o.fetchMs, o.id)) map.set(key, slot);
      }
    }
    return true;
  }
}

/** URL key -> best document seen under it. */
export class UrlIndex {
  private readonly map = new Map<string, IndexedDoc>();
  constructor(readonly maxDocs: number) {}
  get size(): number {
    return this.map.size;
  }
  get(key: string): IndexedDoc | undefined {
    return this.map.get(key);
  }
  /** Remember `doc` under `key` if it is better than what is there. */
  offer(key: string, doc: IndexedDoc): void {
    const old = this.map.get(key);
    if (old) {
      if (isBetter(doc.fetchMs, doc.id, old.fetchMs, old.id)) this.map.set(key, doc);
    } else if (this.map.size < this.maxDocs) this.map.set(key, doc);
  }
}

/**
 * Counts of documents per key (a paragraph within its domain, an image), with a cap on the number of
 * keys so memory stays bounded; past the cap, new keys are not counted (only fewer removals in-run).
 */
export class DocCounter {
  private readonly counts = new Map<number | string, number>();
  constructor(readonly maxKeys: number) {}
  get size(): number {
    return this.counts.size;
  }
  get(key: number | string): number {
    return this.counts.get(key) ?? 0;
  }
  /** Count one more document for `key`; returns the new count (0 when the key could not be added). */
  add(key: number | string): number {
    const n = this.counts.get(key);
    if (n !== undefined) {
      this.counts.set(key, n + 1);
      return n + 1;
    }
    if (this.counts.size >= this.maxKeys) return 0;
    this.counts.set(key, 1);
    return 1;
  }
}

/** Everything the in-run dedup stage keeps between documents and units. */
export class RunDedupState {
  readonly urls: UrlIndex;
  readonly nearDups: NearDupIndex;
  /** (domain, paragraph) -> documents, over the documents counted (first of their duplicates). */
  readonly paragraphs: DocCounter;
  /** image_id -> documents, same documents. */
  readonly images: DocCounter;
  constructor(opts: { bands: number; rows: number; needMatches: number; maxDocs: number; maxKeys: number }) {
    this.urls = new UrlIndex(opts.maxDocs);
    this.nearDups = new NearDupIndex(opts.bands, opts.rows, opts.needMatches, opts.maxDocs);
    this.paragraphs = new DocCounter(opts.maxKeys);
    this.images = new DocCounter(opts.maxKeys);
  }
}
