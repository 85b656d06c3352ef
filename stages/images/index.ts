/**
 * images: for every image segment, get the bytes (data: URL, WARC record, cache, HTTP), read the
 * header (format, size), refuse pixel bombs, apply OBELICS' node-level size/aspect filters, decode a
 * thumbnail once for a 64-bit perceptual hash, a colour histogram and the NSFW scores, and write one
 * row per unique image to the `images` side table (image_id = sha256 of the bytes).
 *
 * A segment whose image is usable gets image_id, width, height and in-memory `visual` features; any
 * other image segment keeps its URL, gets image_id = null and note = the reason (fetch:timeout,
 * decode:corrupt, filter:too_small ...). Document signals count them; the document-level decisions
 * (NSFW) read those signals and thresholds from the config. Images without an image_id are removed
 * from the document before tokenize (stages/pixels), which also applies the per-document image counts.
 *
 * This file: the stage, its per-unit caches (each URL and each distinct image worked on once) and the
 * document signals. Getting the bytes: source.ts (and warc-index.ts); analysing them: analyse.ts.
 */
import { createHash } from 'node:crypto';
import PQueue from 'p-queue';
import type { ColumnSpec, Doc, Segment } from '../../schemas/doc.ts';
import { docStage, drop, type Stage, type StageContext } from '../../pipeline/stage.ts';
import type { Fetcher } from '../fetch/index.ts';
import type { FetchConfig } from '../fetch/config.ts';
import { dropReason, type Rule } from '../lib/rules.ts';
import type { ImagesConfig } from './config.ts';
import { analyseImage, type ImageInfo, rejectedInfo, type RgbPixels } from './analyse.ts';
import type { NsfwScores } from './nsfw.ts';
import { acquireImage, type ImageSourceKind } from './source.ts';
import { isWarcFile, urlKey, WarcImageIndex } from './warc-index.ts';

/**
 * The config sections the images stage reads: its own, the fetcher's (images come over HTTP like
 * pages), and the side of the coherence model's image tower, if one is configured (pixels kept for it).
 */
type ImagesNeeds = { images: ImagesConfig; fetch: FetchConfig; coherence: { model: { imageSize?: number } | null } };

export { headerVerdict, type RgbPixels } from './analyse.ts';
export { imagesDefaults, type ImagesConfig } from './config.ts';
export { buildWarcImageIndex, WarcImageIndex } from './warc-index.ts';

/**
 * Pixels for the coherence stage's optional CLIP/SigLIP model: only decoded when a model is
 * configured (config.coherence.model), at its input side, centre-cropped. They ride on the segment
 * (`visual.pixels`, in memory only) and are held for the last MODEL_PIXELS_KEPT distinct images of
 * the unit (~75 MB at 224 px), so a unit with many images does not keep them all.
 */
const MODEL_PIXELS_KEPT = 512;
const modelPixelSide = (config: ImagesNeeds): number => config.coherence.model?.imageSize ?? 0;

export const IMAGES_TABLE_COLUMNS: ColumnSpec[] = [
  { name: 'image_id', type: 'VARCHAR', description: 'sha256 (hex) of the original bytes; null when the image could not be had' },
  { name: 'url', type: 'VARCHAR', description: 'first URL the image was seen under in this unit segment (docs.segments has every URL)' },
  { name: 'source', type: 'VARCHAR', description: 'where the bytes came from: warc | cache | http | data' },
  { name: 'format', type: 'VARCHAR', description: 'decoder format: jpeg, png, webp, gif (first frame), avif, ...' },
  { name: 'width', type: 'INTEGER', description: 'pixels, after EXIF orientation' },
  { name: 'height', type: 'INTEGER', description: 'pixels, after EXIF orientation (one frame of an animation)' },
  { name: 'num_bytes', type: 'INTEGER', description: 'size of the original bytes' },
  { name: 'bytes', type: 'BLOB', description: 'stored image: the original bytes, or re-encoded to images.storeMaxSide (see stored_format)' },
  { name: 'stored_format', type: 'VARCHAR', description: "format of `bytes` ('original' or webp/jpeg when re-encoded)" },
  { name: 'phash', type: 'VARCHAR', description: "64-bit DCT perceptual hash, 16 hex digits; distance: bit_count(xor(('0x'||a)::UBIGINT, ('0x'||b)::UBIGINT))" },
  { name: 'color_hist', type: 'FLOAT[]', description: '4x4x4 RGB histogram (64 bins, r-major), sums to 1' },
  { name: 'nsfw_score', type: 'DOUBLE', description: 'max(porn, hentai) of nsfwjs MobileNetV2 (GantMan classes)' },
  { name: 'nsfw_porn', type: 'DOUBLE', description: 'nsfwjs probability of class porn' },
  { name: 'nsfw_hentai', type: 'DOUBLE', description: 'nsfwjs probability of class hentai' },
  { name: 'nsfw_sexy', type: 'DOUBLE', description: 'nsfwjs probability of class sexy' },
  { name: 'reason', type: 'VARCHAR', description: 'why the image is not usable (fetch:*, warc:*, decode:*, filter:*); null when usable' },
];

