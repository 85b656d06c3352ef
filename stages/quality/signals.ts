/**
 * Text-quality signals: pure functions of a text (and its words). Definitions follow OBELICS's
 * filters (references/pipelines.md §1.7) and DeepMind's Gopher rules (Rae et al. 2021, App. A),
 * generalised from English to Unicode where noted.
 */
import { hasLetter } from '../lib/text.ts';
import { stopwordList } from '../lib/language.ts';

/**
 * How often each distinct n-gram of a sequence of integer symbols (code points, word ids) occurs (the
 * counts only, in no order). N-grams are keyed by two independent 32-bit hashes of their n symbols:
 * numbers are many times faster than an n-gram string per position, and a collision among a
 * document's n-grams is vanishingly unlikely (~positions²/2^65).
 */
function ngramCounts(symbols: ArrayLike<number>, n: number): Uint32Array {
  const positions = symbols.length - n + 1;
  if (positions <= 0) return new Uint32Array(0);
  // Open addressing over typed arrays, keyed by two independent 32-bit hashes (64 bits in all): a JS
  // Map keyed by large doubles cost 2 ms per page here, most of the quality stage's time.
  let cap = 16;
  while (cap < positions * 2) cap *= 2;
  const mask = cap - 1;
  const key1 = new Uint32Array(cap);
  const key2 = new Uint32Array(cap);
  const count = new Uint32Array(cap);
  let distinct = 0;
  for (let i = 0; i < positions; i++) {
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    for (let j = i; j < i + n; j++) {
      const c = symbols[j]!;
      h1 = Math.imul(h1 ^ c, 0x9e3779b1);
      h2 = Math.imul(h2 + c, 0x85ebca77) ^ (h2 >>> 13);
    }
    h1 >>>= 0;
    h2 >>>= 0;
    let slot = (h1 ^ (h2 >>> 7)) & mask;
    while (count[slot] !== 0 && (key1[slot] !== h1 || key2[slot] !== h2)) slot = (slot + 1) & mask;
    if (count[slot] === 0) {
      key1[slot] = h1;
      key2[slot] = h2;
      distinct++;
    }
    count[slot]!++;
  }
  const out = new Uint32Array(distinct);
  let k = 0;
  for (let slot = 0; slot < cap; slot++) if (count[slot] !== 0) out[k++] = count[slot]!;
  return out;
}

/** Code points of a text (OBELICS, in Python, counts code points, not UTF-16 units). */
function codePoints(text: string): Uint32Array {
  const out = new Uint32Array(text.length);
  let k = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.codePointAt(i)!;
    out[k++] = c;
    if (c > 0xffff) i++;
  }
  return out.subarray(0, k);
}

/**
 * OBELICS char-repetition: over character n-grams (n = 10), the share of all n-gram occurrences
 * taken by the k most frequent, k = min(floor(sqrt(#distinct)), #distinct - #seen-once).
 */
export function charRepetition(text: string, n = 10): number {
  const chars = codePoints(text);
  if (chars.length < n) return 0;
  const counts = ngramCounts(chars, n).sort(); // ascending (typed array: numeric)
  let once = 0;
  for (const c of counts) if (c === 1) once++;
  const k = Math.min(Math.floor(Math.sqrt(counts.length)), counts.length - once);
  const total = chars.length - n + 1;
  let top = 0;
  for (let i = 0; i < k; i++) top += counts[counts.length - 1 - i]!;
  return top / total;
}

/** OBELICS word-repetition: share of word n-gram occurrences (n = 5) whose n-gram occurs more than once. */
export function wordRepetition(words: string[], n = 5): number {
  if (words.length < n) return 0;
  const ids = new Map<string, number>();
  const seq = new Uint32Array(words.length);
  words.forEach((w, i) => {
    let id = ids.get(w);
    if (id === undefined) ids.set(w, (id = ids.size));
    seq[i] = id;
  });
  let repeated = 0;
  for (const c of ngramCounts(seq, n)) if (c > 1) repeated += c;
  return repeated / (words.length - n + 1);
}

const SPECIAL = /[\p{P}\p{S}\p{N}\s]/u;
const WORD_CHAR = /[\p{L}\p{M}\p{N}_']/u;
const PUNCT_MARK = /[,;:?!.，、；：？！。،؛؟।॥။၊።፣։།]/u;
/** Bits of a code point's classes (below), decided by the regexes once per code point: 0 = not yet. */
const KNOWN = 1;
const IS_SPECIAL = 2;
const IS_WORD = 4;
const IS_PUNCT = 8;
const classes = new Uint8Array(0x110000);

function classOf(c: number): number {
  let k = classes[c]!;
  if (k === 0) {
    const ch = String.fromCodePoint(c);
    k = KNOWN | (SPECIAL.test(ch) ? IS_SPECIAL : 0) | (WORD_CHAR.test(ch) ? IS_WORD : 0) | (PUNCT_MARK.test(ch) ? IS_PUNCT : 0);
    classes[c] = k;
  }
  return k;
}

/** What the special-character and punctuation ratios count in a text; additive over texts joined by whitespace. */
export interface CharCounts {
  /** Code points. */
  chars: number;
  /** Punctuation, symbols, digits and whitespace (OBELICS special characters, in Unicode). */
  special: number;
  /** Word tokens of the punctuation ratio: runs of letters, marks, digits, _ and '. */
  wordTokens: number;
  /** Punctuation tokens of the punctuation ratio: one per mark. */
  punctTokens: number;
}

/** One pass over the code points of `text` (same classes as the regexes of the two ratios). */
export function charCounts(text: string): CharCounts {
  let chars = 0;
  let special = 0;
  let wordTokens = 0;
  let punctTokens = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.codePointAt(i)!;
    if (c > 0xffff) i++;
    chars++;
    const k = classOf(c);
    if (k & IS_SPECIAL) special++;
    if (k & IS_WORD) {
      if (!inWord) wordTokens++;
      inWord = true;
    } else {
      inWord = false;
      if (k & IS_PUNCT) punctTokens++;
    }
  }
  return { chars, special, wordTokens, punctTokens };
}

