/**
 * langid: the language of every text segment and of the document.
 *
 * Signals: segment.lang / segment.lang_score, doc.lang / doc.langScore (ISO 639-3), and the columns
 * below. Decision (rules.ts, same rules in JS and SQL): drop documents with no identifiable language,
 * outside `languages`, or whose lang_score is under `minScore` (per-language overridable).
 *
 * Document language = length-weighted majority over the texts identified on their own; its
 * lang_score = sum(chars * score of the texts in that language) / chars of all identified texts, so
 * it falls both when the detector is unsure and when the page mixes languages.
 *
 * Most pages are in one language, and reading every segment costs (CLD3 reads each one whole). So a
 * document with more long segments than `sampleWindows` is first identified on that many windows of
 * `sampleChars` spread over its text: when every window gets the same language with a score of at
 * least `uniformMinScore`, and the text is nearly all in one script, the windows are the texts
 * identified and every segment takes their language (lang_score null: not measured on its own).
 * Otherwise (windows disagree, a low score, mixed scripts) every long segment is identified on its own.
 */
import type { ColumnSpec, Doc } from '../../schemas/doc.ts';
import { docStage, drop } from '../../pipeline/stage.ts';
import { dropReason, thresholdRules, type LangOverrides, type Rule } from '../lib/rules.ts';
import { scriptCounts, topScript } from './codes.ts';
import { loadCombined, type DetectFn } from './detect.ts';

export type LangidThresholds = {
  /** Drop a document whose lang_score is below this (null = off). */
  minScore: number | null;
};

export type LangidConfig = LangidThresholds & {
  /** Keep only documents in these languages (ISO 639-3, e.g. ["eng", "fra"]); empty = every language. */
  languages: string[];
  /** Segments with fewer characters are not identified on their own; they take the document language. */
  minSegmentChars: number;
  /** Detectors read at most this many characters of a segment (CLD3 reads 1000 bytes anyway). */
  maxDetectChars: number;
  /** Windows read first on a document with more long segments than this (0 = every segment, always). */
  sampleWindows: number;
  /** Characters per window. */
  sampleChars: number;
  /** Every window at least this sure of one language: the document is taken as written in it. */
  uniformMinScore: number;
  /** ...and at most this share of its letters outside its main script. */
  uniformMaxOtherScript: number;
  /** Per-language thresholds, e.g. [{ "lang": "msa", "minScore": 0.3 }]. */
  byLang: LangOverrides<LangidThresholds>;
};

export const langidDefaults: LangidConfig = {
  // mOSCAR keeps 163 languages; we keep every language unless told otherwise.
  languages: [],
  // datatrove's LanguageFilter keeps fastText score >= 0.65, OBELICS >= 0.80 (English only). Our score
  // also falls with mixed-language pages, so 0.5 means "at least half the text confidently this language".
  minScore: 0.5,
  // scripts/bench-langid.ts: >= 94% on 60-char real-page windows, so 40 chars is the shortest we trust.
  minSegmentChars: 40,
  maxDetectChars: 1000,
  // Chosen on the fit half (by site) of the development collection with `bench-langid.ts --docs`: the
  // fewest detector calls (CLD3 costs ~0.15 ms a call whatever the length, up to its 1000 bytes) for
  // the same document languages as reading every segment, and no document across minScore:
  // 2 x 400 made 5,749 calls on fit (3 x 300: 8,202; 2 x 300: 6,302; 2 x 200: 6,053; 2 x 150: 7,167).
  sampleWindows: 2,
  sampleChars: 400,
  // The combined detector's fast path (CLD3 alone) trusts 0.9: >99% right on page windows.
  uniformMinScore: 0.9,
  uniformMaxOtherScript: 0.02,
  byLang: [],
};

