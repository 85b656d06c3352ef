import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { candidateGrids, tileImage, type ImageTokenProfile } from '../stages/tokenize/tiling.ts';
import { tokenizeDefaults } from '../stages/tokenize/index.ts';

const profile = (maxTiles: number): ImageTokenProfile => ({ ...tokenizeDefaults.image, maxTiles });

describe('InternVL dynamic tiling (references/v2pe-dd.md §1.2 table)', () => {
  // [W, H, max_num, cols, rows, tiles incl. thumbnail, IMG_CONTEXT tokens]
  const table: [number, number, number, number, number, number, number][] = [
    [800, 600, 12, 4, 3, 13, 3328],
    [800, 600, 6, 3, 2, 7, 1792],
    [448, 448, 12, 1, 1, 1, 256],
    [1024, 512, 12, 2, 1, 3, 768], // tie (2,1)/(4,2): small area keeps (2,1)
    [672, 448, 12, 3, 2, 7, 1792],
    [1000, 200, 12, 5, 1, 6, 1536],
    [600, 800, 12, 3, 4, 13, 3328],
    [1920, 1080, 12, 4, 2, 9, 2304], // tie (2,1)/(4,2): large area takes (4,2)
  ];
  it.each(table)('%i×%i max %i -> %i×%i grid, %i tiles, %i tokens', (w, h, max, cols, rows, tiles, tokens) => {
    expect(tileImage(w, h, profile(max))).toEqual({ cols, rows, tiles, visualTokens: tokens });
  });

  it('candidate grids are sorted by tile count and cover every product in range', () => {
    const g = candidateGrids(1, 12);
    expect(g.slice(0, 3)).toEqual([[1, 1], [1, 2], [2, 1]]);
    for (let i = 1; i < g.length; i++) expect(g[i]![0] * g[i]![1]).toBeGreaterThanOrEqual(g[i - 1]![0] * g[i - 1]![1]);
    expect(g.length).toBe(new Set(g.map((x) => x.join())).size);
    expect(g.every(([i, j]) => i * j >= 1 && i * j <= 12)).toBe(true);
  });

  it('tiles are always 1 or grid+thumbnail in 3..13 for max 12 (span ≤ 3330 tokens)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 10_000 }), (w, h) => {
        const t = tileImage(w, h, profile(12));
        expect(t.tiles === 1 || (t.tiles >= 3 && t.tiles <= 13)).toBe(true);
        expect(t.cols * t.rows).toBeLessThanOrEqual(12);
        expect(t.visualTokens + 2).toBeLessThanOrEqual(3330);
      }),
    );
  });

  it('fixed profile ignores the size', () => {
    expect(tileImage(4000, 300, { ...profile(12), mode: 'fixed', fixedTiles: 2 })).toEqual({ cols: 1, rows: 1, tiles: 2, visualTokens: 512 });
  });
});
