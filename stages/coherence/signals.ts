/**
 * The three CoMM perspectives, measured without a model (and with one when the user brings CLIP/SigLIP
 * towers): text development, image-sequence consistency, image-text alignment. `measureCoherence`
 * is pure: a document in, signal values and the segments that look stray out. The stage decides.
 */
import type { Doc, Segment } from '../../schemas/doc.ts';
import {
  EMPTY_IDS, Vocabulary, containment, contentWords, stopwordsFor, weightedContainment, type IdVector, type TermVector,
} from './text.ts';
import { leadingEigenvector } from './lanczos.ts';
import { styleContrast, styleOf } from './style.ts';
import { visualFeatures, visualSimilarity, type VisualFeatures } from './visual.ts';

/** Tuning of the measurements (not decisions); part of CoherenceConfig. */
export interface MeasureConfig {
  /** A text segment is judged (cohesion, stray) only with at least this many distinct content words. */
  minContentWords: number;
  /** Text segments on each side that form a paragraph's local context. */
  textWindow: number;
  /** A judged paragraph whose best link (local context or rest of document) is below this is unconnected. */
  linkMin: number;
  /** coh_align_anchor value at which an image counts as fully anchored in coh_align_weighted. */
  anchorSaturation: number;
  /** Segments on each side of an image whose text counts as its neighbourhood. */
  imageTextWindow: number;
  /** An image whose mean visual similarity to the others is below this is an outlier (docs with >= 3 images). */
  imageOutlierSimilarity: number;
  /** Weight added to every paragraph pair in the split graph (coh_text_split). */
  splitSmoothing: number;
  /** Pseudo-trials of coh_text_order at a typical value for written text. */
  orderPrior: { value: number; trials: number };
  /** Prior weight (in well-anchored images) that pulls coh_align_weighted toward 1 when anchors are few or weak. */
  anchorPrior: number;
  /**
   * Logistic models that turn signal columns into the perspective scores (fit by scripts/fit-coherence.ts).
   * A perspective given several models (detectors of different faults) scores the lowest of them.
   */
  score: { text: PerspectiveModel; image: PerspectiveModel; alignment: PerspectiveModel };
  /**
   * How coherence_score joins the perspective scores: 'min' (any perspective at fault condemns),
   * 'product' (all must be fine, as independent probabilities) or 'mean'.
   */
  combine: 'min' | 'product' | 'mean';
  /** Model cosine mapped linearly from [lo, hi] to [0, 1] (CLIP/SigLIP cosines live in a narrow band). */
  modelCosineRange: [number, number];
}

/**
 * A perspective score: sigmoid(bias + sum of weight x signal), a signal that is NULL taking its
 * `fill` value (a typical value of real documents, so that a missing measurement says nothing).
 * The perspective is NULL when all its signals with a non-zero weight are NULL.
 */
export interface LogisticScore {
  /** What the model detects (documentation only: 'splice', 'order', ...). */
  name?: string;
  bias: number;
  weights: Partial<Record<keyof CoherenceSignals, number>>;
  fill: Partial<Record<keyof CoherenceSignals, number>>;
}

export function logisticScore(m: LogisticScore, signals: Partial<CoherenceSignals>): number | null {
  let z = m.bias;
  let present = false;
  for (const [key, w] of Object.entries(m.weights) as [keyof CoherenceSignals, number][]) {
    if (!w) continue;
    const v = signals[key];
    if (typeof v === 'number') present = true;
    z += w * (typeof v === 'number' ? v : (m.fill[key] ?? 0));
  }
  return present ? 1 / (1 + Math.exp(-z)) : null;
}

/** One model, or several whose lowest score is the perspective's (any detected fault condemns). */
export type PerspectiveModel = LogisticScore | LogisticScore[];

export function perspectiveScore(m: PerspectiveModel, signals: Partial<CoherenceSignals>): number | null {
  if (!Array.isArray(m)) return logisticScore(m, signals);
  let lo: number | null = null;
  for (const part of m) {
    const v = logisticScore(part, signals);
    if (v !== null && (lo === null || v < lo)) lo = v;
  }
  return lo;
}

/** Unit-normalised embeddings per segment index, from the optional model scorer. */
export interface SegmentEmbeddings {
  text: Map<number, Float32Array>;
  image: Map<number, Float32Array>;
}

export interface CoherenceSignals {
  coherence_score: number | null;
  coh_text_score: number | null;
  coh_image_score: number | null;
  coh_align_score: number | null;
  coh_text_segments: number;
  coh_text_adjacent: number | null;
  coh_text_centroid: number | null;
  coh_text_drift: number | null;
  coh_text_unconnected: number | null;
  coh_text_split: number | null;
  coh_text_order: number | null;
  coh_images: number;
  coh_image_adjacent: number | null;
  coh_image_outliers: number | null;
  coh_align_anchor: number | null;
  coh_align_text_distance: number | null;
  coh_align_unanchored: number | null;
  coh_align_weighted: number | null;
  coh_image_sites: number | null;
  coh_model_image_text: number | null;
  coh_model_image_image: number | null;
  coh_text_pair: number | null;
  coh_text_pair_low: number | null;
  coh_text_alternation: number | null;
  coh_text_rest: number | null;
  coh_text_rest_low: number | null;
  coh_text_bisect: number | null;
  coh_align_idf: number | null;
  coh_align_local: number | null;
  coh_image_host: number | null;
  coh_text_split_idf: number | null;
  coh_text_split_inner: number | null;
  coh_text_block_novel: number | null;
  coh_text_next_rank: number | null;
  coh_text_title_lead: number | null;
  coh_text_title_share: number | null;
  coh_text_block_style: number | null;
  /** Why coherence_score is NULL ('no_prose', 'one_paragraph'); NULL when it is scored. */
  coh_unscored: string | null;
}

