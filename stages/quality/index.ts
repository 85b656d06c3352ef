/**
 * quality: text heuristics at two levels, as OBELICS does (references/pipelines.md §1.7).
 *
 *  1. Segment level: each text segment gets its own signals; a segment violating the segment rules is
 *     removed from the document. Every segment's signals (kept or not) go to the side table
 *     `quality_segments`, so segment thresholds are retunable in SQL too.
 *  2. Document level: signals over the kept text are columns of docs/rejects; a document violating
 *     the document rules is dropped with the rule's reason.
 *
 * Thresholds are per-language overridable (`byLang`, `segmentsByLang`); a null threshold is off.
 * Languages come from langid (segment.lang, doc.lang); stopwords from stopwords-iso.
 */
import type { ColumnSpec, Doc, Segment } from '../../schemas/doc.ts';
import { docStage, drop } from '../../pipeline/stage.ts';
import { dropReason, thresholdRules, type LangOverrides, type Rule } from '../lib/rules.ts';
import { words as wordsOf } from '../lib/text.ts';
import {
  alphaWordRatio, bulletLineRatio, charCounts, charRepetition, joinedCounts, type CharCounts, duplicateLineRatio, ellipsisLineRatio, linesOf, meanWordLength,
  punctuationRatio, specialCharRatio, stopwordsFor, symbolWordRatio, wordRepetition,
} from './signals.ts';

export type QualityDocThresholds = {
  minWords: number | null;
  maxWords: number | null;
  minMeanWordLen: number | null;
  maxMeanWordLen: number | null;
  maxCharRep: number | null;
  maxWordRep: number | null;
  maxSpecialRatio: number | null;
  minStopwordRatio: number | null;
  minPunctRatio: number | null;
  maxEllipsisLines: number | null;
  maxBulletLines: number | null;
  minAlphaWords: number | null;
  maxSymbolRatio: number | null;
  maxDupLines: number | null;
};

export type QualitySegmentThresholds = {
  minWords: number | null;
  maxWords: number | null;
  maxCharRep: number | null;
  maxWordRep: number | null;
  maxSpecialRatio: number | null;
  minStopwordRatio: number | null;
  minPunctRatio: number | null;
};

export type QualityConfig = QualityDocThresholds & {
  /** Segment-level rules (OBELICS paragraph filters); a failing segment is removed, not the document. */
  segments: QualitySegmentThresholds;
  /** Per-language document thresholds, e.g. [{ "lang": "zho", "minMeanWordLen": null }]. */
  byLang: LangOverrides<QualityDocThresholds>;
  /** Per-language segment thresholds. */
  segmentsByLang: LangOverrides<QualitySegmentThresholds>;
};

