/**
 * Language-aware content words and sparse term vectors, the ground the text and alignment signals
 * stand on. No model: words come from stages/lib/text.ts's dictionaryWords (ICU word break for
 * scripts without spaces), stopwords from the `stopwords-iso` package (58 languages).
 */
import { readFileSync } from 'node:fs';
import { allStopwordLists, stopwordList, toIso1 } from '../lib/language.ts';
import { dictionaryWords, isAlnum, isApostrophe } from '../lib/text.ts';

/** A sparse term-frequency vector with its norm precomputed. */
export interface TermVector {
  tf: Map<string, number>;
  norm: number;
}

/** Scripts whose words we cut to a prefix (a cheap stemmer: paint/painting/paintings agree). */
const PREFIX_STEM_SCRIPT = /^[\p{Script=Latin}\p{Script=Cyrillic}\p{Script=Greek}\p{N}'’]+$/u;
const STEM_PREFIX = 6;
const IDEOGRAPHIC = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

const stopwordCache = new Map<string, Set<string>>();

/**
 * Stopwords for a language (any code stages/lib/language.ts reads), NFKC-normalised and lower-cased
 * as dictionaryWords() are, with English added (menus, credits and code are English on pages in every
 * language; stopwords-iso's English list has 1,298 words, enough to take generic web words like
 * "said" or "also" out); the union of every list when the language is unknown or has no list (a word
 * that is a function word somewhere is rarely a topic word elsewhere).
 */
export function stopwordsFor(lang: string | null | undefined): Set<string> {
  const list = stopwordList(lang);
  const cacheKey = list ? toIso1(lang)! : '*';
  let set = stopwordCache.get(cacheKey);
  if (!set) {
    const words = list ? [...list, ...stopwordList('en')!] : allStopwordLists().flat();
    stopwordCache.set(cacheKey, (set = new Set(words.map((w) => w.normalize('NFKC').toLowerCase()))));
  }
  return set;
}

/** A word of [a-z0-9'’] only: PREFIX_STEM_SCRIPT holds without running it. */
function asciiWord(w: string): boolean {
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    if (!isAlnum(c) && !isApostrophe(c)) return false;
  }
  return true;
}

/**
 * Content words: words that are not stopwords, at least 2 characters long unless ideographic
 * (one Han character is a word), Latin/Cyrillic/Greek cut to a 6-character prefix.
 */
export function contentWords(text: string, stopwords: Set<string>): string[] {
  const out: string[] = [];
  for (let w of dictionaryWords(text)) {
    // The cheap length and last-letter checks go first: the regexes run on few words.
    if (w.length >= 2 && w.charCodeAt(w.length - 1) === 115 /* s */ && isApostrophe(w.charCodeAt(w.length - 2))) w = w.slice(0, -2); // possessive 's
    if (stopwords.has(w)) continue;
    if (w.length < 2 && !IDEOGRAPHIC.test(w)) continue;
    if (w.length < 3 && /^\p{N}+$/u.test(w)) continue; // list numbers, days: no topic
    if (w.length > STEM_PREFIX && (asciiWord(w) || PREFIX_STEM_SCRIPT.test(w))) w = w.slice(0, STEM_PREFIX);
    out.push(w);
  }
  return out;
}

/** Sublinear TF vector (1 + ln tf), which keeps one repeated word from dominating a paragraph. */
export function termVector(terms: string[]): TermVector {
  const counts = new Map<string, number>();
  for (const t of terms) counts.set(t, (counts.get(t) ?? 0) + 1);
  const tf = new Map<string, number>();
  let sq = 0;
  for (const [t, c] of counts) {
    const w = 1 + Math.log(c);
    tf.set(t, w);
    sq += w * w;
  }
  return { tf, norm: Math.sqrt(sq) };
}

export function cosine(a: TermVector, b: TermVector): number {
  if (a.norm === 0 || b.norm === 0) return 0;
  const [small, large] = a.tf.size <= b.tf.size ? [a, b] : [b, a];
  let dot = 0;
  for (const [t, w] of small.tf) {
    const o = large.tf.get(t);
    if (o !== undefined) dot += w * o;
  }
  return dot / (a.norm * b.norm);
}

/**
 * All pairwise cosines of `vs` (row i, column j; diagonal 0), equal to cosine(vs[i], vs[j]). Terms get
 * integer ids once (`Vocabulary.fromVectors`), so the n^2 pairs cost array reads instead of string-keyed
 * map lookups.
 */
export function cosineMatrix(vs: TermVector[]): Float64Array[] {
  const { vocab, vectors } = Vocabulary.fromVectors(vs);
  return vocab.cosineMatrix(vectors);
}

/**
 * A sparse vector over a document's integer term ids (`Vocabulary`): ids in first-occurrence order, the
 * weights beside them. Every operation visits terms in the order the string-keyed Map versions did
 * (insertion order), so the values are the same to the last bit as before the ids (issue #17).
 */
export interface IdVector {
  ids: number[];
  w: number[];
  norm: number;
}

