/**
 * Words of a text, two ways. words(): for the quality and safety signals (word counts, stopword and
 * flagged-word ratios), shared by stages/quality and stages/safety so both count the same words.
 * dictionaryWords(): for comparing topics (coherence), where a Chinese word must be one token.
 *
 * Spaced scripts: runs of letters, marks and digits (apostrophes inside a word kept: "isn't").
 * Han and kana have no spaces: each Han character is a word and each kana run is a word (a cheap
 * stand-in for a dictionary segmenter). Thai, Lao, Khmer and Myanmar runs go through the ICU word
 * segmenter (Intl.Segmenter), which is exact but slow (~0.1 MB/s here), so only those runs use it.
 */

const WORD = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+)*/gu;
const CJK = /\p{Script=Han}|\p{Script=Hiragana}|\p{Script=Katakana}/u;
const CJK_TOKEN = /\p{Script=Han}|[\p{Script=Hiragana}ー]+|[\p{Script=Katakana}ー]+|[^\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}ー]+/gu;
const NO_SPACE = /[\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

let segmenter: Intl.Segmenter | null = null;

/** Lower-cased words of `text`. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(WORD)) {
    const w = m[0];
    if (CJK.test(w)) {
      for (const t of w.matchAll(CJK_TOKEN)) out.push(t[0]);
    } else if (NO_SPACE.test(w)) {
      segmenter ??= new Intl.Segmenter('und', { granularity: 'word' });
      for (const s of segmenter.segment(w)) if (s.isWordLike) out.push(s.segment);
    } else {
      out.push(w);
    }
  }
  return out;
}

/** True for a word with at least one letter (Gopher's "alphabetic word"). */
export function hasLetter(word: string): boolean {
  return /\p{L}/u.test(word);
}

/** Runs of letters, marks and digits (apostrophes inside words are word-internal: "Lisa's"). */
const DICT_WORD_RUN = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}]+)*/gu;
/** Scripts written without spaces between words: these runs go through ICU's word breaker. */
const NO_SPACE_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
// Intl.Segmenter is slow per call on Node 20 (about 0.7 MB/s measured here, and superlinear on long
// strings), so it only ever sees the short runs of no-space scripts.
const wordBreaker = new Intl.Segmenter(undefined, { granularity: 'word' });

function maxCharCode(s: string): number {
  let m = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > m) m = c;
  }
  return m;
}

/**
 * Lower-cased, NFKC-normalised words of `text`, in order, for comparing topics (coherence): Han, kana,
 * Thai, Lao, Khmer and Myanmar runs go through ICU's dictionary word break, so 日本語 is one word rather
 * than three (words() above counts each Han character, as Gopher-style ratios want). No filtering.
 */
export function dictionaryWords(text: string): string[] {
  if (isPlain(text)) return asciiWords(text.toLowerCase());
  const out: string[] = [];
  for (const m of text.normalize('NFKC').toLowerCase().matchAll(DICT_WORD_RUN)) {
    const run = m[0];
    // Runs below U+0E00 (Latin, Cyrillic, Greek, Arabic, Indic ...) hold no no-space script: skip the test.
    if (maxCharCode(run) < 0x0e00 || !NO_SPACE_SCRIPT.test(run)) {
      out.push(run);
      continue;
    }
    for (const s of wordBreaker.segment(run)) if (s.isWordLike) out.push(s.segment);
  }
  return out;
}

/**
 * ASCII plus typographic punctuation that is no word character and that NFKC and lower-casing leave
 * without letters (no-break space, curly quotes and apostrophe, dashes, ellipsis, guillemets, bullet).
 */
const PLAIN_EXTRA = new Set([0xa0, 0xab, 0xbb, 0x2013, 0x2014, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2026]);
function isPlain(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80 && !PLAIN_EXTRA.has(c)) return false;
  }
  return true;
}
const isLower = (c: number) => c >= 97 && c <= 122;
export const isApostrophe = (c: number) => c === 39 || c === 0x2019;
export const isAlnum = (c: number) => isLower(c) || (c >= 48 && c <= 57);

/**
 * DICT_WORD_RUN on lower-cased plain text (isPlain) (NFKC leaves its word characters as they are), without the regex: runs
 * of [a-z0-9], each followed by any number of ' or ’ + [a-z]+ ("rock'n'roll", "it’s"). The same words as the regex.
 */
function asciiWords(s: string): string[] {
  const out: string[] = [];
  const n = s.length;
  let i = 0;
  while (i < n) {
    if (!isAlnum(s.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && isAlnum(s.charCodeAt(i))) i++;
    while (i + 1 < n && isApostrophe(s.charCodeAt(i)) && isLower(s.charCodeAt(i + 1))) {
      i += 2;
      while (i < n && isLower(s.charCodeAt(i))) i++;
    }
    out.push(s.slice(start, i));
  }
  return out;
}