export interface CoherenceMeasurement {
  signals: CoherenceSignals;
  /** Judged paragraphs that share no content word with anything around them or in the document. */
  strayParagraphs: { index: number; contentWords: number }[];
  /** Segment indices of images without a textual anchor, with their distance to the nearest text. */
  unanchoredImages: { index: number; textDistance: number }[];
}

/** Mean of the lowest quarter (at least one value): how bad the worst part of a document is. */
function lowerQuartile(xs: number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  const k = Math.max(1, Math.floor(v.length / 4));
  return v.slice(0, k).reduce((a, b) => a + b, 0) / k;
}

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));
const round = (x: number | null): number | null => (x === null ? null : Math.round(x * 1e4) / 1e4);

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Words in image URLs and alt texts that say nothing about the picture (CDN paths, camera names, chrome). */
const IMAGE_FILLER = new Set([
  'image', 'images', 'img', 'imgs', 'photo', 'photos', 'picture', 'pic', 'pics', 'thumb', 'thumbnail', 'thumbs',
  'icon', 'logo', 'banner', 'header', 'avatar', 'default', 'original', 'large', 'small', 'medium', 'full',
  'size', 'resize', 'resized', 'crop', 'cropped', 'dims', 'scale', 'width', 'height', 'upload', 'uploads',
  'file', 'files', 'media', 'static', 'assets', 'content', 'jpg', 'jpeg', 'png', 'gif', 'webp', 'svg', 'dsc',
  'img_', 'screenshot', 'screen', 'shot', 'copy', 'final', 'master', 'hero', 'feature', 'featured', 'main',
  'getty', 'gettyimages', 'shutterstock', 'istock', 'credit', 'courtesy', 'caption', 'source',
  // generic alt texts of CMSs: "Image for post", "Illustration for article titled ...", "Auto Draft"
  'post', 'titled', 'illustration', 'untitled', 'auto', 'draft',
]);

/**
 * The file name an image URL names. Resizing proxies put the real image's URL in the query
 * ("o.aolcdn.com/images/dims?...&image_uri=https%3A%2F%2F.../xbox-one-x-review.jpg", Next.js
 * "/_next/image?url=..."): the innermost such URL names the picture, the proxy's path does not.
 */