export const IMAGES_DOC_COLUMNS: ColumnSpec[] = [
  { name: 'images_total', type: 'INTEGER', description: 'image segments in the document' },
  { name: 'images_kept', type: 'INTEGER', description: 'image segments with a usable image (image_id set)' },
  { name: 'images_unavailable', type: 'INTEGER', description: 'image segments whose bytes could not be had or decoded (fetch:*, warc:*, decode:*)' },
  { name: 'images_filtered', type: 'INTEGER', description: 'image segments refused by format/size/aspect (filter:*, decode:format_*)' },
  { name: 'images_nsfw_porn_max', type: 'DOUBLE', description: 'largest nsfwjs porn probability over kept images (OBELICS flags > 0.85)' },
  { name: 'images_nsfw_hentai_max', type: 'DOUBLE', description: 'largest nsfwjs hentai probability over kept images (OBELICS flags > 0.9)' },
];

/** What the stage knows about one image (no bytes: those go to the table row and are dropped). */
/** Process-wide state: the fetcher, the run-wide WARC index, the image and decode queues. */
const proc: {
  fetcher: Fetcher | null;
  inputFiles: string[];
  inputsIndex: WarcImageIndex | null;
  /**
   * The image index of the WARC being run, kept for its next checkpoint segment: the index depends on
   * the file only, so reusing it changes no row, and a 1 GB file is not rescanned every 64 MiB.
   */
  unitIndex: { file: string; index: Promise<WarcImageIndex> } | null;
  /** Images being fetched/analysed at once: bounds the bytes held in memory, whatever a page holds. */
  imageQueue: PQueue;
  decodeQueue: PQueue;
} = {
  fetcher: null,
  inputFiles: [],
  inputsIndex: null,
  unitIndex: null,
  imageQueue: new PQueue({ concurrency: 32 }),
  decodeQueue: new PQueue({ concurrency: 4 }),
};

async function open(config: ImagesNeeds, resources: Map<string, unknown>): Promise<void> {
  proc.imageQueue = new PQueue({ concurrency: Math.max(1, config.fetch.concurrency) });
  proc.decodeQueue = new PQueue({ concurrency: Math.max(1, config.images.decodeConcurrency) });
  const files = resources.get('inputFiles');
  if (Array.isArray(files)) proc.inputFiles = files.filter((f): f is string => typeof f === 'string');
  const shared = resources.get('warcImages');
  if (shared instanceof WarcImageIndex) proc.inputsIndex = shared;
  // The NSFW model (onnxruntime, ~1 s) loads on the first image that needs it, not here: a run over
  // image-less dumps never pays for it.
}

async function close(): Promise<void> {
  await proc.fetcher?.close();
  proc.fetcher = null;
  proc.inputsIndex = null;
  proc.unitIndex = null;
  proc.inputFiles = [];
}

/** The fetcher (undici) is loaded only by runs that go to the network. */
async function fetcherFor(config: ImagesNeeds): Promise<Fetcher> {
  if (!proc.fetcher) {
    const { Fetcher } = await import('../fetch/index.ts');
    proc.fetcher ??= new Fetcher(config.fetch);
  }
  return proc.fetcher;
}

/**
 * Per-segment state (StageContext.segment): every URL and every distinct image is worked on once per
 * unit segment, and gets one row in the images table per segment. Counters count image references
 * (one per image segment of a document): `image:<ok|reason>`, `image_from:<source>`; `work:*` counters
 * count the work done, which depends on run.checkpointBytes.
 */
class UnitImages {
  private readonly byUrl = new Map<string, Promise<ImageInfo>>();
  private readonly byImageId = new Map<string, Promise<ImageInfo>>();
  private warcIndex: Promise<WarcImageIndex | null> | null = null;
  /** Model pixels of recently analysed images, by image_id (insertion order = age). */
  private readonly modelPixels = new Map<string, RgbPixels>();

