/**
 * The language detectors, behind one module: cld3-asm (Google CLD3 as WASM), eld, tinyld and franc.
 * Each returns ISO 639-3 (codes.ts) and a score in [0, 1]. `loadCombined` builds the combination
 * the langid stage uses; scripts/bench-langid.ts measures each detector and the combination.
 * The libraries are imported when a loader runs (not at module load), so commands that only read
 * the config do not pay for their tables.
 */
import { dominantScript } from './codes.ts';
import { toIso3 } from '../lib/language.ts';

export interface Guess {
  /** ISO 639-3, or null when the detector abstains. */
  lang: string | null;
  /** Detector confidence in [0, 1] (0 when lang is null). */
  score: number;
}

export type DetectFn = (text: string) => Guess;

const NONE: Guess = { lang: null, score: 0 };

/** CLD3 reads at most this many bytes of a text (its own default is 1000). */
const CLD3_MAX_BYTES = 1000;

let cld3Factory: Awaited<ReturnType<typeof import('cld3-asm').loadModule>> | null = null;

/** CLD3: a small neural net over character n-grams; robust on short text. Loads a WASM module once. */
export async function loadCld3(): Promise<DetectFn> {
  cld3Factory ??= await (await import('cld3-asm')).loadModule();
  const identifier = cld3Factory.create(0, CLD3_MAX_BYTES);
  return (text) => {
    const r = identifier.findLanguage(text);
    const lang = toIso3(r.language);
    return lang ? { lang, score: r.probability } : NONE;
  };
}

/** tinyld: n-gram frequency tables for 62 languages, pure JS. */
export async function loadTinyld(): Promise<DetectFn> {
  const { detectAll } = await import('tinyld');
  return (text) => {
    const top = detectAll(text)[0];
    const lang = toIso3(top?.lang);
    return lang && top ? { lang, score: Math.min(1, top.accuracy) } : NONE;
  };
}

type FrancAll = typeof import('franc').francAll;

/**
 * franc: trigram profiles for 187 languages trained on the UDHR; the long tail of ISO 639-3, weak
 * on short text. Its scores are relative to the best guess (the top is always 1), so the score we
 * report is the margin to the second guess — how clearly the best beats the rest.
 */
export async function loadFranc(): Promise<DetectFn> {
  const { francAll } = await import('franc');
  return francDetect(francAll);
}

function francDetect(francAll: FrancAll): DetectFn {
  return (text) => {
    const [best, second] = francAll(text, { minLength: 10 });
    const lang = toIso3(best?.[0]);
    if (!lang || !best) return NONE;
    return { lang, score: second ? best[1] - second[1] : 1 };
  };
}

/** eld: fast n-gram detector, 60 languages (no Indonesian: it answers Malay). Medium database. */
export async function loadEld(): Promise<DetectFn> {
  const { eld } = await import('eld/medium');
  return (text) => {
    const r = eld.detect(text);
    const lang = toIso3(r.language);
    if (!lang) return NONE;
    const score = (r.getScores() as Record<string, number>)[r.language] ?? 0;
    return { lang, score: Math.min(1, score) };
  };
}

/** ISO 639-3 codes CLD3 can answer; franc's answers outside this set are the long tail. */
async function cld3Languages(): Promise<Set<string>> {
  // LanguageCode is a const enum in the typings but a real object at run time.
  const { LanguageCode } = (await import('cld3-asm')) as unknown as { LanguageCode: Record<string, string> };
  return new Set(Object.values(LanguageCode).map((c) => toIso3(c)).filter((c): c is string => c !== null));
}

/**
 * Scripts written by one or a few languages: an answer outside the list is a detector error (CLD3
 * sometimes answers Marathi for Chinese mixed with Latin acronyms), and the first entry is the answer
 * when no detector agrees with the script.
 */
