import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Doc, Segment } from '../schemas/doc.ts';
import { extractHtml } from '../stages/extract/index.ts';
import { createDetector, identify, langidDefaults, type Detector } from '../stages/langid/index.ts';
import { assess, qualityDefaults, qualityRules, qualityStage, type QualityConfig } from '../stages/quality/index.ts';
import { charRepetition, punctuationRatio, wordRepetition } from '../stages/quality/signals.ts';
import { dropReason } from '../stages/lib/rules.ts';
import { words } from '../stages/lib/text.ts';
import { testContext } from './helpers/context.ts';
import { FIXTURES as CORPUS } from './helpers/fixtures.ts';

const text = (t: string, lang = 'eng'): Segment => ({ kind: 'text', text: t, lang });

function docOf(segments: Segment[], lang: string | null = 'eng'): Doc {
  return {
    id: 'd1', url: 'https://example.org/x', domain: 'example.org', title: null, fetchedAt: null,
    source: { file: 't', offset: 0, recordId: null, recordType: 'file' },
    lang, langScore: 1, segments, signals: {},
  };
}

/** A real paragraph-like English text (from the OBELICS-style definition: prose with stopwords and punctuation). */
const PROSE = [
  'The city council approved the new budget on Tuesday, after a debate that lasted most of the evening.',
  'Supporters said the plan would repair roads and expand the library, while critics worried about the cost.',
  'The mayor, who proposed the budget in March, thanked residents for the comments they sent over the spring.',
];

/** Segment rules off, so each synthetic case exercises one document rule. */
const docRulesOnly: QualityConfig = {
  ...qualityDefaults,
  segments: { minWords: null, maxWords: null, maxCharRep: null, maxWordRep: null, maxSpecialRatio: null, minStopwordRatio: null, minPunctRatio: null },
  segmentsByLang: [],
};

let detector: Detector;
beforeAll(async () => {
  detector = await createDetector();
});

describe('signals', () => {
  it('splits words in spaced and unspaced scripts', () => {
    expect(words("Isn't it 2024, Bob?")).toEqual(["isn't", 'it', '2024', 'bob']);
    expect(words('中文句子')).toEqual(['中', '文', '句', '子']);
    expect(words('これはテストです')).toEqual(['これは', 'テスト', 'です']);
    expect(words('ภาษาไทยง่าย').length).toBeGreaterThanOrEqual(2);
  });

  it('computes the OBELICS repetition ratios', () => {
    expect(charRepetition('abcdefghijklmnop')).toBe(0); // every 10-gram once
    // two distinct 10-grams, both repeated: k = min(floor(sqrt(2)), 2 - 0) = 1, the top one occurs 46 of 91 times
    expect(charRepetition('ab'.repeat(50))).toBeCloseTo(46 / 91);
    expect(wordRepetition('a b c d e a b c d e'.split(' '))).toBeCloseTo(2 / 6);
    expect(wordRepetition('one two three four five six'.split(' '))).toBe(0);
  });

  it('hashed n-gram counting equals counting the n-gram strings (property)', () => {
    // The obvious definition, as OBELICS writes it: n-grams as strings of code points.
    const charRef = (text: string, n = 10) => {
      const cs = [...text];
      if (cs.length < n) return 0;
      const f = new Map<string, number>();
      for (let i = 0; i + n <= cs.length; i++) f.set(cs.slice(i, i + n).join(''), (f.get(cs.slice(i, i + n).join('')) ?? 0) + 1);
      const counts = [...f.values()].sort((a, b) => b - a);
      const k = Math.min(Math.floor(Math.sqrt(counts.length)), counts.length - counts.filter((c) => c === 1).length);
      return counts.slice(0, k).reduce((a, b) => a + b, 0) / (cs.length - n + 1);
    };
    const wordRef = (ws: string[], n = 5) => {
      if (ws.length < n) return 0;
      const f = new Map<string, number>();
      for (let i = 0; i + n <= ws.length; i++) f.set(ws.slice(i, i + n).join('\u0000'), (f.get(ws.slice(i, i + n).join('\u0000')) ?? 0) + 1);
      let r = 0;
      for (const c of f.values()) if (c > 1) r += c;
      return r / (ws.length - n + 1);
    };
    // Small alphabets so that repeats are common; astral characters to exercise code points.
    const text = fc.array(fc.constantFrom('a', 'b', 'c', ' ', 'é', '中', '😀'), { maxLength: 300 }).map((a) => a.join(''));
    fc.assert(fc.property(text, (t) => charRepetition(t) === charRef(t)), { numRuns: 300 });
    const ws = fc.array(fc.constantFrom('the', 'cat', 'sat', 'on', 'mat'), { maxLength: 80 });
    fc.assert(fc.property(ws, (w) => wordRepetition(w) === wordRef(w)), { numRuns: 300 });
  });

  it('gives short paragraphs the OBELICS punctuation escape', () => {
    expect(punctuationRatio('no punctuation here at all', 12)).toBe(1);
    expect(punctuationRatio('no punctuation here at all')).toBe(0);
    expect(punctuationRatio('Yes. No!')).toBeCloseTo(2 / 4);
    expect(punctuationRatio('你好。世界！')).toBeCloseTo(2 / 4);
  });
});

