import { FIXTURES } from './helpers/fixtures.ts';
/**
 * Built-in coherence signals on real pages (Readability's expected outputs in test/fixtures, extracted with the extract stage)
 * and on small hand-made documents for the edge cases; the stage through docStage with a real
 * StageContext-shaped object (rejects and counters recorded).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Doc, Segment } from '../schemas/doc.ts';
import { extractHtml } from '../stages/extract/index.ts';
import { applyCoherence, coherenceColumns, coherenceDefaults, coherenceStage, type CoherenceConfig } from '../stages/coherence/index.ts';
import { fileNameText, imageSite, logisticScore, measureCoherence, minBlockNormalizedCut } from '../stages/coherence/signals.ts';
import { contentWords, cosine, cosineMatrix, currentDfTable, idf, stopwordsFor, termVector, useDfTable } from '../stages/coherence/text.ts';
import { dictionaryWords as words } from '../stages/lib/text.ts';
import fc from 'fast-check';
import { visualFeatures, visualSimilarity } from '../stages/coherence/visual.ts';
import { hamming } from '../stages/lib/phash.ts';
import { defaultConfig, mergeConfig, type Config } from '../pipeline/config.ts';
import { Counters } from '../pipeline/stats.ts';
import { standaloneContext } from '../pipeline/context.ts';

const CORPUS = FIXTURES.replace(/\/$/, '');

function docOf(segments: Segment[], lang: string | null = 'en', title: string | null = null): Doc {
  return {
    id: 'doc', url: 'http://example.org/a', domain: 'example.org', title, fetchedAt: null,
    source: { file: 'test', offset: 0, recordId: null, recordType: 'file' }, lang, langScore: null, segments, signals: {},
  };
}

/** Main content of a real page (Readability's expected output) through the extract stage. */
function realPage(stem: string): Doc {
  const html = readFileSync(`${CORPUS}/html/readability/${stem}.expected.html`, 'utf8');
  const ex = extractHtml(html, 'http://fakehost/test/page.html');
  return docOf(ex.segments, 'en', ex.title);
}

const text = (t: string, tag = 'p'): Segment => ({ kind: 'text', tag, text: t });
const image = (url: string, alt: string | null = null, extra: Partial<Segment> = {}): Segment => ({ kind: 'image', tag: 'img', url, alt, ...extra });