export const qualityDefaults: QualityConfig = {
  minWords: 10, // OBELICS doc: 10 <= words
  maxWords: 100_000, // Gopher: 100,000 (OBELICS used 2,000, which would cut long articles)
  minMeanWordLen: 3, // Gopher: mean word length in [3, 10]
  maxMeanWordLen: 10, // Gopher
  maxCharRep: 0.1, // OBELICS doc: char 10-gram repetition <= 0.10
  maxWordRep: 0.2, // OBELICS doc: word 5-gram repetition <= 0.20
  maxSpecialRatio: 0.275, // OBELICS doc: special characters <= 0.275
  // OBELICS doc: stopwords >= 0.35, with an English list; on for English only (byLang). stopwords-iso
  // lists differ per language: real pages in shared/corpus measure 0.45-0.71 (eng), 0.42-0.55
  // (deu/fra/spa/por) but 0.05-0.34 (kor, jpn, zho, ara, lav, urd, hin, tha, rus, fas, ces).
  minStopwordRatio: null,
  minPunctRatio: 0.03, // OBELICS doc: punctuation >= 0.03
  maxEllipsisLines: 0.3, // Gopher: lines ending in an ellipsis <= 30%
  maxBulletLines: 0.9, // Gopher: lines starting with a bullet <= 90%
  minAlphaWords: 0.8, // Gopher: >= 80% of words contain a letter
  maxSymbolRatio: 0.1, // Gopher: ('#' + ellipses) / words <= 0.1
  maxDupLines: 0.3, // Gopher repetition: duplicate lines <= 30%
  // Images per document are decided by the pixels stage (pixels.minImagesPerDoc / maxImagesPerDoc), which
  // counts only images that kept their pixels, as OBELICS counts after its image filters.
  segments: {
    minWords: 4, // OBELICS paragraph: 4 <= words <= 1,000
    maxWords: 1000, // OBELICS paragraph
    maxCharRep: 0.1, // OBELICS paragraph: char 10-gram repetition <= 0.10
    maxWordRep: 0.1, // OBELICS paragraph: word 5-gram repetition <= 0.10
    maxSpecialRatio: 0.3, // OBELICS paragraph: special characters <= 0.30
    // OBELICS paragraph: stopwords >= 0.30 with an English list. Off for other languages: with their
    // stopwords-iso lists the real pages in shared/corpus (Arabic, Japanese) fall far below (see README).
    minStopwordRatio: null,
    minPunctRatio: 0.001, // OBELICS paragraph: punctuation >= 0.001, ratio 1 below 12 tokens
  },
  byLang: [
    { lang: 'eng', minStopwordRatio: 0.35 }, // OBELICS doc (English list)
    // Han and kana count one word per character (stages/lib/text.ts), so word-length rules do not apply.
    { lang: 'zho', minMeanWordLen: null },
    { lang: 'jpn', minMeanWordLen: null },
    // Korean words (eojeol) average ~3 characters, so spaces alone are ~25% of characters.
    { lang: 'kor', maxSpecialRatio: 0.35 },
  ],
  segmentsByLang: [{ lang: 'eng', minStopwordRatio: 0.3 }],
};

/** OBELICS's short-paragraph escape for the punctuation ratio. */
const SEGMENT_PUNCT_MIN_TOKENS = 12;

const col = (name: string, type: string, description: string): ColumnSpec => ({ name, type, description });

export const qualityColumns: ColumnSpec[] = [
  col('quality_words', 'INTEGER', 'quality: words in the kept text (stages/lib/text.ts)'),
  col('quality_mean_word_len', 'DOUBLE', 'quality: mean characters per word (Gopher)'),
  col('quality_char_rep', 'DOUBLE', 'quality: OBELICS character 10-gram repetition ratio'),
  col('quality_word_rep', 'DOUBLE', 'quality: OBELICS word 5-gram repetition ratio'),
  col('quality_special_ratio', 'DOUBLE', 'quality: punctuation, symbols, digits and whitespace over characters (OBELICS)'),
  col('quality_stopword_ratio', 'DOUBLE', "quality: words in their segment language's stopwords-iso list; null when no list"),
  col('quality_punct_ratio', 'DOUBLE', 'quality: punctuation tokens over tokens (OBELICS)'),
  col('quality_ellipsis_lines', 'DOUBLE', 'quality: share of lines ending in an ellipsis (Gopher)'),
  col('quality_bullet_lines', 'DOUBLE', 'quality: share of lines starting with a bullet (Gopher)'),
  col('quality_alpha_words', 'DOUBLE', 'quality: share of words with a letter (Gopher)'),
  col('quality_symbol_ratio', 'DOUBLE', "quality: ('#' + ellipses) per word (Gopher)"),
  col('quality_dup_lines', 'DOUBLE', 'quality: share of lines repeating an earlier line (Gopher)'),
  col('quality_images', 'INTEGER', 'quality: image segments when the quality stage ran'),
  col('quality_segments_dropped', 'INTEGER', 'quality: text segments removed by the segment rules (see quality_segments)'),
  col('quality_chars_dropped', 'INTEGER', 'quality: characters of text in the removed segments'),
];