function imageFileName(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url.split(/[/?#]/).pop() ?? '';
  }
  for (const value of u.searchParams.values()) {
    if (/^(https?:)?\/\/|^\/[^?]*\.[a-z]{3,4}(\?|$)/i.test(value)) return imageFileName(new URL(value, u).href);
  }
  return u.pathname.split('/').pop() ?? '';
}

/** Machine ids (CDN hashes, upload keys: "1*sLDnS1UWEFIS33uLMxq3cw", "fc08c913da5cea5d"): letters and digits
 * alternate again and again. A word with a number before or after ("tunisia600", "21winter4") is not one. */
const isMachineId = (chunk: string) => chunk.length >= 8 && (chunk.match(/\p{L}+|\p{N}+/gu)?.length ?? 0) > 3;

/** Words of an image URL's file name: "220px-Mona_Lisa_detail_hands.jpg" -> "Mona Lisa detail hands". */
export function fileNameText(url: string | null | undefined): string {
  if (!url) return '';
  let name = imageFileName(url);
  try {
    name = decodeURIComponent(name);
  } catch {
    /* keep raw */
  }
  return name
    .replace(/\.[a-z0-9]{2,5}$/i, '')
    .replace(/^\d+px-/i, '') // MediaWiki thumbnails
    // Machine ids go whole, before the split at digits would leave fragments that look like words ("UWEFIS").
    .split(/[-_\s.+,*~]+/)
    .filter((chunk) => !isMachineId(chunk))
    .join(' ')
    .split(/[^\p{L}\p{M}]+/u) // digits, separators and size suffixes go
    .filter((w) => {
      if (/[^\x00-\x7f]/.test(w)) return true; // non-ASCII words are rarely machine ids
      if (w.length < 3 || /^[a-f]+$/i.test(w)) return false; // fragments, hex hashes
      if (/[a-z][A-Z]|[A-Z]{2}[a-z]/.test(w)) return false; // random ids: "cZkMMEUbfRjysLQ" (CamelCase words too: rare in file names)
      if (!/[aeiouy]/i.test(w)) return false; // no vowel: an id, not a word
      return !IMAGE_FILLER.has(w.toLowerCase());
    })
    .join(' ');
}

/** The image's own words: alt and title (if the extractor keeps it). */
function imageAltText(seg: Segment): string {
  const title = (seg as { title?: unknown }).title;
  return `${seg.alt ?? ''} ${typeof title === 'string' ? title : ''}`;
}

/** An alt text that is a file name ("12-IMG_3886.jpg", "bandb2.jpg"): one token, with an extension or digits. */
const looksLikeFileName = (alt: string) => /^\S+$/.test(alt.trim()) && /\.[a-z]{3,4}$|\d/i.test(alt.trim());

const isCaption = (seg: Segment | undefined) => !!seg && seg.kind === 'text' && (seg.tag === 'figcaption' || seg.tag === 'caption');

/** A document's terms as integer ids (text segments and title): what the text and alignment measures are over. */
interface DocTerms {
  segs: Segment[];
  stop: Set<string>;
  vocab: Vocabulary;
  vectors: IdVector[];
  /** Text segments with content words, and those judged (enough content words, not code). */
  textIdx: number[];
  judged: number[];
  titleIds: number[];
}

/** A judged paragraph's best link (local context before or after, or the rest of the document). */
interface ParagraphLink {
  index: number;
  link: number;
  contentWords: number;
}

function docTerms(doc: Doc, cfg: MeasureConfig): DocTerms {
  const segs = doc.segments;
  const stop = stopwordsFor(doc.lang);
  // The document's terms as integer ids (text segments and title): every vector below is over them.
  const vocab = new Vocabulary();
  const tokenIds = segs.map((s) => (s.kind === 'text' && s.text ? vocab.ids(contentWords(s.text, s.lang ? stopwordsOf(s.lang) : stop)) : null));
  const titleIds = doc.title ? vocab.ids(contentWords(doc.title, stop)) : [];
  vocab.seal();
  const vectors: IdVector[] = tokenIds.map((t) => (t ? vocab.vector(t) : EMPTY_IDS));
  const textIdx = segs.flatMap((s, i) => (s.kind === 'text' && vectors[i]!.ids.length > 0 ? [i] : []));
  // Code blocks are not prose: they neither develop the text nor break it.
  const judged = textIdx.filter((i) => vectors[i]!.ids.length >= cfg.minContentWords && segs[i]!.tag !== 'pre');
  return { segs, stop, vocab, vectors, textIdx, judged, titleIds };
}

/**
 * Text development: local cohesion, order and splits of the paragraphs, raw and idf-weighted, and the block
 * the idf cut finds (its novelty and style). Also the text centroid (the alignment reads the document's
 * words from it) and each judged paragraph's best link (straySegments).
 */
function textDevelopment(d: DocTerms, cfg: MeasureConfig): { columns: Partial<CoherenceSignals>; centroid: IdVector; links: ParagraphLink[] } {
  const { segs, vocab, vectors, textIdx, judged, titleIds } = d;
  // ---- text development ----
  const centroid = vocab.sum(textIdx.map((i) => vectors[i]!));
  const centSims = vocab.leaveOneOut(judged.map((i) => vectors[i]!), centroid);
  const adjacent: number[] = [];
  const centroidSims: number[] = [];
  const links: ParagraphLink[] = [];
  let unconnected = 0;
  let orderWins = 0;
  let orderTrials = 0;
  const pos = new Map(textIdx.map((i, k) => [i, k]));
  // Sums of runs of text segments [from, to), memoised: one run is a paragraph's context after, the
  // next one's before, and another's distant block.
  const runs = new Map<number, IdVector>();
  const run = (from: number, to: number): IdVector => {
    const key = from * (textIdx.length + 1) + to;
    let r = runs.get(key);
    if (!r) runs.set(key, (r = vocab.sum(textIdx.slice(from, to).map((j) => vectors[j]!))));
    return r;
  };
  const cosine = (a: IdVector, b: IdVector) => vocab.cosine(a, b);
  const window = (from: number) => run(Math.max(0, from), Math.min(textIdx.length, Math.max(0, from + cfg.textWindow)));
  for (const [ji, i] of judged.entries()) {
    const k = pos.get(i)!;
    const bFrom = Math.max(0, k - cfg.textWindow);
    const aTo = Math.min(textIdx.length, k + 1 + cfg.textWindow);
    const v = vectors[i]!;
    const prevSim = k > bFrom ? cosine(v, run(bFrom, k)) : null;
    // Order: does the paragraph's own neighbourhood beat an equally sized block from half a document
    // away? Written text does (local cohesion); shuffled or stitched text is a coin toss.
    const n = textIdx.length;
    if (prevSim !== null && n >= 2 * cfg.textWindow + 3) {
      const far = (k + Math.floor(n / 2)) % n;
      const distant = cosine(v, window(Math.min(far, n - cfg.textWindow)));
      if (prevSim > 0 || distant > 0) {
        orderTrials++;
        orderWins += prevSim > distant ? 1 : prevSim === distant ? 0.5 : 0;
      }
    }
    const nextSim = aTo > k + 1 ? cosine(v, run(k + 1, aTo)) : null;
    const centSim = centSims[ji]!;
    if (prevSim !== null) adjacent.push(prevSim);
    if (centSim !== null) centroidSims.push(centSim);
    const link = Math.max(prevSim ?? 0, nextSim ?? 0, centSim ?? 0);
    if (textIdx.length > 1 && link < cfg.linkMin) unconnected++;
    links.push({ index: i, link, contentWords: v.ids.length });
  }
  let drift: number | null = null;
  if (judged.length >= 4) {
    const half = Math.floor(judged.length / 2);
    drift = 1 - cosine(vocab.sum(judged.slice(0, half).map((i) => vectors[i]!)), vocab.sum(judged.slice(half).map((i) => vectors[i]!)));
  }
  // The title heads the paragraph graph: a passage that shares nothing with the title nor the rest
  // splits off more cleanly than one of the article's own sections does.
  const titleVector = titleIds.length ? vocab.vector(titleIds) : EMPTY_IDS;
  const splitNodes = [...(titleVector.norm > 0 ? [titleVector] : []), ...judged.map((i) => vectors[i]!)];
  // From 8 paragraphs on: over fewer, an article's own sub-topics cut off as cleanly as a spliced passage
  // (the sample's 6-paragraph balcony-tomatoes page scored a split of 0.26 and was rejected).
  const textSplit = judged.length >= 8 ? blockCut(vocab, splitNodes, cfg, titleVector.norm > 0) : null;
  const textAdjacent = mean(adjacent);
  const textCentroid = mean(centroidSims);
  // Two paragraphs that share nothing may be a heading and a note; from three on it means something.
  const textUnconnected = judged.length >= 3 ? unconnected / judged.length : null;
  // Shrunk toward orderPrior.value by orderPrior.trials pseudo-trials: a short document's few
  // comparisons are a noisy coin, and must not condemn it alone.
  const textOrder = orderTrials >= 3 ? (orderWins + cfg.orderPrior.value * cfg.orderPrior.trials) / (orderTrials + cfg.orderPrior.trials) : null;

  // ---- text development, idf-weighted: every pair and every paragraph against the rest ----
  const idfVecs = judged.map((i) => vocab.idf(vectors[i]!));
  // One idf cosine matrix, title first when there is one, serves the pair signals and coh_text_split_idf
  // (cosineMatrix gives a pair the same value whatever else is in the matrix).
  const titleIdf = titleVector.norm > 0 ? vocab.idf(titleVector) : null;
  const idfNodes = titleIdf ? [titleIdf, ...idfVecs] : idfVecs;
  const idfSims = idfVecs.length >= 2 ? vocab.cosineMatrix(idfNodes) : [];
  const pairs = titleIdf ? idfSims.slice(1).map((r) => r.subarray(1)) : idfSims;
  const nJ = idfVecs.length;
  const adjPairs: number[] = [];
  const skipPairs: number[] = [];
  for (let k = 0; k + 1 < nJ; k++) adjPairs.push(pairs[k]![k + 1]!);
  for (let k = 0; k + 2 < nJ; k++) skipPairs.push(pairs[k]![k + 2]!);
  const rest = nJ >= 3 ? vocab.leaveOneOut(idfVecs, vocab.sum(idfVecs)).map((x) => x ?? 0) : [];
  const textPair = mean(adjPairs);
  const textPairLow = adjPairs.length >= 2 ? lowerQuartile(adjPairs) : null;
  // Two topics taking turns (every other paragraph from elsewhere): paragraphs two apart agree more than
  // neighbours do. Written text is the other way round (local cohesion).
  const textAlternation = skipPairs.length >= 3 ? mean(skipPairs)! - mean(adjPairs.slice(0, skipPairs.length + 1))! : null;
  const textRest = mean(rest);
  const textRestLow = rest.length ? lowerQuartile(rest) : null;
  const textBisect = nJ >= 6 ? spectralNormalizedCut(pairs, cfg) : null;
  // The block cut again on the idf-weighted graph (rare shared words carry the links).
  // The same cut over interior blocks only (neither the first nor the last paragraph): a page's own trailing
  // block (related links, a bio, a footer the extractor kept) cuts off cleanly too, a passage spliced inside does not belong.
  const innerCut: { inner: number | null; block?: [number, number] } = { inner: null };
  const textSplitIdf = nJ >= 8 ? blockCut(vocab, idfNodes, cfg, !!titleIdf, idfSims, innerCut) : null;
  // That block's novelty: the share of its idf weight on terms found nowhere else in the document (title
  // included). A passage from another article brings its own names and rare words; a section of the article
  // speaks of what the rest speaks of. (Paragraph nodes only: not for documents grouped into runs.)
  let textBlockNovel: number | null = null;
  if (innerCut.block && idfNodes.length <= 256 + (titleIdf ? 1 : 0)) {
    const [a, b] = innerCut.block;
    const elsewhere = new Uint8Array(vocab.terms.length);
    idfNodes.forEach((v, k) => {
      if (k < a || k >= b) for (const id of v.ids) elsewhere[id] = 1;
    });
    const block = vocab.sum(idfNodes.slice(a, b));
    let all = 0;
    let novel = 0;
    block.ids.forEach((id, k) => {
      all += block.w[k]!;
      if (!elsewhere[id]) novel += block.w[k]!;
    });
    textBlockNovel = all > 0 ? novel / all : null;
  }
  // That block's style against the rest of the judged paragraphs (style.ts): a pasted passage keeps the
  // habits of the page it came from (paragraph and word length, capitals, figures, quotes, commas, markup).
  const textBlockStyle = innerCut.block
    ? styleContrast(judged.map((i) => styleOf(segs[i]!.text!, segs[i]!.tag)), innerCut.block[0] - (titleIdf ? 1 : 0), innerCut.block[1] - (titleIdf ? 1 : 0))
    : null;
  // Order and local cohesion: where does a paragraph's next neighbour rank among all the paragraphs
  // two or more away, by similarity? Written text puts it high; shuffled text anywhere (0.5); an
  // alternating splice low (the neighbour is from another article).
  const nextRanks: number[] = [];
  if (nJ >= 6) {
    // Rank of row[b] among row[j], |j - a| >= 2 (a paragraph and its neighbour, both ways round).
    const rank = (a: number, b: number) => {
      const row = pairs[a]!;
      const x = row[b]!;
      let below = 0;
      for (let j = 0; j <= a - 2; j++) below += row[j]! < x ? 1 : row[j] === x ? 0.5 : 0;
      for (let j = a + 2; j < nJ; j++) below += row[j]! < x ? 1 : row[j] === x ? 0.5 : 0;
      const total = Math.max(0, a - 1) + Math.max(0, nJ - a - 2);
      if (total) nextRanks.push(below / total);
    };
    for (let k = 0; k + 1 < nJ; k++) {
      rank(k, k + 1);
      rank(k + 1, k);
    }
  }
  const textNextRank = nextRanks.length ? mean(nextRanks) : null;
  // The lead: does the first judged paragraph share more with the title than the others do (rank in [0, 1])?
  let textTitleLead: number | null = null;
  let textTitleShare: number | null = null;
  if (titleIdf && nJ >= 4) {
    const ts = idfVecs.map((v) => cosine(titleIdf, v));
    if (ts.some((x) => x > 0)) {
      const lead = Math.max(ts[0]!, ts[1]!);
      textTitleLead = ts.slice(2).reduce((r, x) => r + (x < lead ? 1 : x === lead ? 0.5 : 0), 0) / (nJ - 2);
    }
    textTitleShare = ts.filter((x) => x > 0).length / nJ;
  }
  return {
    centroid,
    links,
    columns: {
      coh_text_segments: judged.length,
      coh_text_adjacent: round(textAdjacent),
      coh_text_centroid: round(textCentroid),
      coh_text_drift: round(drift),
      coh_text_unconnected: round(textUnconnected),
      coh_text_split: round(textSplit),
      coh_text_order: round(textOrder),
      coh_text_pair: round(textPair),
      coh_text_pair_low: round(textPairLow),
      coh_text_alternation: round(textAlternation),
      coh_text_rest: round(textRest),
      coh_text_rest_low: round(textRestLow),
      coh_text_bisect: round(textBisect),
      coh_text_split_idf: round(textSplitIdf),
      coh_text_split_inner: round(innerCut.inner),
      coh_text_block_novel: round(textBlockNovel),
      coh_text_next_rank: round(textNextRank),
      coh_text_title_lead: round(textTitleLead),
      coh_text_title_share: round(textTitleShare),
      coh_text_block_style: round(textBlockStyle),
    },
  };
}

/** Judged paragraphs that share no content word with anything around them or in the document. */
function straySegments(d: DocTerms, links: ParagraphLink[]): { index: number; contentWords: number }[] {
  return d.textIdx.length > 1 ? links.filter((l) => l.link === 0).map(({ index, contentWords }) => ({ index, contentWords })) : [];
}

/** Image-sequence consistency: visual features of neighbouring images, outliers, image sites, model cosines. */
function imageSequence(d: DocTerms, cfg: MeasureConfig, emb?: SegmentEmbeddings): { columns: Partial<CoherenceSignals>; imageIdx: number[] } {
  const { segs } = d;
  // ---- image-sequence consistency ----
  const imageIdx = segs.flatMap((s, i) => (s.kind === 'image' ? [i] : []));
  const visual: { index: number; f: VisualFeatures }[] = [];
  for (const i of imageIdx) {
    const f = visualFeatures(segs[i]!);
    if (f) visual.push({ index: i, f });
  }
  const pairSim = (a: number, b: number): number => {
    const vs = visualSimilarity(visual[a]!.f, visual[b]!.f).similarity;
    const ea = emb?.image.get(visual[a]!.index);
    const eb = emb?.image.get(visual[b]!.index);
    return ea && eb ? (vs + mapModel(dot(ea, eb), cfg)) / 2 : vs;
  };
  let imageAdjacent: number | null = null;
  let imageOutliers: number | null = null;
  if (visual.length >= 2) {
    const n = visual.length;
    const sim: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) sim[a]![b] = sim[b]![a] = pairSim(a, b);
    imageAdjacent = mean(visual.slice(1).map((_, k) => sim[k]![k + 1]!));
    if (n >= 3) {
      let outliers = 0;
      for (let a = 0; a < n; a++) {
        const others = sim[a]!.filter((_, b) => b !== a);
        if (mean(others)! < cfg.imageOutlierSimilarity) outliers++;
      }
      imageOutliers = outliers / n;
    }
  }
  // Images of one article mostly come from one site (its CDN); an image from another site is often
  // an ad, a hotlink or a widget. Share of images off the doc's most common image site.
  let imageSites: number | null = null;
  if (imageIdx.length >= 2) {
    const sites = new Map<string, number>();
    for (const i of imageIdx) {
      const site = imageSite(segs[i]!.url);
      sites.set(site, (sites.get(site) ?? 0) + 1);
    }
    imageSites = 1 - Math.max(...sites.values()) / imageIdx.length;
  }
  let modelImageImage: number | null = null;
  if (emb) {
    const embedded = imageIdx.filter((i) => emb.image.has(i));
    modelImageImage = mean(embedded.slice(1).map((i, k) => dot(emb.image.get(embedded[k]!)!, emb.image.get(i)!)));
  }
  return {
    imageIdx,
    columns: {
      coh_images: imageIdx.length,
      coh_image_adjacent: round(imageAdjacent),
      coh_image_outliers: round(imageOutliers),
      coh_image_sites: round(imageSites),
      coh_model_image_image: round(modelImageImage),
    },
  };
}

