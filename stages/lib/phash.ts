/**
 * 64-bit perceptual hashes as the images stage writes them (16 hex digits) and the one distance
 * between them, shared by image dedup, coherence and the tests. Two 32-bit halves rather than a
 * bigint: XOR and popcount stay in small integers (a bigint loop is ~20x slower per pair).
 */

/** A 16-hex-digit hash as [high, low] 32-bit halves; null when it is not 16 hex digits. */
export function parsePhash(hex: string | null | undefined): [number, number] | null {
  if (!hex || !/^[0-9a-fA-F]{16}$/.test(hex)) return null;
  return [parseInt(hex.slice(0, 8), 16), parseInt(hex.slice(8), 16)];
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Bits that differ between two 64-bit hashes. */
export function hamming(a: [number, number], b: [number, number]): number {
  return popcount32((a[0] ^ b[0]) >>> 0) + popcount32((a[1] ^ b[1]) >>> 0);
}