/** Counts of texts joined with `sepChars` whitespace characters between them (e.g. '\n\n' = 2). */
export function joinedCounts(parts: CharCounts[], sepChars: number): CharCounts {
  const seps = parts.length > 1 ? (parts.length - 1) * sepChars : 0;
  const out = { chars: seps, special: seps, wordTokens: 0, punctTokens: 0 };
  for (const p of parts) {
    out.chars += p.chars;
    out.special += p.special;
    out.wordTokens += p.wordTokens;
    out.punctTokens += p.punctTokens;
  }
  return out;
}

/**
 * OBELICS special-character ratio, in Unicode: punctuation, symbols (emoji included), digits and
 * whitespace, over all characters. OBELICS uses ASCII punctuation + digits + whitespace + emoji.
 */
export function specialCharRatio(text: string | CharCounts): number {
  const c = typeof text === 'string' ? charCounts(text) : text;
  return c.chars === 0 ? 0 : c.special / c.chars;
}

/**
 * OBELICS punctuation ratio: tokens are words ([\w']+) or one punctuation mark; the ratio is
 * punctuation tokens over all tokens. OBELICS counts `, ; : ? ! .`; we add their CJK, Arabic,
 * Devanagari, Myanmar, Ethiopic, Armenian and Tibetan forms so non-Latin text is measured the same way. `minTokens`: below it the ratio
 * is 1 (OBELICS's paragraph-level escape for short paragraphs).
 */
export function punctuationRatio(text: string | CharCounts, minTokens = 0): number {
  const c = typeof text === 'string' ? charCounts(text) : text;
  const tokens = c.wordTokens + c.punctTokens;
  if (tokens < minTokens) return 1;
  return tokens === 0 ? 0 : c.punctTokens / tokens;
}

/** Lines of a document: its text segments split at newlines, blank lines dropped. */
export function linesOf(texts: string[]): string[] {
  return texts.flatMap((t) => t.split('\n')).map((l) => l.trim()).filter((l) => l.length > 0);
}

const BULLET = /^[•‣◦⁃∙●○▪▫■□➢➤►▶✓✔\-*·–—]/u;
const ELLIPSIS = /(\.\.\.|…)$/u;

/** Gopher: share of lines starting with a bullet. */
export function bulletLineRatio(lines: string[]): number {
  return lines.length === 0 ? 0 : lines.filter((l) => BULLET.test(l)).length / lines.length;
}

/** Gopher: share of lines ending with an ellipsis. */
export function ellipsisLineRatio(lines: string[]): number {
  return lines.length === 0 ? 0 : lines.filter((l) => ELLIPSIS.test(l)).length / lines.length;
}

/** Gopher repetition: share of lines that duplicate an earlier line. */
export function duplicateLineRatio(lines: string[]): number {
  if (lines.length === 0) return 0;
  const seen = new Set<string>();
  let dup = 0;
  for (const l of lines) {
    if (seen.has(l)) dup++;
    else seen.add(l);
  }
  return dup / lines.length;
}

/** Gopher: ('#' + ellipses) per word. */
export function symbolWordRatio(text: string, wordCount: number): number {
  if (wordCount === 0) return 0;
  const n = (text.match(/#/g)?.length ?? 0) + (text.match(/\.\.\.|…/g)?.length ?? 0);
  return n / wordCount;
}

/** Gopher: share of words with at least one letter. */
export function alphaWordRatio(words: string[]): number {
  return words.length === 0 ? 0 : words.filter(hasLetter).length / words.length;
}

export function meanWordLength(words: string[]): number {
  if (words.length === 0) return 0;
  let n = 0;
  for (const w of words) n += [...w].length;
  return n / words.length;
}

const stopwordSets = new Map<string, Set<string> | null>();

/** Stopwords of a language (ISO 639-3), lower-cased as stages/lib/text.ts's words are, or null when it has no list. */
export function stopwordsFor(lang: string | null): Set<string> | null {
  if (!lang) return null;
  let set = stopwordSets.get(lang);
  if (set === undefined) {
    const list = stopwordList(lang);
    set = list ? new Set(list.map((w) => w.toLowerCase())) : null;
    stopwordSets.set(lang, set);
  }
  return set;
}
