/**
 * Cheap visual features from the RGB thumbnail the stage decodes once:
 *  - a 64-bit DCT perceptual hash (the pHash construction as in Python's imagehash.phash: 32x32
 *    greyscale, 2-D DCT-II, the 8x8 lowest frequencies, each bit = coefficient > their median);
 *  - a 4x4x4-bin RGB colour histogram (64 floats summing to 1).
 * Written here rather than taken from sharp-phash because that package decodes the image again;
 * this runs on pixels already in memory. Near-duplicates: bit_count(xor(a, b)) <= ~10 in SQL.
 */

const N = 32;
const LOW = 8;

/** cos((2x + 1) u pi / 2N), the DCT-II basis, for u < LOW and x < N. */
const COS: Float64Array = (() => {
  const t = new Float64Array(LOW * N);
  for (let u = 0; u < LOW; u++) for (let x = 0; x < N; x++) t[u * N + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * N));
  return t;
})();

/** Greyscale N x N from a side x side RGB thumbnail (side a multiple of N): ITU-R 601 luma, box-averaged. */
function greyGrid(rgb: Uint8Array, side: number): Float64Array {
  if (side % N !== 0) throw new Error(`thumbnail side ${side} is not a multiple of ${N}`);
  const k = side / N;
  const grid = new Float64Array(N * N);
  for (let y = 0; y < side; y++) {
    const gy = ((y / k) | 0) * N;
    for (let x = 0; x < side; x++) {
      const i = (y * side + x) * 3;
      grid[gy + ((x / k) | 0)]! += 0.299 * rgb[i]! + 0.587 * rgb[i + 1]! + 0.114 * rgb[i + 2]!;
    }
  }
  for (let i = 0; i < grid.length; i++) grid[i]! /= k * k;
  return grid;
}

/** 64-bit perceptual hash as 16 hex digits (bit 63 = coefficient (0,0)). */
export function perceptualHash(rgb: Uint8Array, side: number): string {
  const g = greyGrid(rgb, side);
  // Separable DCT, only the LOW x LOW block is needed: rows first, then columns.
  const rows = new Float64Array(N * LOW); // rows[y][v]
  for (let y = 0; y < N; y++) {
    for (let v = 0; v < LOW; v++) {
      let s = 0;
      for (let x = 0; x < N; x++) s += g[y * N + x]! * COS[v * N + x]!;
      rows[y * LOW + v] = s;
    }
  }
  const coeffs = new Float64Array(LOW * LOW); // coeffs[u][v]
  for (let u = 0; u < LOW; u++) {
    for (let v = 0; v < LOW; v++) {
      let s = 0;
      for (let y = 0; y < N; y++) s += rows[y * LOW + v]! * COS[u * N + y]!;
      coeffs[u * LOW + v] = s;
    }
  }
  const sorted = Array.from(coeffs).sort((a, b) => a - b);
  const median = (sorted[31]! + sorted[32]!) / 2;
  let hash = 0n;
  for (let i = 0; i < 64; i++) hash = (hash << 1n) | (coeffs[i]! > median ? 1n : 0n);
  return hash.toString(16).padStart(16, '0');
}

/** 4 x 4 x 4 RGB histogram, bin = (r>>6)*16 + (g>>6)*4 + (b>>6), normalised to sum 1, 4 decimals. */
export function colorHistogram(rgb: Uint8Array): number[] {
  const bins = new Float64Array(64);
  for (let i = 0; i + 2 < rgb.length; i += 3) bins[((rgb[i]! >> 6) << 4) | ((rgb[i + 1]! >> 6) << 2) | (rgb[i + 2]! >> 6)]! += 1;
  const total = rgb.length / 3;
  return Array.from(bins, (c) => Math.round((c / total) * 1e4) / 1e4);
}