const SCRIPT_LANGUAGES: Record<string, string[]> = {
  Hani: ['zho', 'jpn', 'yue'], Jpan: ['jpn'], Kore: ['kor'], Thai: ['tha'], Grek: ['ell'], Geor: ['kat'],
  Armn: ['hye'], Hebr: ['heb', 'yid'], Khmr: ['khm'], Laoo: ['lao'], Mymr: ['mya', 'shn'], Taml: ['tam'],
  Telu: ['tel'], Knda: ['kan'], Mlym: ['mal'], Gujr: ['guj'], Guru: ['pan'], Sinh: ['sin'], Thaa: ['div'],
};

export interface CombinedOptions {
  /** CLD3 answers alone when its probability is at least this (fast path). */
  cld3Confident: number;
  /** franc may answer a language CLD3 does not know only on texts at least this long... */
  longTailMinChars: number;
  /** ...and only when franc's margin over its second guess is at least this. */
  longTailMinMargin: number;
}

export const combinedDefaults: CombinedOptions = {
  // Measured by scripts/bench-langid.ts: CLD3 above 0.9 was right on >99% of UDHR and page windows.
  cld3Confident: 0.9,
  // franc is unreliable under ~100 chars (references/node-ecosystem.md §4.2); 150 keeps it to paragraphs.
  longTailMinChars: 150,
  longTailMinMargin: 0.05,
};

/**
 * The combination the stage uses (chosen with scripts/bench-langid.ts, see docs/filters.md):
 *  1. CLD3 alone when it is confident (most texts; 3-6k texts/s).
 *  2. Otherwise a vote of CLD3, eld and tinyld; a tie goes to CLD3. The score is the share of
 *     the three detectors that agree with the answer.
 *  3. Malay vs Indonesian (CLD3 and eld mostly say Malay for both): franc restricted to the pair.
 *  4. Long tail: on long texts CLD3 is unsure of, franc's answer wins when it is a language the
 *     other three do not know (e.g. Quechua, Tetum), with a clear margin.
 */
export async function loadCombined(opts: CombinedOptions = combinedDefaults): Promise<DetectFn> {
  const cld3 = await loadCld3();
  const eld = await loadEld();
  const tinyld = await loadTinyld();
  const { francAll } = await import('franc');
  const franc = francDetect(francAll);
  const known = await cld3Languages();
  for (const l of ['ind', 'msa']) known.add(l);
  return (text) => {
    const script = dominantScript(text);
    if (script === null) return NONE; // no letters: nothing to identify
    const allowed = SCRIPT_LANGUAGES[script];
    const fits = (g: Guess): boolean => g.lang !== null && (!allowed || allowed.includes(g.lang));
    const first = cld3(text);
    let answer: Guess;
    if (fits(first) && first.score >= opts.cld3Confident && first.lang !== 'msa' && first.lang !== 'ind') {
      answer = first;
    } else {
      const votes = [first, eld(text), tinyld(text)];
      const count = new Map<string, number>();
      for (const v of votes) if (v.lang && fits(v)) count.set(v.lang, (count.get(v.lang) ?? 0) + 1);
      let best: string | null = fits(first) ? first.lang : (allowed?.[0] ?? null);
      let bestN = best ? (count.get(best) ?? 0) : 0;
      for (const [lang, n] of count) if (n > bestN) [best, bestN] = [lang, n];
      answer = best ? { lang: best, score: bestN / votes.length } : NONE;
      if (answer.lang === 'msa' || answer.lang === 'ind') {
        const pair = francAll(text, { only: ['ind', 'zlm'], minLength: 10 })[0];
        const lang = toIso3(pair?.[0]);
        if (lang) answer = { lang, score: answer.score };
      }
      if ([...text].length >= opts.longTailMinChars && first.score < opts.cld3Confident) {
        const tail = franc(text);
        if (tail.lang && !known.has(tail.lang) && tail.score >= opts.longTailMinMargin) answer = tail;
      }
    }
    return answer;
  };
}