describe('language-aware words', () => {
  it('segments Chinese, Japanese and Thai with ICU and Latin by regex', () => {
    expect(words('我们今天去北京大学看蒙娜丽莎的画像。')).toEqual(['我们', '今天', '去', '北京', '大学', '看', '蒙娜丽莎', '的', '画像']);
    expect(words('ภาษาไทยเป็นภาษาที่สวยงาม')).toContain('สวยงาม');
    expect(words("The Mona Lisa's smile, 1503–1519")).toEqual(['the', 'mona', "lisa's", 'smile', '1503', '1519']);
  });

  it('cuts ASCII text with typographic punctuation (its own scanner) exactly as the Unicode regex does', () => {
    // A non-ASCII word after the text sends it down the regex path: the same words must come out, plus that one.
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."aZq09 '-_.,\n\ts\u2019\u201c\u2013\u2026\u00a0"), maxLength: 40 }), (t) => {
        expect([...words(t), 'é']).toEqual(words(`${t} é`));
      }),
      { numRuns: 2000 },
    );
    expect(words("Rock'n'roll isn't 'quoted' a'1 x''y")).toEqual(["rock'n'roll", "isn't", 'quoted', 'a', '1', 'x', 'y']);
  });

  it('drops stopwords of the language (plus English) and cuts Latin words to a 6-letter prefix', () => {
    expect(contentWords('The paintings were painted by Leonardo', stopwordsFor('eng'))).toEqual(['painti', 'painte', 'leonar']);
    expect(contentWords('我们今天去北京大学看蒙娜丽莎的画像', stopwordsFor('cmn'))).toEqual(expect.arrayContaining(['北京', '大学', '蒙娜丽莎', '画像']));
    expect(contentWords('我们今天去北京大学看蒙娜丽莎的画像', stopwordsFor('cmn'))).not.toContain('的');
    // Unknown language: the union of every list.
    expect(stopwordsFor(null).has('und')).toBe(true);
    expect(stopwordsFor('zzz')).toBe(stopwordsFor(null));
  });

  it('finds cohesion between Chinese paragraphs that share words and none with an unrelated one', () => {
    const stop = stopwordsFor('cmn');
    const v = (s: string) => termVector(contentWords(s, stop));
    const a = v('蒙娜丽莎是达芬奇的名画，现藏于巴黎卢浮宫。');
    const b = v('卢浮宫每年有数百万游客来看蒙娜丽莎。');
    const c = v('今天的股票市场大幅下跌，投资者担心利率上升。');
    expect(cosine(a, b)).toBeGreaterThan(0.2);
    expect(cosine(a, c)).toBe(0);
  });

  it('keeps the words of image file names and drops ids, hashes and CDN words', () => {
    expect(fileNameText('http://upload.wikimedia.org/wikipedia/commons/thumb/c/c1/Mona_Lisa_detail_hands.jpg/220px-Mona_Lisa_detail_hands.jpg')).toBe('Mona Lisa detail hands');
    expect(fileNameText('https://cdn.example.com/AzYWbe-cZkMMEUbfRjysLQ.png')).toBe('');
    expect(fileNameText('https://cdn.example.com/img/3f9a0c2b7d.jpg')).toBe('');
    expect(fileNameText('https://example.com/images/dims?x=1')).toBe('');
  });

  it('reads the picture behind a resizing proxy, and words with a number glued on', () => {
    // Real URLs from the corpus's readability pages (engadget, wapo-1, nytimes-3).
    expect(fileNameText('https://o.aolcdn.com/images/dims?thumbnail=980%2C653&quality=80&image_uri=https%3A%2F%2Fs.blogcdn.com%2Fslideshows%2Fimages%2Fslides%2F714%2F208%2F8%2FS7142088%2Fslug%2Fl%2Fxbox-one-x-review-gallery-1-1.jpg&client=cbc79c14efcebee57402&signature=1b9a')).toBe('xbox one review gallery');
    expect(fileNameText('https://example.com/_next/image?url=%2Fphotos%2Fred-fox.jpg&w=640')).toBe('red fox');
    expect(fileNameText('https://img.washingtonpost.com/rf/image_1484w/2010-2019/WashingtonPost/2015/03/18/Foreign/Graphics/tunisia600.jpg?uuid=1_yuLs2LEeSHME9HNBbnWQ')).toBe('tunisia');
    expect(fileNameText('https://static01.nyt.com/images/2017/12/07/nyregion/00winter4/00winter4-articleLarge.jpg?quality=90&auto=webp')).toBe('winter');
    // ...while ids whose letters and digits alternate stay out.
    expect(fileNameText('http://imgtech.gmw.cn/attachement/jpg/site2/20170310/448a5bc1e2861a2c4e5929.jpg')).toBe('');
    expect(fileNameText('https://d262ilb51hltx0.cloudfront.net/max/2000/1*sLDnS1UWEFIS33uLMxq3cw.jpeg')).toBe('');
  });
});

describe('cosine matrix', () => {
  it('equals the pairwise cosine for any set of term vectors (the split graph uses it)', () => {
    const vocab = ['alpha', 'beta', 'gamma', 'delta', 'eps', 'zeta', 'eta', 'theta'];
    fc.assert(
      fc.property(fc.array(fc.array(fc.constantFrom(...vocab), { maxLength: 12 }), { maxLength: 9 }), (docs) => {
        const vs = docs.map(termVector);
        const m = cosineMatrix(vs);
        vs.forEach((a, i) => vs.forEach((b, j) => expect(m[i]![j]).toBeCloseTo(i === j ? 0 : cosine(a, b), 12)));
      }),
    );
  });
});