export const EMPTY_IDS: IdVector = { ids: [], w: [], norm: 0 };

/**
 * One document's terms as integer ids, with dense scratch arrays the size of its vocabulary: term vectors,
 * sums, cosines and idf weights of a document cost array reads and writes instead of string-keyed map
 * lookups (the stage's largest cost before). Ids are given first (`ids`), then `seal()` sizes the scratch.
 */
export class Vocabulary {
  readonly terms: string[] = [];
  private readonly index = new Map<string, number>();
  private dense = new Float64Array(0);
  private seen = new Uint8Array(0);
  private idfs = new Float64Array(0);

  /** The ids of `terms`, new terms numbered on first sight. */
  ids(terms: string[]): number[] {
    const out = new Array<number>(terms.length);
    for (let k = 0; k < terms.length; k++) {
      const t = terms[k]!;
      let id = this.index.get(t);
      if (id === undefined) {
        id = this.terms.length;
        this.index.set(t, id);
        this.terms.push(t);
      }
      out[k] = id;
    }
    return out;
  }

  /** Sizes the scratch arrays once every term has an id. */
  seal(): this {
    const n = this.terms.length;
    this.dense = new Float64Array(n);
    this.seen = new Uint8Array(n);
    this.idfs = new Float64Array(n).fill(NaN);
    return this;
  }

  /** The TermVector functions' vectors over one shared vocabulary (cosineMatrix, minBlockNormalizedCut callers). */
  static fromVectors(vs: TermVector[]): { vocab: Vocabulary; vectors: IdVector[] } {
    const vocab = new Vocabulary();
    const idLists = vs.map((v) => vocab.ids([...v.tf.keys()]));
    vocab.seal();
    return { vocab, vectors: vs.map((v, i) => ({ ids: idLists[i]!, w: [...v.tf.values()], norm: v.norm })) };
  }

  /** termVector over ids: sublinear tf (1 + ln tf), terms in first-occurrence order. */
  vector(tokenIds: number[]): IdVector {
    const count = this.dense;
    const ids: number[] = [];
    for (const id of tokenIds) {
      if (count[id] === 0) ids.push(id);
      count[id]!++;
    }
    const w = new Array<number>(ids.length);
    let sq = 0;
    for (let k = 0; k < ids.length; k++) {
      const x = 1 + Math.log(count[ids[k]!]!);
      count[ids[k]!] = 0;
      w[k] = x;
      sq += x * x;
    }
    return { ids, w, norm: Math.sqrt(sq) };
  }

  /** Sum of vectors (a context of several segments). */
  sum(vs: IdVector[]): IdVector {
    const acc = this.dense;
    const seen = this.seen;
    const ids: number[] = [];
    for (const v of vs) {
      for (let k = 0; k < v.ids.length; k++) {
        const id = v.ids[k]!;
        if (!seen[id]) {
          seen[id] = 1;
          ids.push(id);
        }
        acc[id]! += v.w[k]!;
      }
    }
    const w = new Array<number>(ids.length);
    let sq = 0;
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      const x = acc[id]!;
      w[k] = x;
      sq += x * x;
      acc[id] = 0;
      seen[id] = 0;
    }
    return { ids, w, norm: Math.sqrt(sq) };
  }

  /** `cosine` over ids: the smaller vector's terms (the first on a tie) against the larger one's weights. */
  cosine(a: IdVector, b: IdVector): number {
    if (a.norm === 0 || b.norm === 0) return 0;
    const [small, large] = a.ids.length <= b.ids.length ? [a, b] : [b, a];
    const d = this.dense;
    this.scatter(large);
    let dot = 0;
    for (let k = 0; k < small.ids.length; k++) {
      const o = d[small.ids[k]!]!;
      // A term absent from `large` adds nothing (the Map version skips it; adding w * 0 could turn -0 into 0 only).
      if (this.seen[small.ids[k]!]) dot += small.w[k]! * o;
    }
    this.clear(large);
    return dot / (a.norm * b.norm);
  }

  /**
   * cos(v, total - v) for every v of `vs` (parts of the sum `total`), without building total - v:
   * v.(C - v) = v.C - |v|^2 and |C - v|^2 = |C|^2 - 2 v.C + |v|^2. Null when nothing else is left.
   */
  leaveOneOut(vs: IdVector[], total: IdVector): (number | null)[] {
    this.scatter(total);
    const d = this.dense;
    const out = vs.map((v) => {
      let vc = 0;
      for (let k = 0; k < v.ids.length; k++) vc += v.w[k]! * d[v.ids[k]!]!;
      const vv = v.norm * v.norm;
      const restSq = total.norm * total.norm - 2 * vc + vv;
      if (restSq <= 1e-9 || v.norm === 0) return null;
      return Math.max(0, (vc - vv) / (v.norm * Math.sqrt(restSq)));
    });
    this.clear(total);
    return out;
  }

  /** The same terms with tf x idf weights (topic words carry the cosine, generic ones hardly); idf looked up once per term. */
  idf(v: IdVector): IdVector {
    const w = new Array<number>(v.ids.length);
    let sq = 0;
    for (let k = 0; k < v.ids.length; k++) {
      const id = v.ids[k]!;
      let f = this.idfs[id]!;
      if (Number.isNaN(f)) this.idfs[id] = f = idf(this.terms[id]!);
      const x = v.w[k]! * f;
      w[k] = x;
      sq += x * x;
    }
    return { ids: v.ids, w, norm: Math.sqrt(sq) };
  }

  /** All pairwise cosines (diagonal 0), the same values as cosineMatrix of the TermVectors. */
  cosineMatrix(vs: IdVector[]): Float64Array[] {
    const rows = vs.map((v) => ({ ids: v.ids, w: v.w.map((x) => (v.norm > 0 ? x / v.norm : 0)) }));
    const n = vs.length;
    const out = Array.from({ length: n }, () => new Float64Array(n));
    const dense = this.dense;
    for (let i = 0; i < n; i++) {
      const a = rows[i]!;
      for (let k = 0; k < a.ids.length; k++) dense[a.ids[k]!] = a.w[k]!;
      for (let j = i + 1; j < n; j++) {
        const b = rows[j]!;
        let dot = 0;
        for (let k = 0; k < b.ids.length; k++) dot += dense[b.ids[k]!]! * b.w[k]!;
        out[i]![j] = out[j]![i] = dot;
      }
      for (let k = 0; k < a.ids.length; k++) dense[a.ids[k]!] = 0;
    }
    return out;
  }

  private scatter(v: IdVector): void {
    for (let k = 0; k < v.ids.length; k++) {
      this.dense[v.ids[k]!] = v.w[k]!;
      this.seen[v.ids[k]!] = 1;
    }
  }

  private clear(v: IdVector): void {
    for (let k = 0; k < v.ids.length; k++) {
      this.dense[v.ids[k]!] = 0;
      this.seen[v.ids[k]!] = 0;
    }
  }
}

