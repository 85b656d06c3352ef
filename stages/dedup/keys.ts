/**
 * Keys shared by the in-run stage and the global SQL pass, defined so both compute the same thing:
 * a paragraph is md5(text) (DuckDB: md5(text)), an image is its image_id, a perceptual hash is the
 * 16-hex-digit string the images stage writes.
 */
import { createHash } from 'node:crypto';

/** md5 hex of a paragraph's exact text: the same value as DuckDB's md5(text). */
export function paragraphMd5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** FNV-1a of a string with a seed, 32 bits. */
function fnv(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * In-memory counting key of (domain, paragraph md5): a 52-bit number (cheap Map key, no string).
 * md5 bits xor a 52-bit hash of the domain; a false merge of two keys has probability ~2^-52.
 */
export function domainParagraphKey(domain: string, md5hex: string): number {
  const hi = parseInt(md5hex.slice(0, 6), 16) ^ (fnv(domain, 1) >>> 8); // 24 bits
  const lo = parseInt(md5hex.slice(6, 13), 16) ^ (fnv(domain, 2) >>> 4); // 28 bits
  return hi * 0x10000000 + lo;
}

/** In-memory key of an image_id: the first 52 bits of a sha256 hex id (the id itself if it is not hex). */
export function imageKey(imageId: string): number | string {
  return /^[0-9a-f]{13}/i.test(imageId) ? parseInt(imageId.slice(0, 13), 16) : imageId;
}

