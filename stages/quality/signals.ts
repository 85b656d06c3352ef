/**
 * Text-quality signals: pure functions of a text (and its words). Definitions follow OBELICS's
 * filters (references/pipelines.md §1.7) and DeepMind's Gopher rules (Rae et al. 2021, App. A),
 * generalised from English to Unicode where noted.
 */
import { createRequire } from 'node:module';
import { iso6393To1 } from 'iso-639-3';
import { hasLetter } from '../lib/text.ts';

/**
 * OBELICS char-repetition: over character n-grams (n = 10), the share of all n-gram occurrences
 * taken by the k most frequent, k = min(floor(sqrt(#distinct)), #distinct - #seen-once).
 */
export function charRepetition(text: string, n = 10): number {
  // n-grams of code points, as OBELICS (Python) counts them; substring is the fast path without surrogates.
  const chars: string[] | string = /[\uD800-\uDFFF]/.test(text) ? [...text] : text;
  if (chars.length < n) return 0;
  const freq = new Map<string, number>();
  for (let i = 0; i + n <= chars.length; i++) {
    const g = typeof chars === 'string' ? chars.substring(i, i + n) : chars.slice(i, i + n).join('');
    freq.set(g, (freq.get(g) ?? 0) + 1);
  }
  const counts = [...freq.values()].sort((a, b) => b - a);
  const once = counts.filter((c) => c === 1).length;
  const k = Math.min(Math.floor(Math.sqrt(counts.length)), counts.length - once);
  const total = chars.length - n + 1;
  let top = 0;
  for (let i = 0; i < k; i++) top += counts[i]!;
  return top / total;
}

/** OBELICS word-repetition: share of word n-gram occurrences (n = 5) whose n-gram occurs more than once. */
export function wordRepetition(words: string[], n = 5): number {
  if (words.length < n) return 0;
  const freq = new Map<string, number>();
  for (let i = 0; i + n <= words.length; i++) {
    const g = words.slice(i, i + n).join(' ');
    freq.set(g, (freq.get(g) ?? 0) + 1);
  }
  let repeated = 0;
  for (const c of freq.values()) if (c > 1) repeated += c;
  return repeated / (words.length - n + 1);
}

/**
 * OBELICS special-character ratio, in Unicode: punctuation, symbols (emoji included), digits and
 * whitespace, over all characters. OBELICS uses ASCII punctuation + digits + whitespace + emoji.
 */
export function specialCharRatio(text: string): number {
  const chars = [...text];
  if (chars.length === 0) return 0;
  let special = 0;
  for (const ch of chars) if (/[\p{P}\p{S}\p{N}\s]/u.test(ch)) special++;
  return special / chars.length;
}

/**
 * OBELICS punctuation ratio: tokens are words ([\w']+) or one punctuation mark; the ratio is
 * punctuation tokens over all tokens. OBELICS counts `, ; : ? ! .`; we add their CJK, Arabic,
 * Devanagari, Myanmar, Ethiopic, Armenian and Tibetan forms so non-Latin text is measured the same way. `minTokens`: below it the ratio
 * is 1 (OBELICS's paragraph-level escape for short paragraphs).
 */
export function punctuationRatio(text: string, minTokens = 0): number {
  let words = 0;
  let punct = 0;
  for (const m of text.matchAll(/([\p{L}\p{M}\p{N}_']+)|([,;:?!.，、；：？！。،؛؟।॥။၊።፣։།])/gu)) {
    if (m[1]) words++;
    else punct++;
  }
  const tokens = words + punct;
  if (tokens < minTokens) return 1;
  return tokens === 0 ? 0 : punct / tokens;
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

/** stopwords-iso's lists (loaded on first use). */
let stopwordLists: Record<string, string[]> | null = null;
const stopwordSets = new Map<string, Set<string> | null>();

/** Stopwords of a language (ISO 639-3) from stopwords-iso, or null when it has no list. */
export function stopwordsFor(lang: string | null): Set<string> | null {
  if (!lang) return null;
  let set = stopwordSets.get(lang);
  if (set === undefined) {
    stopwordLists ??= createRequire(import.meta.url)('stopwords-iso') as Record<string, string[]>;
    const one = (iso6393To1 as Record<string, string>)[lang];
    const list = one ? stopwordLists[one] : undefined;
    set = list && list.length > 0 ? new Set(list.map((w) => w.toLowerCase())) : null;
    stopwordSets.set(lang, set);
  }
  return set;
}