describe('quality on real pages', () => {
  /** The multilingual real pages and a spread of English ones; all must be kept except two listing pages. */
  const pages = [
    ...['arabic_article', 'burmese_article', 'chinese_article', 'chinese_article_001', 'japanese_article', 'japanese_article2',
      'latvian_article', 'spanish_article', 'thai_article', 'yna_co_kr'].map((s) => `newspaper4k/${s}`),
    ...['aktualne', 'folha', 'heise', 'lemonde-1', 'qq', 'youth', 'pixnet', 'hukumusume', 'yahoo-4',
      'wikipedia', 'medium-1', 'lwn-1', 'royal-road', 'firefox-nightly-blog'].map((s) => `readability/${s}`),
    'magic-html/631e7829b8fb596a2246ad0a56077720dc1674ae55a906b8d19d525cd1707c04',
    'magic-html/3e1c692ab0ba2ddfc43b7f03d6370bb3d4dab89f1955d0dd3fb5ecff0fbbef2f',
    'magic-html/4571254ba0d43a5698f25dae0f0276c9a5c5369fa96c0b6899ce3f32fb8f106a',
    'magic-html/153c5ed5508e61555a5906671d48f6ee01700778837d80469ffbf49ba2e44ca3',
    'magic-html/cf92f4271dfc45e262ac643fd9cb56d0a350a87c5d0c23c803023b5ff67b69bc',
    'magic-html/4f37a475ee044a12c0cf366ef9a00789b95f098a99f367d0a72de8552f3f1d06',
  ];

  it('keeps real articles in 16 languages; drops a teaser and a headline-repeating short page', () => {
    const drops: Record<string, string> = {};
    for (const p of pages) {
      const ex = extractHtml(readFileSync(join(CORPUS, 'html', `${p}.html`), 'utf8'), 'https://example.org/');
      const doc = identify(docOf(ex.segments, null), detector, langidDefaults);
      const res = assess(doc, qualityDefaults);
      if (res.reason) drops[p] = res.reason;
      else expect(doc.signals.quality_words as number, p).toBeGreaterThan(10);
      // every text segment has a row; removed ones keep their text as evidence
      for (const row of res.segmentRows) expect(row.dropped ? typeof row.text : row.text, p).toBe(row.dropped ? 'string' : null);
    }
    // With main-content extraction the link listings around firefox-nightly-blog and the bhaskar.com page
    // are gone, so they are kept. What is dropped now, on inspection:
    // - the youm7.com Arabic page is short and repeats its headline three times as image captions,
    //   which puts its 10-gram character repetition over OBELICS's 0.10.
    // japanese_article (a two-paragraph paywall teaser whose last line is "その判断は…") was dropped for
    // ellipsis lines while extraction kept only its headline and teaser; the region model (regionmodel.ts)
    // now picks the block that also holds its date and share-bar lines (F1 1.00 -> 0.77 on this page), which
    // brings the ellipsis share under Gopher's 0.3, so the quality stage keeps it.
    expect(drops).toEqual({
      'magic-html/4571254ba0d43a5698f25dae0f0276c9a5c5369fa96c0b6899ce3f32fb8f106a': 'char_repetition',
    });
  });
});

