/**
 * How many visual tokens an image takes: InternVL's dynamic tiling (`find_closest_aspect_ratio` +
 * `dynamic_preprocess`, references/v2pe-dd.md §1.2), reproduced exactly from the image's width and
 * height, or a fixed number of tiles per image.
 */

export interface ImageTokenProfile {
  /** 'dynamic' = InternVL dynamic tiling; 'fixed' = every image takes `fixedTiles` tiles. */
  mode: 'dynamic' | 'fixed';
  /** Tile side in pixels. InternVL/V2PE: force_image_size 448. */
  tileSize: number;
  /** Visual tokens per tile. InternVL: (448/14)^2 * 0.5^2 = 256. */
  tokensPerTile: number;
  /** Grid bounds in tiles (thumbnail not counted). V2PE training: min_dynamic_patch 1, max_dynamic_patch 12. */
  minTiles: number;
  maxTiles: number;
  /** Append a whole-image thumbnail tile when the grid has more than one tile. V2PE scripts: use_thumbnail True. */
  thumbnail: boolean;
  /** Tiles per image in 'fixed' mode. */
  fixedTiles: number;
}

export interface Tiling {
  /** Grid columns and rows (1×1 in fixed mode). */
  cols: number;
  rows: number;
  /** Tiles fed to the vision encoder, thumbnail included. */
  tiles: number;
  /** <IMG_CONTEXT> tokens = tiles · tokensPerTile. */
  visualTokens: number;
}

/** Candidate grids (cols, rows) with minTiles ≤ cols·rows ≤ maxTiles, ascending by cols·rows (stable). */
export function candidateGrids(minTiles: number, maxTiles: number): [number, number][] {
  const seen = new Set<string>();
  const grids: [number, number][] = [];
  for (let n = minTiles; n <= maxTiles; n++) {
    for (let i = 1; i <= n; i++) {
      for (let j = 1; j <= n; j++) {
        if (i * j > maxTiles || i * j < minTiles) continue;
        const key = `${i},${j}`;
        if (seen.has(key)) continue;
        seen.add(key);
        grids.push([i, j]);
      }
    }
  }
  // Python sorts a set by i·j; the order within equal products never changes the result (§1.2).
  return grids.sort((a, b) => a[0] * a[1] - b[0] * b[1]);
}

const gridCache = new Map<string, [number, number][]>();

/** InternVL's `find_closest_aspect_ratio`: closest grid aspect; on an exact tie prefer the larger grid only for large images. */
export function closestGrid(width: number, height: number, p: ImageTokenProfile): [number, number] {
  const key = `${p.minTiles},${p.maxTiles}`;
  let grids = gridCache.get(key);
  if (!grids) gridCache.set(key, (grids = candidateGrids(p.minTiles, p.maxTiles)));
  const aspect = width / height;
  const area = width * height;
  let bestDiff = Infinity;
  let best: [number, number] = [1, 1];
  for (const [i, j] of grids) {
    const diff = Math.abs(aspect - i / j);
    if (diff < bestDiff) {
      bestDiff = diff;
      best = [i, j];
    } else if (diff === bestDiff && area > 0.5 * p.tileSize * p.tileSize * i * j) {
      best = [i, j];
    }
  }
  return best;
}

/** Tiles and visual tokens of an image of width × height pixels. */
export function tileImage(width: number, height: number, p: ImageTokenProfile): Tiling {
  if (p.mode === 'fixed') {
    return { cols: 1, rows: 1, tiles: p.fixedTiles, visualTokens: p.fixedTiles * p.tokensPerTile };
  }
  const [cols, rows] = closestGrid(width, height, p);
  const blocks = cols * rows;
  const tiles = p.thumbnail && blocks !== 1 ? blocks + 1 : blocks;
  return { cols, rows, tiles, visualTokens: tiles * p.tokensPerTile };
}