/** Image-text alignment: each image's own words (alt, title, file name) found beside it or in the document. */
function imageTextAlignment(
  doc: Doc,
  d: DocTerms,
  imageIdx: number[],
  centroid: IdVector,
  cfg: MeasureConfig,
  emb?: SegmentEmbeddings,
): { columns: Partial<CoherenceSignals>; unanchoredImages: { index: number; textDistance: number }[] } {
  const { segs, stop, vocab, vectors, textIdx } = d;
  // ---- image-text alignment ----
  const docVocab = new Set<string>(centroid.ids.map((id) => vocab.terms[id]!));
  if (doc.title) for (const w of contentWords(doc.title, stop)) docVocab.add(w);
  const anchors: number[] = [];
  const distances: number[] = [];
  const unanchoredImages: { index: number; textDistance: number }[] = [];
  const modelAlign: number[] = [];
  const weighted: [number, number][] = []; // [saturated anchor, evidence]
  const idfAnchors: number[] = [];
  const localShares: number[] = [];
  const pageSite = imageSite(doc.url);
  let ownHost = 0;
  for (const i of imageIdx) {
    const seg = segs[i]!;
    // An alt text that is only a file name is read (and weighed) as one.
    const alt = imageAltText(seg);
    const altIsFile = looksLikeFileName(alt);
    const ownWords = altIsFile ? [] : contentWords(alt, stop).filter((t) => !IMAGE_FILLER.has(t));
    const fileWords = contentWords(`${fileNameText(seg.url)} ${altIsFile ? fileNameText(alt) : ''}`, stop).filter((t) => !IMAGE_FILLER.has(t));
    const terms = [...ownWords, ...fileWords];
    const neighbourhood = new Set<string>();
    for (let j = Math.max(0, i - cfg.imageTextWindow); j <= Math.min(segs.length - 1, i + cfg.imageTextWindow); j++) {
      for (const id of vectors[j]!.ids) neighbourhood.add(vocab.terms[id]!);
    }
    let nearest = Infinity;
    for (const j of textIdx) nearest = Math.min(nearest, Math.abs(j - i));
    const hasCaption = isCaption(segs[i + 1]) || isCaption(segs[i - 1]);
    // Words found beside the image count fully, words found only elsewhere in the document for less.
    // null: the image brings no words of its own, so there is nothing to check.
    let anchor: number | null = terms.length ? Math.max(containment(terms, neighbourhood), 0.6 * containment(terms, docVocab)) : null;
    if (terms.length) {
      // idf-weighted: a rare word of the alt found in the text says more than "people" or "year".
      const inDoc = weightedContainment(terms, docVocab);
      idfAnchors.push(inDoc);
      // Of what the document has, how much sits beside the image: an image moved away from its passage loses it.
      if (inDoc > 0) localShares.push(Math.min(1, weightedContainment(terms, neighbourhood) / inDoc));
    }
    if (sameOwner(pageSite, seg.url)) ownHost++;
    // How much an anchor says: three alt words are full evidence, a file-name word half an alt word.
    let evidence = Math.min(1, (new Set(ownWords).size + 0.5 * new Set(fileWords).size) / 3);
    const e = emb?.image.get(i);
    if (e) {
      let best = -1;
      for (let j = Math.max(0, i - cfg.imageTextWindow); j <= Math.min(segs.length - 1, i + cfg.imageTextWindow); j++) {
        const t = emb!.text.get(j);
        if (t) best = Math.max(best, dot(e, t));
      }
      if (best > -1) {
        modelAlign.push(best);
        anchor = Math.max(anchor ?? 0, mapModel(best, cfg));
        evidence = 1;
      }
    }
    if (anchor !== null) {
      anchors.push(anchor);
      weighted.push([clamp01(anchor / cfg.anchorSaturation), evidence]);
    }
    if (Number.isFinite(nearest)) distances.push(nearest);
    // Unanchored: nothing ties the image to the text (no matching words, no caption, no model score).
    if (!anchor && !hasCaption) unanchoredImages.push({ index: i, textDistance: nearest });
  }
  const alignAnchor = mean(anchors);
  const imageHost = imageIdx.length && pageSite ? ownHost / imageIdx.length : null;
  const alignDistance = mean(distances);
  const alignUnanchored = imageIdx.length ? unanchoredImages.length / imageIdx.length : null;
  // Evidence-weighted mean, shrunk toward "aligned" by a prior worth `anchorPrior` well-anchored images:
  // a document whose only anchor is one cryptic file-name word is not judged on it.
  const wsumA = weighted.reduce((s, [, w]) => s + w, 0);
  const alignWeighted = imageIdx.length === 0 ? null : (weighted.reduce((s, [a, w]) => s + a * w, 0) + cfg.anchorPrior) / (wsumA + cfg.anchorPrior);
  return {
    unanchoredImages,
    columns: {
      coh_align_anchor: round(alignAnchor),
      coh_align_text_distance: round(alignDistance),
      coh_align_unanchored: round(alignUnanchored),
      coh_align_weighted: round(alignWeighted),
      coh_model_image_text: round(mean(modelAlign)),
      coh_align_idf: round(mean(idfAnchors)),
      coh_align_local: round(mean(localShares)),
      coh_image_host: round(imageHost),
    },
  };
}

