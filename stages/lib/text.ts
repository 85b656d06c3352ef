/**
 * Words of a text, for the quality and safety signals (word counts, stopword and flagged-word
 * ratios). Shared by stages/quality and stages/safety so both count the same words.
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