describe('visual similarity', () => {
  const hist = (hot: number) => Array.from({ length: 64 }, (_, i) => (i === hot ? 1 : 0));
  it('is 1 for identical features and falls with pHash distance, colour and shape', () => {
    const a = visualFeatures(image('http://x/a.jpg', null, { width: 400, height: 300, visual: { phash: 'f0f0f0f0f0f0f0f0', colorHist: hist(0) } }))!;
    const b = visualFeatures(image('http://x/b.jpg', null, { width: 100, height: 400, visual: { phash: '0f0f0f0f0f0f0f0f', colorHist: hist(63) } }))!;
    expect(visualSimilarity(a, a).similarity).toBeCloseTo(1, 10);
    const ab = visualSimilarity(a, b);
    expect(ab.phash).toBe(0); // 64 bits differ
    expect(ab.color).toBe(0);
    expect(ab.similarity).toBeLessThan(0.2);
    expect(hamming([0, 0xff], [0, 0x0f])).toBe(4);
  });
  it('ignores malformed features instead of failing', () => {
    expect(visualFeatures(image('http://x/a.jpg', null, { visual: { phash: 'xyz', colorHist: [1, 2] } }))).toBeNull();
    expect(visualFeatures(image('http://x/a.jpg'))).toBeNull();
  });
});

describe('idf weights', () => {
  it('weigh words named like Object.prototype members as any rare word (a plain-object lookup made them NaN)', () => {
    const rare = idf('zzqxrare');
    for (const w of ['constructor', '__proto__', 'tostring', 'valueof', 'hasownproperty']) expect(idf(w), w).toBe(rare);
    const doc = realPage('guardian-1');
    const text = doc.segments.filter((s) => s.kind === 'text');
    for (const s of text) s.text = `${s.text} constructor`;
    const m = measureCoherence(doc, coherenceDefaults).signals;
    for (const [k, v] of Object.entries(m)) if (typeof v === 'number') expect(Number.isFinite(v), k).toBe(true);
  });

  it('follow the table in use, and say which one it is (the eval caches samples by it)', () => {
    const shipped = currentDfTable();
    try {
      useDfTable({ pages: 99, minDf: 3, df: { river: 9 } });
      expect(currentDfTable().pages).toBe(99);
      expect(idf('river')).toBeCloseTo(Math.log(100 / 10) + 1, 12);
      expect(idf('zzqxrare')).toBeCloseTo(Math.log(100 / 2) + 1, 12);
    } finally {
      useDfTable(shipped);
    }
    expect(currentDfTable()).toBe(shipped);
  });
});

describe('coherence signals on real pages', () => {
  it('scores a real article in [0, 1] and fills every declared column', () => {
    const doc = realPage('guardian-1');
    const m = measureCoherence(doc, coherenceDefaults);
    expect(m.signals.coherence_score!).toBeGreaterThan(coherenceDefaults.minScore); // kept: above the reject threshold
    expect(m.signals.coherence_score!).toBeLessThanOrEqual(1);
    const out = applyCoherence(doc, coherenceDefaults);
    expect('segments' in out).toBe(true);
    for (const c of coherenceColumns) expect(doc.signals, c.name).toHaveProperty(c.name);
    // ... and writes nothing it did not declare (the writer types columns from the declarations).
    expect(Object.keys(doc.signals).sort()).toEqual(coherenceColumns.map((c) => c.name).sort());
  });

  it('sees a block of paragraphs spliced in from another page as a split of the text', () => {
    const host = realPage('guardian-1');
    const donor = realPage('engadget').segments.filter((s) => s.kind === 'text' && (s.text?.length ?? 0) > 80).slice(0, 8);
    const spliced = { ...host, signals: {}, segments: [...host.segments.slice(0, 20), ...donor, ...host.segments.slice(20)] };
    const before = measureCoherence(host, coherenceDefaults).signals;
    const after = measureCoherence(spliced, coherenceDefaults).signals;
    expect(after.coh_text_split!).toBeLessThan(before.coh_text_split! * 0.6);
    expect(after.coherence_score!).toBeLessThan(before.coherence_score!);
  });

  it('sees images moved to another page as unaligned (alt text no longer found beside them)', () => {
    const host = realPage('ehow-1'); // alt texts that the captions repeat
    const other = realPage('guardian-1').segments.filter((s) => s.kind === 'image');
    let k = 0;
    const swapped = { ...host, signals: {}, segments: host.segments.map((s) => (s.kind === 'image' ? { ...other[k++ % other.length]! } : s)) };
    const a = measureCoherence(host, coherenceDefaults).signals;
    const b = measureCoherence(swapped, coherenceDefaults).signals;
    expect(a.coh_align_anchor!).toBeGreaterThan(0.5);
    expect(b.coh_align_anchor!).toBeLessThan(0.2);
    expect(b.coh_align_score!).toBeLessThan(a.coh_align_score! - 0.3);
  });

  it('sees an image from another site among a page\'s images (coh_image_sites)', () => {
    expect(imageSite('https://i2.wp.com/wptavern.com/a.png')).toBe('wp.com');
    expect(imageSite('https://static.independent.co.uk/x.jpg')).toBe('independent.co.uk');
    expect(imageSite('not a url')).toBe('');
    const host = realPage('ehow-1');
    const foreign = realPage('guardian-1').segments.find((s) => s.kind === 'image')!;
    const imgs = host.segments.flatMap((s, i) => (s.kind === 'image' ? [i] : []));
    const mixed = { ...host, signals: {}, segments: host.segments.map((s, i) => (i === imgs[0] ? { ...foreign } : s)) };
    expect(measureCoherence(host, coherenceDefaults).signals.coh_image_sites).toBe(0);
    expect(measureCoherence(mixed, coherenceDefaults).signals.coh_image_sites).toBeCloseTo(1 / imgs.length, 3);
  });

  it('scores a perspective with its logistic model, a NULL signal taking its fill value', () => {
    const m = { bias: -1, weights: { coh_text_split: 2, coh_text_order: 1 }, fill: { coh_text_order: 1 } };
    expect(logisticScore(m, { coh_text_split: 0.5, coh_text_order: null })).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
    expect(logisticScore(m, { coh_text_split: null, coh_text_order: null })).toBeNull();
  });

  it('sees shuffled paragraphs in the order signal', () => {
    const host = realPage('wikipedia');
    const segs = [...host.segments];
    // deterministic shuffle
    let seed = 7;
    for (let i = segs.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const j = seed % (i + 1);
      [segs[i], segs[j]] = [segs[j]!, segs[i]!];
    }
    const a = measureCoherence(host, coherenceDefaults).signals;
    const b = measureCoherence({ ...host, segments: segs, signals: {} }, coherenceDefaults).signals;
    expect(a.coh_text_order!).toBeGreaterThan(0.6);
    expect(b.coh_text_order!).toBeLessThan(a.coh_text_order! - 0.1);
    expect(b.coh_text_adjacent!).toBeLessThan(a.coh_text_adjacent!);
  });
});