export function measureCoherence(doc: Doc, cfg: MeasureConfig, emb?: SegmentEmbeddings): CoherenceMeasurement {
  const d = docTerms(doc, cfg);
  const text = textDevelopment(d, cfg);
  const images = imageSequence(d, cfg, emb);
  const alignment = imageTextAlignment(doc, d, images.imageIdx, text.centroid, cfg, emb);
  const signals = {
    coherence_score: null,
    coh_text_score: null,
    coh_image_score: null,
    coh_align_score: null,
    ...text.columns,
    ...images.columns,
    ...alignment.columns,
    coh_unscored: null,
  } as CoherenceSignals;
  scorePerspectives(signals, cfg, images.imageIdx.length > 0);
  return { signals, strayParagraphs: straySegments(d, text.links), unanchoredImages: alignment.unanchoredImages };
}

/**
 * Fills the perspective scores and coherence_score from the measured signal columns (in place), with
 * the logistic models of cfg.score; exported so that scripts/fit-coherence.ts scores with new weights
 * without measuring again. The image perspectives exist only for documents with images.
 */
export function scorePerspectives(signals: CoherenceSignals, cfg: Pick<MeasureConfig, 'score' | 'combine'>, hasImages: boolean): void {
  signals.coh_text_score = round(perspectiveScore(cfg.score.text, signals));
  signals.coh_image_score = hasImages ? round(perspectiveScore(cfg.score.image, signals)) : null;
  signals.coh_align_score = hasImages ? round(perspectiveScore(cfg.score.alignment, signals)) : null;
  const parts = [signals.coh_text_score, signals.coh_image_score, signals.coh_align_score].filter((v): v is number => v !== null);
  const joined = cfg.combine === 'min' ? Math.min(...parts) : cfg.combine === 'product' ? parts.reduce((a, b) => a * b, 1) : mean(parts)!;
  signals.coherence_score = parts.length === 0 ? null : round(joined);
  // Say why a document is not scored: no perspective had a signal to stand on.
  signals.coh_unscored = parts.length ? null : signals.coh_text_segments === 0 ? 'no_prose' : 'one_paragraph';
}