  constructor(private readonly ctx: StageContext<ImagesNeeds>) {}

  private get cfg(): ImagesConfig {
    return this.ctx.config.images;
  }

  private warc(): Promise<WarcImageIndex | null> {
    this.warcIndex ??= (async () => {
      // A part of a large archive looks up images in the whole file (the index depends on the file only).
      const file = this.ctx.unitFiles?.[0] ?? this.ctx.unit;
      if (this.cfg.warcLookup === 'inputs') {
        proc.inputsIndex ??= new WarcImageIndex();
        for (const f of proc.inputFiles) if (isWarcFile(f)) await proc.inputsIndex.addFile(f);
        if (isWarcFile(file)) await proc.inputsIndex.addFile(file);
        return proc.inputsIndex;
      }
      if (!isWarcFile(file)) return null;
      if (proc.unitIndex?.file !== file) {
        const index = new WarcImageIndex();
        proc.unitIndex = { file, index: index.addFile(file).then(() => index) };
      }
      return proc.unitIndex.index;
    })();
    return this.warcIndex;
  }

  lookup(url: string): Promise<ImageInfo> {
    const key = url.startsWith('data:') ? url : urlKey(url);
    let p = this.byUrl.get(key);
    if (!p) {
      p = proc.imageQueue.add(() => this.resolve(url)).catch((err) => {
        // Never expected (every step maps its errors); keep the batch going all the same.
        this.ctx.counters.add('error:image_exception');
        this.ctx.log(`image ${url.slice(0, 200)}: ${String((err as Error)?.message ?? err).slice(0, 300)}`);
        return rejectedInfo('error:exception');
      });
      this.byUrl.set(key, p);
    }
    return p;
  }

  private async resolve(url: string): Promise<ImageInfo> {
    const { counters } = this.ctx;
    const got = await acquireImage(url, {
      maxBytes: this.ctx.config.fetch.maxBodyBytes,
      offline: this.cfg.offline,
      cacheDir: this.cfg.cacheDir,
      warc: () => this.warc(),
      fetcher: () => fetcherFor(this.ctx.config),
      signal: this.ctx.signal,
    });
    counters.add('work:urls');
    if (!got.ok) {
      this.emit({ image_id: null, url: rowUrl(url), reason: got.reason });
      return rejectedInfo(got.reason);
    }
    const imageId = createHash('sha256').update(got.bytes).digest('hex');
    let p = this.byImageId.get(imageId);
    if (p) {
      counters.add('work:same_bytes_as_other_url');
    } else {
      p = this.analyse(got.bytes, imageId, url, got.source);
      this.byImageId.set(imageId, p);
    }
    return { ...(await p), source: got.source };
  }

  /** Header checks, decode, hashes, NSFW (analyse.ts); emits the image's row. */
  private async analyse(bytes: Buffer, imageId: string, url: string, source: ImageSourceKind): Promise<ImageInfo> {
    const { info, row, modelPixels } = await analyseImage(bytes, imageId, {
      cfg: this.cfg,
      decodeQueue: proc.decodeQueue,
      modelPixelSide: modelPixelSide(this.ctx.config),
    });
    if (modelPixels === null) this.ctx.counters.add('error:model_pixels');
    if (modelPixels) {
      this.modelPixels.set(imageId, modelPixels);
      if (this.modelPixels.size > MODEL_PIXELS_KEPT) this.modelPixels.delete(this.modelPixels.keys().next().value!);
    }
    if (info.reason === null) this.ctx.counters.add('work:images_analysed');
    this.emit({ image_id: imageId, url: rowUrl(url), source, num_bytes: bytes.length, ...row });
    return info.reason === null ? { ...info, source } : info;
  }

  private emit(partial: Record<string, unknown>): void {
    const row: Record<string, unknown> = {};
    for (const c of IMAGES_TABLE_COLUMNS) row[c.name] = partial[c.name] ?? null;
    this.ctx.emit('images', row);
  }