export const qualitySegmentColumns: ColumnSpec[] = [
  col('doc_id', 'VARCHAR', 'document the segment belongs to (docs or rejects)'),
  col('seg_index', 'INTEGER', 'index of the segment in the document as it entered the quality stage'),
  col('lang', 'VARCHAR', 'segment language (langid)'),
  col('chars', 'INTEGER', 'characters'),
  col('words', 'INTEGER', 'words'),
  col('char_rep', 'DOUBLE', 'OBELICS character 10-gram repetition'),
  col('word_rep', 'DOUBLE', 'OBELICS word 5-gram repetition'),
  col('special_ratio', 'DOUBLE', 'special characters over characters'),
  col('stopword_ratio', 'DOUBLE', 'stopwords over words; null when the language has no list'),
  col('punct_ratio', 'DOUBLE', 'punctuation tokens over tokens; 1 below 12 tokens (OBELICS)'),
  col('dropped', 'VARCHAR', 'reason the segment was removed, null when kept'),
  col('text', 'VARCHAR', 'text of a removed segment (null when kept: the kept text is in docs.segments)'),
];

/** Document rules in order (first violated = drop reason). */
export function qualityRules(cfg: QualityConfig): Rule[] {
  return thresholdRules<QualityDocThresholds>(cfg, cfg.byLang, {
    minWords: ['few_words', 'quality_words', 'min'],
    maxWords: ['many_words', 'quality_words', 'max'],
    minMeanWordLen: ['short_words', 'quality_mean_word_len', 'min'],
    maxMeanWordLen: ['long_words', 'quality_mean_word_len', 'max'],
    maxCharRep: ['char_repetition', 'quality_char_rep', 'max'],
    maxWordRep: ['word_repetition', 'quality_word_rep', 'max'],
    maxSpecialRatio: ['special_chars', 'quality_special_ratio', 'max'],
    minStopwordRatio: ['few_stopwords', 'quality_stopword_ratio', 'min'],
    minPunctRatio: ['little_punctuation', 'quality_punct_ratio', 'min'],
    maxEllipsisLines: ['ellipsis_lines', 'quality_ellipsis_lines', 'max'],
    maxBulletLines: ['bullet_lines', 'quality_bullet_lines', 'max'],
    minAlphaWords: ['few_alpha_words', 'quality_alpha_words', 'min'],
    maxSymbolRatio: ['symbols', 'quality_symbol_ratio', 'max'],
    maxDupLines: ['duplicate_lines', 'quality_dup_lines', 'max'],
  });
}

/** Segment rules in order, over the columns of `quality_segments` (language column: `lang`). */
export function qualitySegmentRules(cfg: QualityConfig): Rule[] {
  return thresholdRules<QualitySegmentThresholds>(cfg.segments, cfg.segmentsByLang, {
    minWords: ['few_words', 'words', 'min'],
    maxWords: ['many_words', 'words', 'max'],
    maxCharRep: ['char_repetition', 'char_rep', 'max'],
    maxWordRep: ['word_repetition', 'word_rep', 'max'],
    maxSpecialRatio: ['special_chars', 'special_ratio', 'max'],
    minStopwordRatio: ['few_stopwords', 'stopword_ratio', 'min'],
    minPunctRatio: ['little_punctuation', 'punct_ratio', 'min'],
  });
}

function stopwordCount(words: string[], lang: string | null | undefined): number | null {
  const stop = stopwordsFor(lang ?? null);
  if (!stop) return null;
  let n = 0;
  for (const w of words) if (stop.has(w)) n++;
  return n;
}

/** A text segment measured: its signals (the row of `quality_segments` without doc_id / seg_index / dropped) and what the document signals reuse. */
interface Measured {
  sig: Record<string, number | string | null>;
  words: string[];
  stop: number | null;
  counts: CharCounts;
}

function measureSegment(seg: Segment): Measured {
  const text = seg.text ?? '';
  const words = wordsOf(text);
  const stop = stopwordCount(words, seg.lang);
  const counts = charCounts(text);
  const sig = {
    lang: seg.lang ?? null,
    chars: counts.chars,
    words: words.length,
    char_rep: charRepetition(text),
    word_rep: wordRepetition(words),
    special_ratio: specialCharRatio(counts),
    stopword_ratio: stop === null ? null : words.length === 0 ? 0 : stop / words.length,
    punct_ratio: punctuationRatio(counts, SEGMENT_PUNCT_MIN_TOKENS),
  };
  return { sig, words, stop, counts };
}