/**
 * Is an image hosted by the page's own site? Same registrable domain, or one's name inside the other's
 * host ("static.bbc.co.uk" for bbc.com, "nytimes.com" for static01.nytimes.com). A page's images mostly
 * are; images of another article, or hotlinked from elsewhere, mostly are not.
 */
export function sameOwner(pageSite: string, imageUrl: string | null | undefined): boolean {
  const site = imageSite(imageUrl);
  if (!site || !pageSite) return false;
  if (site === pageSite) return true;
  const name = (d: string) => d.split('.')[0]!;
  const host = hostOf(imageUrl!);
  if (host === null) return false;
  const a = name(pageSite);
  const b = name(site);
  return (a.length >= 4 && host.includes(a)) || (b.length >= 4 && pageSite.includes(b));
}

/**
 * The best normalised cut of the paragraph graph into ANY two sets (not only a contiguous block): the
 * spectral relaxation of Shi & Malik (2000). The second eigenvector of D^-1/2 W D^-1/2 (Lanczos, lanczos.ts,
 * deflated by the first) orders the paragraphs; the best cut along that order, both sides >= 2, is the
 * value. Near 0 for two topics however they are interleaved (spliced blocks, alternating paragraphs,
 * stitched templates); high for one topic. `sims` is a symmetric cosine matrix (diagonal ignored).
 */