describe('quality decisions on synthetic documents', () => {
  const cases: [string, Segment[], string | null, Partial<QualityConfig>?][] = [
    ['prose', PROSE.map((t) => text(t)), null],
    ['few_words', [text('Welcome to our site, friends.')], 'few_words'],
    ['char_repetition', [text('Buy cheap watches online, the best deals. '.repeat(8))], 'char_repetition'],
    ['short_words', [text('I am a a a b c d e f g h i j k l m n o p q r s t u v w x y z, or so. ' + PROSE[0])], 'short_words'],
    ['long_words', [text('Pneumonoultramicroscopicsilicovolcanoconiosis supercalifragilisticexpialidocious incomprehensibilities antidisestablishmentarianism electroencephalographically, floccinaucinihilipilification.')], 'long_words', { minWords: 1 }],
    ['special_chars', [text('Price: $19.99 | 20% off | 24/7 | #1 | 5★★★★★ | 100% — 3 × 4 = 12 — (555) 010-0199 the of and in.')], 'special_chars', { minMeanWordLen: null }],
    ['few_stopwords', [text('Apple banana cherry. Mango orange grape. Kiwi lemon lime. Peach plum pear. Melon berry fig.')], 'few_stopwords'],
    ['little_punctuation', [text(PROSE.join(' ').replace(/[.,]/g, '') + ' and then the meeting ended with a vote on the plan')], 'little_punctuation'],
    ['ellipsis_lines', [text('Read the full story about the council and the budget of the city...\nThe mayor said that the plan is good for all of the people of the town...\n' + PROSE[0])], 'ellipsis_lines'],
    ['duplicate_lines', [text(PROSE[0]!), text(PROSE[0]!), text(PROSE[1]!), text(PROSE[1]!)], 'word_repetition'],
    ['duplicate_lines (repetition rules off)', [text(PROSE[0]!), text(PROSE[0]!), text(PROSE[1]!), text(PROSE[1]!)], 'duplicate_lines',
      { maxWordRep: null, maxCharRep: null }],
    ['bullet_lines', [text(['• the plan for the roads and the park,', '• the plan for the library and the school,', '• the cost of it all, to the city.'].join('\n'))], 'bullet_lines', { maxBulletLines: 0.5, maxCharRep: null, maxSpecialRatio: null }],
  ];
  for (const [name, segments, want, cfg] of cases) {
    it(`${want ?? 'keeps'}: ${name}`, () => {
      const res = assess(docOf(structuredClone(segments)), { ...docRulesOnly, ...cfg });
      expect(res.reason, JSON.stringify(res.doc.signals)).toBe(want);
    });
  }

  it('removes failing segments (OBELICS paragraph rules) and records them in quality_segments', async () => {
    const doc = docOf([text('Home | News | Sport'), ...PROSE.map((t) => text(t)), text('© 2024 — 555-0199 — #1 #2 #3')]);
    const ctx = testContext();
    const out: Doc[] = [];
    for await (const d of qualityStage.transform((async function* () { yield doc; })(), ctx)) out.push(d);
    expect(out).toHaveLength(1);
    expect(out[0]!.segments.map((s) => s.text)).toEqual(PROSE);
    expect(out[0]!.signals.quality_segments_dropped).toBe(2);
    const rows = ctx.rows.filter((r) => r.table === 'quality_segments').map((r) => r.row);
    expect(rows.map((r) => r.dropped)).toEqual(['few_words', null, null, null, 'special_chars']);
    expect(rows[0]!.text).toBe('Home | News | Sport');
  });

  it('per-language overrides change the decision for that language only', () => {
    const doc = docOf([text('Apple banana cherry. Mango orange grape. Kiwi lemon lime. Peach plum pear. Melon berry fig.')]);
    const res = assess(doc, docRulesOnly);
    expect(res.reason).toBe('few_stopwords');
    const relaxed = { ...docRulesOnly, byLang: [...qualityDefaults.byLang, { lang: 'eng', minStopwordRatio: null }] };
    expect(dropReason(qualityRules(relaxed), doc.signals, 'eng')).toBeNull();
    expect(dropReason(qualityRules(relaxed), { ...doc.signals, quality_words: 3 }, 'eng')).toBe('few_words');
  });
});