  /**
   * The image of one segment: its URL, else the first of its alternates (other srcset candidates,
   * `src`) whose bytes can be had; the segment's URL then becomes that one.
   */
  private async resolveSegment(seg: Segment): Promise<ImageInfo> {
    if (!seg.url) return rejectedInfo('fetch:no_url');
    let info = await this.lookup(seg.url);
    for (const alternate of seg.alternates ?? []) {
      if (!couldNotBeHad(info)) break;
      const other = await this.lookup(alternate);
      if (!couldNotBeHad(other)) {
        seg.url = alternate;
        info = other;
        this.ctx.counters.add('image_url:alternate');
      }
    }
    return info;
  }

  /** Fill the document's image segments and signals; decide NSFW drops. */
  async processDoc(doc: Doc) {
    const cfg = this.cfg;
    const images = doc.segments.filter((s) => s.kind === 'image');
    const infos = await Promise.all(images.map((seg) => this.resolveSegment(seg)));
    images.forEach((seg, i) => {
      const info = infos[i]!;
      applyInfo(seg, info);
      this.ctx.counters.add(`image:${info.reason ?? 'ok'}`);
      if (info.source) this.ctx.counters.add(`image_from:${info.source}`);
      const px = seg.image_id ? this.modelPixels.get(seg.image_id) : undefined;
      if (px) seg.visual = { ...(seg.visual ?? {}), pixels: px };
    });
    let kept = 0;
    let filtered = 0;
    let porn: number | null = null;
    let hentai: number | null = null;
    for (const seg of images) {
      if (seg.image_id) {
        kept++;
        const n = (seg.visual as { nsfw?: NsfwScores } | null)?.nsfw;
        if (n) {
          porn = Math.max(porn ?? 0, n.porn);
          hentai = Math.max(hentai ?? 0, n.hentai);
        }
      } else if (seg.note?.startsWith('filter:') || seg.note?.startsWith('decode:format_')) {
        filtered++;
      }
    }
    Object.assign(doc.signals, {
      images_total: images.length,
      images_kept: kept,
      images_unavailable: images.length - kept - filtered,
      images_filtered: filtered,
      images_nsfw_porn_max: porn,
      images_nsfw_hentai_max: hentai,
    });
    if (dropReason(imagesRules(cfg), doc.signals, null)) {
      return drop('nsfw_image', `porn ${porn?.toFixed(3)} (max ${cfg.nsfwPornMax}), hentai ${hentai?.toFixed(3)} (max ${cfg.nsfwHentaiMax})`);
    }
    return doc;
  }
}

/** The bytes were never had (as opposed to had and refused: decode:*, filter:*). */
function couldNotBeHad(info: ImageInfo): boolean {
  return info.reason !== null && (info.reason.startsWith('fetch:') || info.reason.startsWith('warc:'));
}

/** Long data: URLs are not worth a table cell: keep the media type only. */
function rowUrl(url: string): string {
  if (!url.startsWith('data:') || url.length <= 256) return url;
  return `${url.slice(0, url.indexOf(',') + 1)}...(${url.length} chars)`;
}

function applyInfo(seg: Segment, info: ImageInfo): void {
  if (info.width !== null) seg.width = info.width;
  if (info.height !== null) seg.height = info.height;
  if (info.reason === null && info.imageId) {
    seg.image_id = info.imageId;
    seg.note = null;
    seg.visual = { ...(seg.visual ?? {}), phash: info.phash!, colorHist: info.colorHist!, nsfw: info.nsfw };
  } else {
    seg.image_id = null;
    seg.note = info.reason;
  }
}

/** The document decision: an image scored above the NSFW maxima drops its document (OBELICS). */
export function imagesRules(cfg: ImagesConfig): Rule[] {
  return [
    { reason: 'nsfw_image', column: 'images_nsfw_porn_max', kind: 'max', threshold: cfg.nsfwPornMax, setting: 'images.nsfwPornMax' },
    { reason: 'nsfw_image', column: 'images_nsfw_hentai_max', kind: 'max', threshold: cfg.nsfwHentaiMax, setting: 'images.nsfwHentaiMax' },
  ];
}

export const imagesStage: Stage<Doc, Doc, ImagesNeeds> = {
  name: 'images',
  columns: IMAGES_DOC_COLUMNS,
  tables: { images: IMAGES_TABLE_COLUMNS },
  rules: (config) => imagesRules(config.images),
  open,
  close,
  transform(input, ctx) {
    const unit = new UnitImages(ctx);
    return docStage<Doc, Doc, ImagesNeeds>({
      name: 'images',
      concurrency: (config) => config.images.docConcurrency,
      process: (doc) => unit.processDoc(doc),
    }).transform(input, ctx);
  },
};