export function spectralNormalizedCut(sims: Float64Array[], cfg: Pick<MeasureConfig, 'splitSmoothing'>): number | null {
  let n = sims.length;
  if (n < 4) return null;
  // Long documents: runs of consecutive paragraphs, at most 128 nodes (n^2 per iteration).
  let W = sims;
  const MAX = 128;
  if (n > MAX) {
    const per = Math.ceil(n / MAX);
    const m = Math.ceil(n / per);
    W = Array.from({ length: m }, () => new Float64Array(m));
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j && Math.floor(i / per) !== Math.floor(j / per)) W[Math.floor(i / per)]![Math.floor(j / per)]! += sims[i]![j]!;
    n = m;
  }
  const eps = (cfg.splitSmoothing * 8) / (n - 1);
  const deg = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) deg[i] = deg[i]! + W[i]![j]! + eps;
  const isq = deg.map((d) => 1 / Math.sqrt(d));
  // First eigenvector of the normalised matrix: sqrt(degree), normalised.
  const u0 = deg.map((d) => Math.sqrt(d));
  const n0 = Math.hypot(...u0);
  for (let i = 0; i < n; i++) u0[i] = u0[i]! / n0;
  // The leading eigenvector of (M + I) / 2 (eigenvalues in [0, 1]) with u0 projected out, by 16 Lanczos steps
  // (lanczos.ts) from a fixed start, for determinism. The power iteration before took 50 of its 60 allowed
  // products on average over the bench pages and still stopped short: over 1,473 eval-page graphs its cut was
  // off the converged one by 1.6e-3 on average (8.6% of graphs by > 0.1%), 16 Lanczos steps by 5e-5 (0.5%).
  // The matrix (W + eps) D^-1/2 is laid out once, flat, with a zero diagonal: each product is a plain dense one.
  const M = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const row = W[i]!;
    for (let j = 0; j < n; j++) if (j !== i) M[i * n + j] = (row[j]! + eps) * isq[j]!;
  }
  const apply = (x: Float64Array, out: Float64Array) => {
    for (let i = 0; i < n; i++) {
      let s = 0;
      const o = i * n;
      for (let j = 0; j < n; j++) s += M[o + j]! * x[j]!;
      out[i] = 0.5 * (s * isq[i]! + x[i]!);
    }
  };
  const v = leadingEigenvector(n, apply, u0, new Float64Array(n).map((_, i) => Math.cos(1 + 2.3 * i)), 16);
  const order = [...Array(n).keys()].sort((a, b) => v[a]! * isq[a]! - v[b]! * isq[b]!);
  // Sweep: move nodes one by one into A; cut(A, B) updated in O(n) per move.
  const total = deg.reduce((a, b) => a + b, 0);
  const inA = new Uint8Array(n);
  let cut = 0;
  let volA = 0;
  let best = Infinity;
  for (let k = 0; k < n - 2; k++) {
    const x = order[k]!;
    for (let j = 0; j < n; j++) if (j !== x) cut += inA[j] ? -(W[x]![j]! + eps) : W[x]![j]! + eps;
    inA[x] = 1;
    volA += deg[x]!;
    if (k >= 1) best = Math.min(best, cut / volA + cut / (total - volA));
  }
  return Number.isFinite(best) ? best : null;
}

/**
 * The host name of a URL (null when it does not parse), memoised: an image URL is parsed for its site, its
 * owner and its page's site, and the same logos and CDN paths recur page after page. Bounded (starts over).
 */
const hosts = new Map<string, string | null>();
function hostOf(url: string): string | null {
  let host = hosts.get(url);
  if (host === undefined) {
    try {
      host = new URL(url).hostname;
    } catch {
      host = null;
    }
    if (hosts.size >= 4096) hosts.clear();
    hosts.set(url, host);
  }
  return host;
}

/** Stopwords per language code, memoised here (stopwordsFor maps the code each call): a page's segments each carry their language. */
const stopwordSets = new Map<string, Set<string>>();
function stopwordsOf(lang: string): Set<string> {
  let set = stopwordSets.get(lang);
  if (!set) {
    if (stopwordSets.size >= 1024) stopwordSets.clear(); // language tags of pages are free text
    stopwordSets.set(lang, (set = stopwordsFor(lang)));
  }
  return set;
}