export const langidColumns: ColumnSpec[] = [
  { name: 'lang_script', type: 'VARCHAR', description: 'langid: dominant script of the document text (ISO 15924: Latn, Cyrl, Arab, Hani, Jpan, Kore, ...)' },
  { name: 'lang_share', type: 'DOUBLE', description: 'langid: share of identified text characters in the document language' },
  { name: 'lang_second', type: 'VARCHAR', description: 'langid: second language by characters (ISO 639-3), null if none' },
  { name: 'lang_segments', type: 'INTEGER', description: 'langid: texts identified on their own: the sampled windows of a one-language document, else the segments of at least minSegmentChars' },
];

/** The langid decision rules for a config, in order (first violated = drop reason). */
export function langidRules(cfg: LangidConfig): Rule[] {
  return [
    { reason: 'lang_unknown', column: 'lang', kind: 'present' },
    { reason: 'lang_not_kept', column: 'lang', kind: 'oneOf', values: cfg.languages },
    ...thresholdRules<LangidThresholds>({ minScore: cfg.minScore }, cfg.byLang, {
      minScore: ['lang_low_score', 'lang_score', 'min'],
    }, 'langid'),
  ];
}

export interface Detector {
  detect: DetectFn;
}

/** Texts whose answer is remembered: boilerplate (menus, footers) repeats across a site's pages. */
const CACHE_SIZE = 20_000;

/** The detector combination measured in scripts/bench-langid.ts (loads WASM and tables: ~1-2 s). */
export async function createDetector(): Promise<Detector> {
  const detect = await loadCombined();
  const cache = new Map<string, ReturnType<DetectFn>>();
  return {
    detect(text) {
      let g = cache.get(text);
      if (g === undefined) {
        g = detect(text);
        if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!); // oldest first
        // The key is copied: `text` is often a slice of the whole page's text, and a V8 sliced string
        // keeps its parent alive. Keyed by the slice, the cache held every page of a segment (38 MB of
        // a worker's 180 MB live heap at the end of the 51 MB bench WARC, heap snapshot).
        cache.set(text.length > 12 ? Buffer.from(text, 'utf8').toString('utf8') : text, g);
      }
      return g;
    },
  };
}

/** Code points in a string (what lengths are counted in). */
function codePoints(t: string): number {
  let n = t.length;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--;
  }
  return n;
}

/**
 * `count` windows of about `chars` characters spread evenly over `text` (first at the start, last at
 * the end), starting after a space where one is near so words are not cut.
 */
function windowsOf(text: string, count: number, chars: number): string[] {
  const out: string[] = [];
  const stride = (text.length - chars) / Math.max(1, count - 1);
  for (let i = 0; i < count; i++) {
    let start = Math.round(i * stride);
    if (start > 0) {
      const sp = text.indexOf(' ', start);
      if (sp >= 0 && sp - start < 20) start = sp + 1;
    }
    out.push(text.slice(start, start + chars));
  }
  return out;
}

/**
 * The language of a document whose sampled windows agree (see the module comment), or null: then
 * every segment must be identified on its own.
 */
function sampledLanguage(
  long: string[],
  scripts: ReturnType<typeof scriptCounts>,
  detector: Detector,
  cfg: LangidConfig,
): { lang: string; score: number; windows: number } | null {
  if (cfg.sampleWindows <= 0 || long.length <= cfg.sampleWindows) return null;
  const joined = long.join('\n');
  if (joined.length < cfg.sampleWindows * cfg.sampleChars) return null;
  const { counts, letters } = scripts;
  if (letters === 0 || (counts.get(topScript(counts)) ?? 0) < letters * (1 - cfg.uniformMaxOtherScript)) return null;
  let lang: string | null = null;
  let sum = 0;
  for (const w of windowsOf(joined, cfg.sampleWindows, cfg.sampleChars)) {
    const g = detector.detect(w);
    if (!g.lang || g.score < cfg.uniformMinScore || (lang !== null && g.lang !== lang)) return null;
    lang = g.lang;
    sum += g.score;
  }
  return lang ? { lang, score: sum / cfg.sampleWindows, windows: cfg.sampleWindows } : null;
}

