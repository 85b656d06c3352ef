/**
 * One image's bytes -> what the images stage records about it: header checks (format, pixel bomb,
 * OBELICS size and aspect), one thumbnail decode for the perceptual hash, colour histogram and NSFW
 * scores, optional pixels for a coherence model, and the bytes to store. No state: the caller owns
 * the caches (one analysis per distinct image per unit) and the decode queue that bounds memory.
 */
import type PQueue from 'p-queue';
import type { ImagesConfig } from './config.ts';
import { loadNsfwClassifier, NSFW_INPUT_SIDE, type NsfwScores } from './nsfw.ts';
import { colorHistogram, perceptualHash } from './phash.ts';
import { decodeThumbnail, ImageDecodeError, readHeader, reencode } from './sharp.ts';
import type { ImageSourceKind } from './source.ts';

/** Thumbnail side when NSFW scoring is off: enough for the 32x32 hash grid and the histogram. */
const HASH_ONLY_SIDE = 64;

export interface RgbPixels {
  data: Uint8Array;
  width: number;
  height: number;
}

/** What a segment learns about its image. */
export interface ImageInfo {
  imageId: string | null;
  reason: string | null;
  /** Where the bytes came from (null when they could not be had). */
  source: ImageSourceKind | null;
  format: string | null;
  width: number | null;
  height: number | null;
  phash: string | null;
  colorHist: number[] | null;
  nsfw: NsfwScores | null;
}

export function rejectedInfo(reason: string, header?: { format: string; width: number; height: number }): ImageInfo {
  return {
    imageId: null,
    reason,
    source: null,
    format: header?.format ?? null,
    width: header?.width ?? null,
    height: header?.height ?? null,
    phash: null,
    colorHist: null,
    nsfw: null,
  };
}

/** Format / pixel-bomb / OBELICS size and aspect checks on the header alone; null = passes. */
export function headerVerdict(h: { format: string; width: number; height: number }, cfg: ImagesConfig): string | null {
  if (!cfg.formats.includes(h.format)) return `decode:format_${h.format}`;
  if (h.width * h.height > cfg.maxPixels) return 'decode:pixel_bomb';
  if (Math.min(h.width, h.height) < cfg.minSide) return 'filter:too_small';
  if (Math.max(h.width, h.height) > cfg.maxSide) return 'filter:too_large';
  if (Math.max(h.width / h.height, h.height / h.width) > cfg.maxAspect) return 'filter:aspect';
  return null;
}

export interface Analysis {
  info: ImageInfo;
  /** The analysis columns of the image's row in the `images` table (identity columns are the caller's). */
  row: Record<string, unknown>;
  /** Pixels for the coherence model (when `modelPixelSide` > 0): null if that second decode failed. */
  modelPixels?: RgbPixels | null;
}

export interface AnalyseOptions {
  cfg: ImagesConfig;
  /** Bounds how many images are being decoded at once (decoded pixels are the memory that matters). */
  decodeQueue: PQueue;
  /** Side of the coherence model's image input; 0 = no model, no pixels. */
  modelPixelSide: number;
}

const decodeReason = (err: unknown) => (err instanceof ImageDecodeError ? `decode:${err.kind}` : 'decode:corrupt');

/** Analyse the bytes of image `imageId` (sha256 of the bytes). Never throws for bad bytes: a reason instead. */
export async function analyseImage(bytes: Buffer, imageId: string, opt: AnalyseOptions): Promise<Analysis> {
  const { cfg, decodeQueue } = opt;
  let header: Awaited<ReturnType<typeof readHeader>>;
  try {
    header = await readHeader(bytes);
  } catch (err) {
    const reason = decodeReason(err);
    return { info: rejectedInfo(reason), row: { reason } };
  }
  const meta = { format: header.format, width: header.width, height: header.height };
  const verdict = headerVerdict(header, cfg);
  if (verdict) return { info: { ...rejectedInfo(verdict, header), imageId }, row: { ...meta, reason: verdict } };
  const side = cfg.nsfw ? NSFW_INPUT_SIDE : HASH_ONLY_SIDE;
  let thumb: Buffer;
  try {
    thumb = await decodeQueue.add(() => decodeThumbnail(bytes, side, cfg.maxPixels));
  } catch (err) {
    const reason = decodeReason(err);
    return { info: { ...rejectedInfo(reason, header), imageId }, row: { ...meta, reason } };
  }
  let modelPixels: RgbPixels | null | undefined;
  if (opt.modelPixelSide > 0) {
    const s = opt.modelPixelSide;
    modelPixels = await decodeQueue
      .add(() => decodeThumbnail(bytes, s, cfg.maxPixels, 'cover'))
      .then((data) => ({ data, width: s, height: s }), () => null); // decoded once already: not expected
  }
  const phash = perceptualHash(thumb, side);
  const colorHist = colorHistogram(thumb);
  let nsfw: NsfwScores | null = null;
  if (cfg.nsfw) {
    const classify = await loadNsfwClassifier({ threads: cfg.nsfwThreads, batch: cfg.nsfwBatch });
    nsfw = await classify(thumb);
  }
  let stored: Buffer | null = null;
  let storedFormat: string | null = null;
  if (cfg.storeBytes) {
    if (cfg.storeMaxSide > 0 && Math.max(header.width, header.height) > cfg.storeMaxSide) {
      stored = await decodeQueue.add(() => reencode(bytes, cfg.storeMaxSide, cfg.storeFormat, cfg.storeQuality, cfg.maxPixels));
      storedFormat = cfg.storeFormat;
    } else {
      stored = bytes;
      storedFormat = 'original';
    }
  }
  return {
    info: { imageId, reason: null, source: null, ...meta, phash, colorHist, nsfw },
    row: {
      ...meta,
      bytes: stored,
      stored_format: storedFormat,
      phash,
      color_hist: colorHist,
      nsfw_score: nsfw ? Math.max(nsfw.porn, nsfw.hentai) : null,
      nsfw_porn: nsfw?.porn ?? null,
      nsfw_hentai: nsfw?.hentai ?? null,
      nsfw_sexy: nsfw?.sexy ?? null,
      reason: null,
    },
    modelPixels,
  };
}