/** Registrable-ish domain of an image URL ("i2.wp.com" -> "wp.com", "static.bbc.co.uk" -> "bbc.co.uk"). */
export function imageSite(url: string | null | undefined): string {
  const key = url ?? '';
  let site = siteMemo.get(key);
  if (site === undefined) {
    site = siteOfHost(hostOf(key));
    if (siteMemo.size >= 4096) siteMemo.clear();
    siteMemo.set(key, site);
  }
  return site;
}
/** imageSite per URL, memoised as hostOf is (bounded). */
const siteMemo = new Map<string, string>();
function siteOfHost(raw: string | null): string {
  if (raw === null) return '';
  const host = raw.toLowerCase();
  const labels = host.split('.');
  if (/^[\d.]+$/.test(host) || labels.length <= 2) return host;
  const n = labels.length;
  const take = labels[n - 1]!.length === 2 && labels[n - 2]!.length <= 3 ? 3 : 2; // co.uk, com.au
  return labels.slice(-take).join('.');
}

function mapModel(cos: number, cfg: MeasureConfig): number {
  const [lo, hi] = cfg.modelCosineRange;
  return clamp01((cos - lo) / (hi - lo));
}

/**
 * How cleanly the paragraphs fall apart into a contiguous block and the rest: the minimum normalised
 * cut (Shi & Malik 2000) over contiguous blocks of the paragraph graph (edge = cosine + splitSmoothing,
 * so that a lone paragraph with no links is not a "clean split"). Near 0 when a block of paragraphs
 * talks among itself and not with the rest (a foreign passage, two articles glued together); around
 * 1 or more for a document whose parts all share words. Both sides must have at least 2 paragraphs.
 * The block is the minority (at most half the paragraphs): a foreign passage is inserted into a host
 * document, and without the cap the whole body of an article could split off from a title and a
 * footer that merely share the site's name. With `headed`, the first node is the title: it always
 * stays with the host. Long documents are first grouped into at most 256 runs of consecutive paragraphs.
 */
export function minBlockNormalizedCut(paragraphs: TermVector[], cfg: Pick<MeasureConfig, 'splitSmoothing'>, headed = false): number | null {
  const { vocab, vectors } = Vocabulary.fromVectors(paragraphs);
  return blockCut(vocab, vectors, cfg, headed);
}

/** minBlockNormalizedCut over a document's id vectors; `sims` = their cosine matrix when the caller has it. */
function blockCut(
  vocab: Vocabulary,
  paragraphs: IdVector[],
  cfg: Pick<MeasureConfig, 'splitSmoothing'>,
  headed = false,
  sims?: Float64Array[],
  interior?: { inner: number | null; block?: [number, number] },
): number | null {
  // Runs of several paragraphs blur a spliced passage's edges in long articles. AUC of coh_text_score,
  // held-out pages vs 25% spliced from every other page: 0.907 at 64 nodes, 0.917 at 128, 0.923 at 256;
  // 512 adds nothing to the eval. The graph's n^2 cosines go through cosineMatrix (integer term ids).
  const MAX_NODES = 256;
  const head = headed ? paragraphs.slice(0, 1) : [];
  let nodes = headed ? paragraphs.slice(1) : paragraphs;
  if (nodes.length > MAX_NODES) {
    const per = Math.ceil(nodes.length / MAX_NODES);
    const src = nodes;
    nodes = [];
    for (let i = 0; i < src.length; i += per) nodes.push(vocab.sum(src.slice(i, i + per)));
  }
  const maxBlock = Math.ceil(nodes.length / 2);
  nodes = [...head, ...nodes];
  const first = head.length; // blocks start after the title
  const n = nodes.length;
  if (n < 4) return null;
  // 2-D prefix sums of the weight matrix: internal weight of any block in O(1).
  const P = new Float64Array((n + 1) * (n + 1));
  const deg = new Float64Array(n);
  // Smoothing per pair shrinks with n so that every node carries the same total smoothing mass
  // (as if linked to 8 nodes at splitSmoothing), whatever the length of the document.
  const eps = (cfg.splitSmoothing * 8) / (n - 1);
  // `sims`, the cosine matrix of `paragraphs` the caller already has, serves when no runs were grouped.
  const W = sims && nodes.length === paragraphs.length ? sims.map((r) => Float64Array.from(r)) : vocab.cosineMatrix(nodes);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) W[i]![j]! += eps;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      P[(i + 1) * (n + 1) + j + 1] = W[i]![j]! + P[i * (n + 1) + j + 1]! + P[(i + 1) * (n + 1) + j]! - P[i * (n + 1) + j]!;
      deg[i] = deg[i]! + W[i]![j]!;
    }
  }
  const degPrefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) degPrefix[i + 1] = degPrefix[i]! + deg[i]!;
  const total = degPrefix[n]!;
  const block = (a: number, b: number) =>
    P[b * (n + 1) + b]! - P[a * (n + 1) + b]! - P[b * (n + 1) + a]! + P[a * (n + 1) + a]!;
  let best = Infinity;
  let inner = Infinity;
  for (let a = first; a < n; a++) {
    for (let b = a + 2; b <= Math.min(n, a + maxBlock); b++) {
      if (n - (b - a) < 2) continue;
      const volA = degPrefix[b]! - degPrefix[a]!;
      const volB = total - volA;
      const cut = volA - block(a, b);
      if (volA <= 0 || volB <= 0) continue;
      const value = cut / volA + cut / volB;
      best = Math.min(best, value);
      if (a > first && b < n && value < inner) {
        inner = value;
        if (interior) interior.block = [a, b];
      }
    }
  }
  if (interior) interior.inner = Number.isFinite(inner) ? inner : null;
  return Number.isFinite(best) ? best : null;
}