/** Fill segment and document languages and the langid signal columns (no decision). */
export function identify(doc: Doc, detector: Detector, cfg: LangidConfig): Doc {
  const texts: string[] = [];
  const long: string[] = [];
  for (const seg of doc.segments) {
    if (seg.kind !== 'text' || !seg.text) continue;
    texts.push(seg.text);
    if (seg.text.length >= cfg.minSegmentChars && codePoints(seg.text) >= cfg.minSegmentChars) long.push(seg.text);
  }
  const all = texts.join('\n');
  const scripts = scriptCounts(all);
  const script = scripts.letters === 0 ? null : topScript(scripts.counts);
  const sampled = sampledLanguage(long, scripts, detector, cfg);
  if (sampled) {
    doc.lang = sampled.lang;
    doc.langScore = sampled.score;
    for (const seg of doc.segments) {
      if (seg.kind !== 'text') continue;
      seg.lang = sampled.lang;
      seg.lang_score = null;
    }
    doc.signals.lang_script = script;
    doc.signals.lang_share = 1;
    doc.signals.lang_second = null;
    doc.signals.lang_segments = sampled.windows;
    return doc;
  }
  const chars = new Map<string, number>();
  const weighted = new Map<string, number>();
  let identifiedChars = 0;
  let identified = 0;
  const measured = new Set<object>();
  for (const seg of doc.segments) {
    if (seg.kind !== 'text' || !seg.text) continue;
    const len = codePoints(seg.text);
    if (len < cfg.minSegmentChars) continue;
    const g = detector.detect(seg.text.slice(0, cfg.maxDetectChars));
    seg.lang = g.lang;
    seg.lang_score = g.lang ? g.score : null;
    measured.add(seg);
    if (!g.lang) continue;
    identified++;
    identifiedChars += len;
    chars.set(g.lang, (chars.get(g.lang) ?? 0) + len);
    weighted.set(g.lang, (weighted.get(g.lang) ?? 0) + len * g.score);
  }
  if (identified === 0 && all.trim()) {
    // Only short segments: identify them together, as one text.
    const g = detector.detect(all.slice(0, cfg.maxDetectChars));
    if (g.lang) {
      const len = codePoints(all);
      identifiedChars = len;
      chars.set(g.lang, len);
      weighted.set(g.lang, len * g.score);
    }
  }
  const ranked = [...chars.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const [first, second] = ranked;
  doc.lang = first ? first[0] : null;
  doc.langScore = first ? (weighted.get(first[0]) ?? 0) / identifiedChars : null;
  // Short segments take the document language; lang_score null marks "inherited, not measured".
  for (const seg of doc.segments) {
    if (seg.kind === 'text' && !measured.has(seg)) {
      seg.lang = doc.lang;
      seg.lang_score = null;
    }
  }
  doc.signals.lang_script = script;
  doc.signals.lang_share = first ? first[1] / identifiedChars : null;
  doc.signals.lang_second = second ? second[0] : null;
  doc.signals.lang_segments = identified;
  return doc;
}

/** The columns the langid rules read, from a document (base columns + signals). */
export function langidRow(doc: Doc): Record<string, unknown> {
  return { lang: doc.lang, lang_score: doc.langScore, ...doc.signals };
}

let detector: Detector | null = null;

export const langidStage = docStage<Doc, Doc, { langid: LangidConfig }>({
  name: 'langid',
  columns: langidColumns,
  rules: (config) => langidRules(config.langid),
  async open() {
    detector ??= await createDetector();
  },
  async process(doc, ctx) {
    detector ??= await createDetector();
    const cfg = ctx.config.langid;
    identify(doc, detector, cfg);
    const reason = dropReason(langidRules(cfg), langidRow(doc), doc.lang);
    if (reason) {
      const score = doc.langScore === null ? 'null' : doc.langScore.toFixed(3);
      return drop(reason, `lang=${doc.lang ?? 'null'} lang_score=${score} lang_share=${doc.signals.lang_share ?? 'null'}`);
    }
    return doc;
  },
});