/** Share of `terms` (as a set) found in `vocabulary`: containment, for short anchors like alt text. */
export function containment(terms: string[], vocabulary: { has(t: string): boolean }): number {
  const uniq = new Set(terms);
  if (uniq.size === 0) return 0;
  let hit = 0;
  for (const t of uniq) if (vocabulary.has(t)) hit++;
  return hit / uniq.size;
}

/**
 * Document frequencies of content words (as contentWords makes them) over the fit half of the
 * coherence eval pages (../shared/corpus/html dev collection, split by site), written by
 * `npx tsx scripts/fit-coherence.ts --write`: { pages, minDf, df: { term: pages containing it } }.
 * Only terms in >= minDf pages are listed; any other term is rare, and gets the weight of df = 1.
 */
interface DfTable {
  pages: number;
  minDf: number;
  df: Record<string, number>;
}
let dfTable: DfTable | null = null;
/**
 * idf of every term of the table, computed once when the table is set (a Map: a plain object's lookup of
 * "constructor" found Object.prototype's function, idf NaN); any other term is rare and weighs `rareIdf`.
 * A memo that grew with every rare term seen (cleared at 200,000) cost ~9% of the stage in a profile.
 */
let idfOf = new Map<string, number>();
let rareIdf = 1;
function table(): DfTable {
  if (!dfTable) {
    try {
      setTable(JSON.parse(readFileSync(new URL('./term-df.json', import.meta.url), 'utf8')) as DfTable);
    } catch {
      setTable({ pages: 1, minDf: 1, df: {} }); // not written yet: every term weighs the same
    }
  }
  return dfTable!;
}
function setTable(t: DfTable): void {
  dfTable = t;
  const weight = (df: number) => Math.log((t.pages + 1) / (df + 1)) + 1;
  idfOf = new Map(Object.entries(t.df).map(([term, df]) => [term, weight(df)]));
  rareIdf = weight(1);
}

/** Inverse document frequency, ln((N + 1) / (df + 1)) + 1: words every article uses ("year", "people") weigh little. */
export function idf(term: string): number {
  if (!dfTable) table();
  return idfOf.get(term) ?? rareIdf;
}

/** Share of `terms` (as a set) found in `vocabulary`, each term weighted by its idf. */
export function weightedContainment(terms: string[], vocabulary: { has(t: string): boolean }): number {
  let all = 0;
  let hit = 0;
  for (const t of new Set(terms)) {
    const w = idf(t);
    all += w;
    if (vocabulary.has(t)) hit += w;
  }
  return all > 0 ? hit / all : 0;
}

/** Replace the document-frequency table (scripts/fit-coherence.ts, before it measures with a new one). */
export function useDfTable(t: DfTable): void {
  setTable(t);
}

/**
 * The table the idf weights come from now (term-df.json, or the one given to useDfTable): what measured
 * signals depend on, so what a cache of them must be keyed by (scripts/coherence-eval-data.ts).
 */
export function currentDfTable(): DfTable {
  return table();
}
export type { DfTable };