/** Signals of one text segment: the row of `quality_segments` without doc_id / seg_index / dropped. */
export function segmentSignals(seg: Segment): Record<string, number | string | null> {
  return measureSegment(seg).sig;
}

/** Separator of the segments in the document text the document signals read. */
const SEPARATOR = '\n\n';

/**
 * Document signals over the given text segments (already filtered) and image count. The word,
 * stopword, special-character and punctuation counts are those of the segments (`measured`, in
 * the same order; measured again when not given): they add up over texts joined by whitespace.
 */
export function documentSignals(texts: Segment[], images: number, measured: Measured[] = texts.map(measureSegment)): Record<string, number | null> {
  const strings = texts.map((s) => s.text ?? '');
  const joined = strings.join(SEPARATOR);
  const words = measured.flatMap((m) => m.words);
  // Stopwords: each segment against its own language's list; null if no segment has a list.
  let stop = 0;
  let withList = 0;
  for (const m of measured) {
    if (m.stop === null) continue;
    stop += m.stop;
    withList += m.words.length;
  }
  const counts = joinedCounts(measured.map((m) => m.counts), SEPARATOR.length);
  const lines = linesOf(strings);
  return {
    quality_words: words.length,
    quality_mean_word_len: meanWordLength(words),
    quality_char_rep: charRepetition(joined),
    quality_word_rep: wordRepetition(words),
    quality_special_ratio: specialCharRatio(counts),
    quality_stopword_ratio: withList === 0 ? null : stop / withList,
    quality_punct_ratio: punctuationRatio(counts),
    quality_ellipsis_lines: ellipsisLineRatio(lines),
    quality_bullet_lines: bulletLineRatio(lines),
    quality_alpha_words: alphaWordRatio(words),
    quality_symbol_ratio: symbolWordRatio(joined, words.length),
    quality_dup_lines: duplicateLineRatio(lines),
    quality_images: images,
  };
}

export interface QualityResult {
  doc: Doc;
  /** One row per text segment for `quality_segments`. */
  segmentRows: Record<string, unknown>[];
  /** Drop reason of the document, or null to keep. */
  reason: string | null;
}

/** Measure, remove failing segments, measure the document, decide. Pure: no I/O. */
export function assess(doc: Doc, cfg: QualityConfig): QualityResult {
  const segRules = qualitySegmentRules(cfg);
  const segmentRows: Record<string, unknown>[] = [];
  const kept: Segment[] = [];
  const keptMeasured: Measured[] = [];
  let dropped = 0;
  let droppedChars = 0;
  doc.segments.forEach((seg, i) => {
    if (seg.kind !== 'text') {
      kept.push(seg);
      return;
    }
    const m = measureSegment(seg);
    const sig = m.sig;
    const why = dropReason(segRules, sig, (sig.lang as string | null) ?? null);
    segmentRows.push({ doc_id: doc.id, seg_index: i, ...sig, dropped: why, text: why ? seg.text : null });
    if (why) {
      dropped++;
      droppedChars += sig.chars as number;
    } else {
      kept.push(seg);
      keptMeasured.push(m);
    }
  });
  doc.segments = kept;
  const texts = kept.filter((s) => s.kind === 'text');
  Object.assign(doc.signals, documentSignals(texts, kept.length - texts.length, keptMeasured), {
    quality_segments_dropped: dropped,
    quality_chars_dropped: droppedChars,
  });
  const reason = dropReason(qualityRules(cfg), doc.signals, doc.lang);
  return { doc, segmentRows, reason };
}

export const qualityStage = docStage<Doc, Doc, { quality: QualityConfig }>({
  name: 'quality',
  columns: qualityColumns,
  tables: { quality_segments: qualitySegmentColumns },
  process(doc, ctx) {
    const { reason, segmentRows } = assess(doc, ctx.config.quality);
    for (const row of segmentRows) ctx.emit('quality_segments', row);
    ctx.counters.add('segments_dropped', doc.signals.quality_segments_dropped as number);
    if (reason) {
      const rule = qualityRules(ctx.config.quality).find((r) => r.reason === reason)!;
      return drop(reason, `${rule.column}=${String(doc.signals[rule.column])}`);
    }
    return doc;
  },
});