describe('edge cases', () => {
  it('returns null scores rather than guessing when nothing is measurable', () => {
    const m = measureCoherence(docOf([text('Hello.')]), coherenceDefaults);
    expect(m.signals.coherence_score).toBeNull();
    expect(measureCoherence(docOf([]), coherenceDefaults).signals.coherence_score).toBeNull();
  });

  it('normalised cut is near 0 for two unrelated halves and high for one topic', () => {
    const stop = stopwordsFor('eng');
    const v = (s: string) => termVector(contentWords(s, stop));
    const paint = ['Leonardo painted the portrait in Florence', 'The portrait hangs in the Louvre museum in Paris', 'Visitors queue at the Louvre to see the portrait', 'Leonardo kept the portrait until his death'].map(v);
    const stocks = ['Stock markets fell sharply on Monday', 'Investors sold shares as interest rates rose', 'Bond yields and interest rates climbed again', 'Markets expect shares to recover'].map(v);
    const split = minBlockNormalizedCut([...paint, ...stocks], coherenceDefaults)!;
    const one = minBlockNormalizedCut([...paint, ...paint.slice().reverse()], coherenceDefaults)!;
    expect(split).toBeLessThan(0.2);
    expect(one).toBeGreaterThan(0.6);
  });
});

function contextFor(config: Config) {
  const counters = new Counters();
  const rejects: { reason: string; detail: string | null | undefined; signals: Record<string, unknown> }[] = [];
  const ctx = standaloneContext({
    config,
    counters,
    unit: 'test',
    onReject: (doc, reason, detail) => rejects.push({ reason, detail, signals: { ...doc.signals } }),
  });
  return { ctx, counters, rejects };
}

async function runStage(docs: Doc[], config: Config) {
  const { ctx, counters, rejects } = contextFor(config);
  async function* input() {
    yield* docs;
  }
  const out: Doc[] = [];
  await coherenceStage.open?.(config, ctx.resources);
  for await (const d of coherenceStage.transform(input(), ctx)) out.push(d);
  await coherenceStage.close?.();
  return { out, counters, rejects };
}

