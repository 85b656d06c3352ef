/** Settings of the images stage (section `images` of the run config). Thresholds cite their source. */
export interface ImagesConfig {
  /** Never fetch over HTTP: images come only from WARC records and the cache directory. */
  offline: boolean;
  /**
   * Where to look for image records in WARC files: 'unit' = the WARC being processed (one extra
   * pass over it, scales to any number of inputs); 'inputs' = every WARC input of the run (the
   * runner provides resource 'inputFiles'; each worker indexes all of them once).
   */
  warcLookup: 'unit' | 'inputs';
  /** Directory of cached image bytes, file name = sha256(url) (see docs/images.md); null = no cache. HTTP fetches are written back. */
  cacheDir: string | null;
  /** Formats kept (sharp names; gif = first frame). OBELICS keeps jpg/jpeg/png/webp; gif and avif added per issue #4. */
  formats: string[];
  /** Images with more pixels are refused before decoding (pixel bombs). ~150 MB of RGB at most per decode. */
  maxPixels: number;
  /** OBELICS node-level filter: 150 <= width, height <= 20,000 px. */
  minSide: number;
  maxSide: number;
  /** OBELICS node-level filter: 1/2 <= w/h <= 2. */
  maxAspect: number;
  /** Store image bytes in the images table (false keeps only metadata and hashes). */
  storeBytes: boolean;
  /** Re-encode stored bytes when the larger side exceeds this (0 = always the original bytes, as OBELICS stores them). */
  storeMaxSide: number;
  /** Format and quality of re-encoded bytes. */
  storeFormat: 'webp' | 'jpeg';
  storeQuality: number;
  /** Score images with nsfwjs' MobileNetV2 (its weights, run by onnxruntime: stages/images/nsfw.ts). */
  nsfw: boolean;
  /** OBELICS NSFW rule (GantMan classes): flagged when porn > 0.85 or hentai > 0.9 ("sexy > 1.0" is never true there). */
  nsfwPornMax: number;
  nsfwHentaiMax: number;
  /**
   * onnxruntime intra-op threads per worker. 1: the runner already runs one worker per core, and a
   * 2-thread pool spent 11-17 ms of CPU per image against 7 ms with one (scripts/bench-images.ts).
   */
  nsfwThreads: number;
  /**
   * Most images per NSFW inference call (images queued while a call runs go in the next one). 1:
   * batches of 8 cost 7.6 ms of CPU per image against 5.8 ms one at a time (scripts/bench-images.ts).
   */
  nsfwBatch: number;
  /** Documents in flight in this stage; images of one document are looked up in parallel. */
  docConcurrency: number;
  /** sharp operations in flight (references/node-ecosystem.md §4.4: 2-4 use both cores). */
  decodeConcurrency: number;
}

export const imagesDefaults: ImagesConfig = {
  offline: false,
  warcLookup: 'unit',
  cacheDir: null,
  formats: ['jpeg', 'png', 'webp', 'gif', 'avif'],
  maxPixels: 50_000_000,
  minSide: 150,
  maxSide: 20_000,
  maxAspect: 2,
  storeBytes: true,
  storeMaxSide: 0,
  storeFormat: 'webp',
  storeQuality: 85,
  nsfw: true,
  nsfwPornMax: 0.85,
  nsfwHentaiMax: 0.9,
  nsfwThreads: 1,
  nsfwBatch: 1,
  docConcurrency: 8,
  decodeConcurrency: 4,
};
