import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Doc, Segment } from '../schemas/doc.ts';
import { loadConfig } from '../pipeline/config.ts';
import { extractHtml } from '../stages/extract/index.ts';
import { dominantScript } from '../stages/langid/codes.ts';
import { toIso3 } from '../stages/lib/language.ts';
import { createDetector, identify, langidDefaults, langidRules, langidRow, langidStage, type Detector } from '../stages/langid/index.ts';
import { dropReason } from '../stages/lib/rules.ts';
import { testContext } from './helpers/context.ts';
import { FIXTURES as CORPUS } from './helpers/fixtures.ts';

function docOf(segments: Segment[], url = 'https://example.org/x'): Doc {
  return {
    id: 'test', url, domain: 'example.org', title: null, fetchedAt: null,
    source: { file: 't', offset: 0, recordId: null, recordType: 'file' },
    lang: null, langScore: null, segments, signals: {},
  };
}

const text = (t: string): Segment => ({ kind: 'text', text: t });

function pageDoc(path: string): Doc {
  const ex = extractHtml(readFileSync(path, 'utf8'), 'https://example.org/page.html');
  return docOf(ex.segments);
}

let detector: Detector;
beforeAll(async () => {
  detector = await createDetector();
});

describe('codes', () => {
  it('maps detector codes to ISO 639-3 (macrolanguages where 639-1 means one)', () => {
    expect(toIso3('en')).toBe('eng');
    expect(toIso3('iw')).toBe('heb');
    expect(toIso3('zh-Latn')).toBe('zho');
    expect(toIso3('cmn')).toBe('zho');
    expect(toIso3('pes')).toBe('fas');
    expect(toIso3('fil')).toBe('fil');
    expect(toIso3('quz')).toBe('que');
    expect(toIso3('und')).toBeNull();
    expect(toIso3('xx')).toBeNull();
  });

  it('finds the dominant script, with Japanese and Korean as one writing system each', () => {
    expect(dominantScript('Hello, world')).toBe('Latn');
    expect(dominantScript('Привет, мир')).toBe('Cyrl');
    expect(dominantScript('これは日本語の文です')).toBe('Jpan');
    expect(dominantScript('한국어 문장입니다 大韓民國')).toBe('Kore');
    expect(dominantScript('中文句子')).toBe('Hani');
    expect(dominantScript('مرحبا بالعالم')).toBe('Arab');
    expect(dominantScript('12345 !!!')).toBeNull();
  });
});

