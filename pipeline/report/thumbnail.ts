/**
 * Downscaled copies of stored images for the report, as data: URIs (the report is one file).
 * The report's only use of sharp.
 */
import sharp from 'sharp';

export interface Thumbnail {
  uri: string;
  width: number;
  height: number;
}

/**
 * WebP of at most `maxSide` px on its longest side (never enlarged), or null when the bytes do not
 * decode: a broken image shows as a placeholder, it never stops the report.
 */
export async function thumbnail(bytes: Uint8Array, maxSide: number): Promise<Thumbnail | null> {
  try {
    const { data, info } = await sharp(bytes, { failOn: 'none', limitInputPixels: 100_000_000 })
      .rotate()
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 70 })
      .toBuffer({ resolveWithObject: true });
    return { uri: `data:image/webp;base64,${data.toString('base64')}`, width: info.width, height: info.height };
  } catch {
    return null;
  }
}