describe('coherence stage', () => {
  it('rejects documents below minScore with their signal values, keeps the rest', async () => {
    const good = realPage('guardian-1');
    const host = realPage('ehow-1');
    // ehow-1's images replaced by another page's (charts of an anomaly-detection tutorial): none belongs there.
    // (toc-missing, 72 KB, stands in for wikipedia-2, 419 KB, to keep test/fixtures small.)
    const other = realPage('toc-missing').segments.filter((s) => s.kind === 'image' && s.alt);
    expect(other.length).toBeGreaterThanOrEqual(11);
    let k = 0;
    const broken = { ...host, id: 'broken', signals: {}, segments: host.segments.map((s) => (s.kind === 'image' ? { ...other[k++ % other.length]! } : s)) };
    const score = measureCoherence(broken, coherenceDefaults).signals.coherence_score!;
    // The host page with its own images scores higher than with the foreign ones.
    expect(measureCoherence(host, coherenceDefaults).signals.coherence_score!).toBeGreaterThan(score + 0.1);
    const config = mergeConfig(defaultConfig, { coherence: { minScore: score + 0.01 } });
    const { out, counters, rejects } = await runStage([good, broken], config);
    expect(out.map((d) => d.id)).toEqual(['doc']);
    expect(rejects).toHaveLength(1);
    expect(rejects[0]!.reason).toBe('low_coherence');
    expect(rejects[0]!.signals.coherence_score).toBe(score);
    expect(counters.get('in')).toBe(2);
    expect(counters.get('out')).toBe(1);
  });

  it('drops stray paragraphs and unanchored images and counts them', async () => {
    const topic = [
      'The Mona Lisa is a portrait painted by Leonardo da Vinci in Florence.',
      'Leonardo worked on the Mona Lisa portrait for many years in Florence and later in France.',
      'The portrait of the Mona Lisa hangs today in the Louvre in Paris.',
      'Millions of visitors see the Mona Lisa portrait in the Louvre every year.',
    ];
    const stray = 'Quarterly earnings of semiconductor manufacturers exceeded analyst expectations while bond yields, freight rates, mortgage approvals and commodity futures moved sideways amid tariff negotiations.';
    const doc = docOf([
      text(topic[0]!), image('http://example.org/mona-lisa-portrait.jpg', 'Mona Lisa portrait'), text(topic[1]!), text(stray), text(topic[2]!), text(topic[3]!),
      text('Gallery', 'h2'), image('http://example.org/a/1.jpg'), image('http://example.org/a/2.jpg'), image('http://example.org/a/3.jpg'), image('http://example.org/a/4.jpg'),
    ]);
    const { out, counters } = await runStage([doc], mergeConfig(defaultConfig, { coherence: { minScore: 0, unanchoredImage: { drop: true } } }));
    const kept = out[0]!;
    expect(kept.segments.map((s) => s.text ?? s.url)).not.toContain(stray);
    expect(kept.signals.coh_dropped_paragraphs).toBe(1);
    // Images 3 and 4 are 3+ segments from any text and carry no words: dropped; 1 and 2 stay (near the heading).
    expect(kept.signals.coh_dropped_images).toBe(2);
    expect(counters.get('segments_dropped:stray_paragraph')).toBe(1);
    expect(counters.get('segments_dropped:unanchored_image')).toBe(2);
    expect(kept.segments.filter((s) => s.kind === 'image').map((s) => s.url)).toEqual([
      'http://example.org/mona-lisa-portrait.jpg', 'http://example.org/a/1.jpg', 'http://example.org/a/2.jpg',
    ]);
  });

  it('segment drops can be turned off in config, and unknown keys are refused', async () => {
    const cfg: CoherenceConfig = mergeConfig(coherenceDefaults, { strayParagraph: { drop: false }, unanchoredImage: { drop: false }, minScore: 0 });
    const doc = docOf([text('One two three four.'), image('http://x/1.jpg'), image('http://x/2.jpg'), image('http://x/3.jpg'), image('http://x/4.jpg')]);
    const out = applyCoherence(doc, cfg);
    expect('segments' in out && out.segments).toHaveLength(5);
    expect(() => mergeConfig(defaultConfig, { coherence: { minScor: 1 } })).toThrow(/coherence.minScor: unknown key/);
  });
});
