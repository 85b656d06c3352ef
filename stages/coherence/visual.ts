/**
 * Similarity of two images from the cheap features the images stage leaves on each decoded image
 * segment (`segment.visual`): a 64-bit DCT perceptual hash (16 hex chars), a 4x4x4 RGB histogram
 * normalised to sum 1, and the decoded width/height. No pixels are touched here.
 */
import type { Segment } from '../../schemas/doc.ts';
import { hamming, parsePhash } from '../lib/phash.ts';

export interface VisualFeatures {
  phash: [number, number] | null;
  colorHist: number[] | null;
  width: number | null;
  height: number | null;
}

/** The features of an image segment, or null when the images stage left nothing usable. */
export function visualFeatures(seg: Segment): VisualFeatures | null {
  const v = seg.visual;
  const phash = parsePhash(typeof v?.phash === 'string' ? v.phash : null);
  const hist = v && Array.isArray(v.colorHist) && v.colorHist.length === 64 ? v.colorHist : null;
  const width = seg.width && seg.width > 0 ? seg.width : null;
  const height = seg.height && seg.height > 0 ? seg.height : null;
  if (phash === null && hist === null) return null; // declared sizes alone say too little
  return { phash, colorHist: hist, width, height };
}

/** Histogram intersection, in [0, 1] for histograms that sum to 1. */
export function histogramIntersection(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.min(a[i]!, b[i]!);
  return s;
}

export interface VisualSimilarity {
  /** Combined similarity in [0, 1]. */
  similarity: number;
  phash: number | null;
  color: number | null;
  shape: number | null;
}

/**
 * Similarity of two images in [0, 1]. pHash: two unrelated images differ in about 32 of 64 bits,
 * so 1 - distance/32 (clipped) puts unrelated images near 0 and near-duplicates near 1. Colour:
 * histogram intersection. Shape: agreement of aspect ratio and of area on a log scale (a page's
 * photos tend to share a layout; icons and banners do not).
 */
export function visualSimilarity(a: VisualFeatures, b: VisualFeatures): VisualSimilarity {
  const parts: [number, number][] = []; // [value, weight]
  let ph: number | null = null;
  let color: number | null = null;
  let shape: number | null = null;
  if (a.phash !== null && b.phash !== null) {
    ph = Math.max(0, 1 - hamming(a.phash, b.phash) / 32);
    parts.push([ph, 1]);
  }
  if (a.colorHist && b.colorHist) {
    color = histogramIntersection(a.colorHist, b.colorHist);
    parts.push([color, 2]);
  }
  if (a.width && a.height && b.width && b.height) {
    const aspect = Math.abs(Math.log(a.width / a.height) - Math.log(b.width / b.height));
    const area = Math.abs(Math.log((a.width * a.height) / (b.width * b.height)));
    // exp(-x): equal aspect -> 1, 2:1 vs 1:1 -> 0.5; equal area -> 1, 4x the area -> 0.5 (ln 4 / 2).
    shape = 0.5 * Math.exp(-aspect / Math.LN2) + 0.5 * Math.exp(-area / (2 * Math.LN2));
    parts.push([shape, 1]);
  }
  const wsum = parts.reduce((s, [, w]) => s + w, 0);
  const similarity = wsum ? parts.reduce((s, [v, w]) => s + v * w, 0) / wsum : 0;
  return { similarity, phash: ph, color, shape };
}
