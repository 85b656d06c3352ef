/**
 * Flagged words: the multilingual LDNOOBW lists ("List of Dirty, Naughty, Obscene and Otherwise Bad
 * Words", 28 languages, the list C4 filters with), from the `naughty-words` npm package.
 *
 * Matching: whole words and whole multi-word phrases over the words of stages/lib/text.ts, so
 * "Essex" never matches "sex". Han and kana entries are matched as substrings (those scripts have
 * no spaces, and stages/lib/text.ts splits Han into single characters).
 */
import { createRequire } from 'node:module';
import { words as wordsOf } from '../lib/text.ts';
import { toIso3 } from '../lib/language.ts';

interface FlaggedList {
  words: Set<string>;
  /** Multi-word entries as their words, by first word (an entry listed twice is there twice). */
  phrases: Map<string, string[][]>;
  /** Han/kana entries, lower-cased. */
  substrings: string[];
}

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

function buildLists(): Map<string, FlaggedList> {
  const raw = createRequire(import.meta.url)('naughty-words') as Record<string, string[]>;
  const lists = new Map<string, FlaggedList>();
  for (const [key, entries] of Object.entries(raw)) {
    const lang = toIso3(key); // 'fr-CA-u-sd-caqc' joins the French list
    if (!lang || !Array.isArray(entries)) continue;
    let list = lists.get(lang);
    if (!list) lists.set(lang, (list = { words: new Set(), phrases: new Map(), substrings: [] }));
    for (const entry of entries) {
      if (CJK.test(entry)) {
        list.substrings.push(entry.toLowerCase());
        continue;
      }
      const w = wordsOf(entry);
      if (w.length === 1) list.words.add(w[0]!);
      else if (w.length > 1) {
        const same = list.phrases.get(w[0]!);
        if (same) same.push(w);
        else list.phrases.set(w[0]!, [w]);
      }
    }
  }
  return lists;
}

let lists: Map<string, FlaggedList> | null = null;

/** Languages (ISO 639-3) with a flagged-word list. */
export function flaggedLanguages(): string[] {
  lists ??= buildLists();
  return [...lists.keys()].sort();
}

/**
 * Occurrences of each phrase in a word sequence, counted as the non-overlapping matches of
 * ` phrase ` in ` words joined by spaces ` found left to right (words never contain a space): after
 * a match the next one of the same phrase starts at least one word after its end (the space between
 * them was used up). One pass over the words instead of one string search per phrase.
 */
function phraseOccurrences(words: string[], phrases: Map<string, string[][]>): number {
  let n = 0;
  let next: Map<string[], number> | null = null;
  for (let i = 0; i < words.length; i++) {
    const candidates = phrases.get(words[i]!);
    if (!candidates) continue;
    for (const p of candidates) {
      if (i + p.length > words.length || (next !== null && (next.get(p) ?? 0) > i)) continue;
      let k = 1;
      while (k < p.length && words[i + k] === p[k]) k++;
      if (k < p.length) continue;
      n++;
      (next ??= new Map()).set(p, i + p.length + 1);
    }
  }
  return n;
}

function occurrences(haystack: string, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length)) n++;
  return n;
}

/**
 * Flagged words in a text of language `lang`: { flagged, words }, or null when the language has no
 * list. `words` is the word count the ratio divides by.
 */
export function countFlagged(text: string, lang: string | null | undefined): { flagged: number; words: number } | null {
  lists ??= buildLists();
  const list = lang ? lists.get(lang) : undefined;
  if (!list) return null;
  const words = wordsOf(text);
  let flagged = 0;
  for (const w of words) if (list.words.has(w)) flagged++;
  if (list.phrases.size > 0) flagged += phraseOccurrences(words, list.phrases);
  if (list.substrings.length > 0) {
    const lower = text.toLowerCase();
    for (const s of list.substrings) flagged += occurrences(lower, s);
  }
  return { flagged, words: words.length };
}
