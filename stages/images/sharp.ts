/**
 * Every use of sharp (libvips) in the project: read an image header, decode a small RGB thumbnail
 * for hashing/classifying, re-encode stored bytes. Nothing else imports sharp.
 */
import type { Metadata, Sharp, SharpOptions } from 'sharp';
import { CorpusError } from '../lib/errors.ts';

type SharpFactory = (input?: Uint8Array, options?: SharpOptions) => Sharp;
let loaded: Promise<SharpFactory> | null = null;

/** sharp is loaded on first use: every `corpus` command imports the stage list, few decode images. */
function sharp(): Promise<SharpFactory> {
  loaded ??= import('sharp').then((m) => {
    // libvips' operation cache holds decoded images between calls; for a stream of distinct images
    // it only costs memory (references/node-ecosystem.md §4.4 measured with the cache off).
    m.default.cache(false);
    return m.default as unknown as SharpFactory;
  });
  return loaded;
}

export interface ImageHeader {
  /** jpeg | png | webp | gif | avif | heic | svg | tiff | ... (sharp's decoder name; HEIF split by codec). */
  format: string;
  /** Size after EXIF orientation; the first frame of an animation. */
  width: number;
  height: number;
  frames: number;
}

export class ImageDecodeError extends CorpusError {
  readonly code = 'ERR_IMAGE_DECODE';
  constructor(
    readonly kind: 'corrupt' | 'pixel_bomb',
    message: string,
  ) {
    super(message);
  }
}

/** Header only (no pixel decoding): format and size. Throws ImageDecodeError('corrupt') on garbage. */
export async function readHeader(bytes: Uint8Array): Promise<ImageHeader> {
  let m: Metadata;
  try {
    m = await (await sharp())(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new ImageDecodeError('corrupt', (err as Error).message);
  }
  let format: string = m.format;
  if (format === 'heif') format = m.compression === 'av1' ? 'avif' : 'heic';
  const frames = m.pages ?? 1;
  // Animated images may report the height of the whole strip; one frame is pageHeight.
  const frameHeight = m.pageHeight && frames > 1 ? m.pageHeight : m.height;
  // EXIF orientations 5-8 turn the image by 90 degrees.
  const turned = (m.orientation ?? 1) >= 5;
  return { format, width: turned ? frameHeight : m.width, height: turned ? m.width : frameHeight, frames };
}

/**
 * Fully decode the first frame and return a side x side sRGB thumbnail (3 bytes per pixel,
 * 'fill' = squashed to the square, 'cover' = centre square crop as CLIP/SigLIP preprocessing does;
 * transparent areas on white, EXIF orientation applied). A truncated or corrupt image fails here:
 * failOn 'warning' refuses the grey bands libjpeg would otherwise paint over missing data.
 */
export async function decodeThumbnail(bytes: Uint8Array, side: number, maxPixels: number, fit: 'fill' | 'cover' = 'fill'): Promise<Buffer> {
  try {
    const { data, info } = await (await sharp())(bytes, { limitInputPixels: maxPixels, failOn: 'warning' })
      .rotate()
      .flatten({ background: '#ffffff' })
      .resize(side, side, { fit })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== side * side * 3) {
      throw new Error(`unexpected thumbnail ${info.width}x${info.height}x${info.channels}`);
    }
    return data;
  } catch (err) {
    const message = (err as Error).message;
    if (/pixel limit/i.test(message)) throw new ImageDecodeError('pixel_bomb', message);
    throw new ImageDecodeError('corrupt', message);
  }
}

/** Re-encode to fit inside maxSide x maxSide (first frame, orientation applied). */
export async function reencode(
  bytes: Uint8Array,
  maxSide: number,
  format: 'webp' | 'jpeg',
  quality: number,
  maxPixels: number,
): Promise<Buffer> {
  const img = (await sharp())(bytes, { limitInputPixels: maxPixels }).rotate().resize(maxSide, maxSide, {
    fit: 'inside',
    withoutEnlargement: true,
  });
  return format === 'webp' ? img.webp({ quality }).toBuffer() : img.flatten({ background: '#ffffff' }).jpeg({ quality }).toBuffer();
}