/** Real multilingual pages of the dev corpus and the language their metadata gives. */
function labelledPages(): { path: string; lang: string }[] {
  const html = join(CORPUS, 'html');
  const rows = readFileSync(join(html, 'INDEX.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
  const out: { path: string; lang: string }[] = [];
  for (const [set, stem, , , , , lang] of rows.slice(1)) {
    if (set === 'readability') continue; // handled below: only its non-English real pages
    out.push({ path: join(html, set!, `${stem}.html`), lang: toIso3(lang)! });
  }
  for (const [stem, lang] of Object.entries({
    aktualne: 'ces', folha: 'por', heise: 'deu', 'lemonde-1': 'fra', 'liberation-1': 'fra',
    'cnet-svg-classes': 'spa', gmw: 'zho', qq: 'zho', youth: 'zho', pixnet: 'zho', hukumusume: 'jpn', 'yahoo-4': 'jpn',
  })) out.push({ path: join(html, 'readability', `${stem}.html`), lang });
  return out;
}

describe('identify on real pages', () => {
  it('gives every multilingual page of magic-html, newspaper4k and readability its language', () => {
    const pages = labelledPages();
    expect(pages.length).toBeGreaterThanOrEqual(30);
    const wrong: string[] = [];
    for (const p of pages) {
      const doc = identify(pageDoc(p.path), detector, langidDefaults);
      if (doc.lang !== p.lang) wrong.push(`${p.path.split('/').slice(-2).join('/')}: ${doc.lang} (want ${p.lang})`);
      // every real page must be kept by the default rules
      expect(dropReason(langidRules(langidDefaults), langidRow(doc), doc.lang), p.path).toBeNull();
    }
    expect(wrong).toEqual([]);
  });

  it('tags each long segment with its own language and short ones with the document language', () => {
    const doc = identify(docOf([
      text('Menu'),
      text('The committee published its annual report on regional water quality this morning.'),
      text('Le comité a publié ce matin son rapport annuel sur la qualité de l’eau dans la région.'),
      text('The report finds that nitrate levels fell in most rivers, but two lakes still exceed limits.'),
    ]), detector, langidDefaults);
    expect(doc.segments.map((s) => s.lang)).toEqual(['eng', 'eng', 'fra', 'eng']);
    expect(doc.segments[0]!.lang_score).toBeNull(); // inherited, not measured
    expect(doc.lang).toBe('eng');
    expect(doc.signals.lang_second).toBe('fra');
    expect(doc.signals.lang_script).toBe('Latn');
    expect(doc.signals.lang_share).toBeGreaterThan(0.6);
    expect(doc.signals.lang_share).toBeLessThan(0.75);
    expect(doc.langScore).toBeLessThanOrEqual(doc.signals.lang_share as number);
  });
});

describe('sampled windows', () => {
  it('reads a few windows of a long one-language page and gives the same document language as every segment', () => {
    const path = join(CORPUS, 'html', 'readability', 'lemonde-1.html');
    const sampled = identify(pageDoc(path), detector, langidDefaults);
    const full = identify(pageDoc(path), detector, { ...langidDefaults, sampleWindows: 0 });
    expect(full.signals.lang_segments as number).toBeGreaterThan(langidDefaults.sampleWindows);
    expect(sampled.signals.lang_segments).toBe(langidDefaults.sampleWindows); // only the windows were read
    expect(sampled.lang).toBe('fra');
    expect(sampled.lang).toBe(full.lang);
    expect(sampled.segments.filter((s) => s.kind === 'text').every((s) => s.lang === 'fra' && s.lang_score == null)).toBe(true);
  });

  it('identifies every segment when the windows disagree', () => {
    const en = 'The committee published its annual report on regional water quality this morning, and the minister answered questions. ';
    const fr = 'Le comité a publié ce matin son rapport annuel sur la qualité de l’eau dans la région, et la ministre a répondu aux questions. ';
    const doc = identify(docOf([text(en.repeat(4)), text(en.repeat(4)), text(fr.repeat(4)), text(fr.repeat(4)), text(fr.repeat(4))]), detector, langidDefaults);
    expect(doc.signals.lang_segments).toBe(5);
    expect(doc.segments.map((s) => s.lang)).toEqual(['eng', 'eng', 'fra', 'fra', 'fra']);
    expect(doc.lang).toBe('fra');
  });
});

describe('langid decisions', () => {
  it('drops a document without letters (lang_unknown)', async () => {
    const ctx = testContext();
    const out = [];
    for await (const d of langidStage.transform((async function* () { yield docOf([text('12 345 678 — 90 %')]); })(), ctx)) out.push(d);
    expect(out).toHaveLength(0);
    expect(ctx.rejects.map((r) => r.reason)).toEqual(['lang_unknown']);
  });

  it('drops a language outside `languages`, and keeps it again when the list allows it', async () => {
    const french = docOf([text('Le gouvernement a annoncé mardi une réforme des retraites qui sera présentée au parlement en juin.')]);
    const onlyEnglish = loadConfig(undefined, { langid: { languages: ['eng'] } });
    const ctx = testContext(onlyEnglish);
    const kept = [];
    for await (const d of langidStage.transform((async function* () { yield structuredClone(french); })(), ctx)) kept.push(d);
    expect(kept).toHaveLength(0);
    expect(ctx.rejects[0]!.reason).toBe('lang_not_kept');
    expect(ctx.rejects[0]!.doc.lang).toBe('fra');
    const ctx2 = testContext(loadConfig(undefined, { langid: { languages: ['eng', 'fra'] } }));
    for await (const d of langidStage.transform((async function* () { yield structuredClone(french); })(), ctx2)) kept.push(d);
    expect(kept.map((d) => d.lang)).toEqual(['fra']);
  });

  it('drops a page split between languages under minScore, and a per-language override keeps it', () => {
    const doc = identify(docOf([
      text('The museum reopens next week after a two-year renovation of its east wing.'),
      text('Das Museum öffnet nächste Woche nach einer zweijährigen Renovierung des Ostflügels wieder.'),
      text('El museo reabre la próxima semana tras una renovación de dos años de su ala este.'),
    ]), detector, langidDefaults);
    expect(doc.langScore).toBeLessThan(0.5);
    const row = langidRow(doc);
    expect(dropReason(langidRules(langidDefaults), row, doc.lang)).toBe('lang_low_score');
    const relaxed = { ...langidDefaults, byLang: [{ lang: doc.lang!, minScore: 0.2 }] };
    expect(dropReason(langidRules(relaxed), row, doc.lang)).toBeNull();
  });
});
