import { join } from 'node:path';
import { FIXTURES as CORPUS } from './helpers/fixtures.ts';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Doc, Segment } from '../schemas/doc.ts';
import { defaultConfig, type Config } from '../pipeline/config.ts';
import { standaloneContext, type RunContext } from '../pipeline/context.ts';
import { Counters } from '../pipeline/stats.ts';
import { extractHtml } from '../stages/extract/index.ts';
import { dedupStage, docText } from '../stages/dedup/index.ts';
import {
  candidateProbability,
  jaccardSorted,
  lshThreshold,
  matchingPositions,
  MinHasher,
  minMatches,
  shingleHashes,
  wordHashes,
} from '../stages/dedup/minhash.ts';
import { paragraphMd5 } from '../stages/dedup/keys.ts';
import { hamming, parsePhash } from '../stages/lib/phash.ts';
import { trackingParamPatterns, urlKey } from '../stages/dedup/url.ts';

const PAGES = join(CORPUS, 'html/readability');
function pageText(stem: string): string {
  const html = readFileSync(`${PAGES}/${stem}.html`, 'utf8');
  return docText(extractHtml(html, 'http://fakehost/test/page.html').segments);
}

/** Replace a fraction of the words of a text, deterministically. */
function editWords(text: string, fraction: number, seed = 7): string {
  let s = seed;
  return text
    .split(/(\s+)/)
    .map((w) => {
      if (/^\s*$/.test(w)) return w;
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s / 2 ** 32 < fraction ? `edit${s % 1000}` : w;
    })
    .join('');
}

describe('MinHash', () => {
  it('sees words the same through case, diacritics, punctuation and digits; splits CJK into characters', () => {
    const eq = (a: string, b: string) => expect([...wordHashes(a)]).toEqual([...wordHashes(b)]);
    eq('Café, 2024!  ABC', 'cafe\u0301 7 abc');
    eq('abc中文def', 'abc 中 文 def');
    expect(wordHashes('Hello, World! Café 2024 中文').length).toBe(6);
    expect(wordHashes('...  ---').length).toBe(0);
    expect([...wordHashes('ab')]).not.toEqual([...wordHashes('a b')]);
  });

  it('estimates the Jaccard similarity of shingle sets of real pages within the expected noise', () => {
    const hasher = new MinHasher({ ngram: 5, bands: 16, rowsPerBand: 7, seed: 1 });
    const errors: number[] = [];
    for (const stem of ['ars-1', 'bbc-1', 'nytimes-1', 'wikipedia', 'medium-1', 'heise']) {
      const text = pageText(stem);
      for (const f of [0, 0.02, 0.05, 0.1, 0.3]) {
        const a = shingleHashes(text, 5);
        const b = shingleHashes(editWords(text, f), 5);
        const truth = jaccardSorted(a, b);
        const est = matchingPositions(hasher.signatureOfShingles(a)!, hasher.signatureOfShingles(b)!) / hasher.k;
        errors.push(Math.abs(est - truth));
        if (f === 0) expect(est).toBe(1);
      }
    }
    const mean = errors.reduce((x, y) => x + y, 0) / errors.length;
    // Standard deviation of the estimate is sqrt(J(1-J)/k) <= 0.047 for k = 112.
    expect(mean).toBeLessThan(0.04);
    expect(Math.max(...errors)).toBeLessThan(0.15);
  });

  it('shingles within paragraphs: reordering paragraphs keeps the set, editing one word changes <= ngram shingles', () => {
    const paras = pageText('bbc-1').split('\n');
    const a = shingleHashes(paras.join('\n'), 5);
    expect([...shingleHashes([...paras].reverse().join('\n'), 5)]).toEqual([...a]);
    const edited = [...paras];
    edited[3] = edited[3]!.replace(/\S+/, 'replaced');
    const b = shingleHashes(edited.join('\n'), 5);
    expect(jaccardSorted(a, b)).toBeGreaterThan(1 - 10 / a.length);
    expect(jaccardSorted(a, b)).toBeLessThan(1);
  });

  it('gives the banding curve it promises', () => {
    expect(lshThreshold(14, 8)).toBeCloseTo(0.719, 3); // datatrove's comment: ~0.72
    expect(candidateProbability(0.8, 14, 8)).toBeCloseTo(0.924, 3); // datatrove: 0.924
    expect(candidateProbability(0.8, 16, 7)).toBeGreaterThan(0.97);
    expect(minMatches(0.8, 112)).toBe(90);
    expect(minMatches(0.75, 100)).toBe(75);
  });
});

describe('keys', () => {
  it('normalises URLs for dedup', () => {
    const p = trackingParamPatterns(defaultConfig.dedup.url.trackingParams);
    const k = urlKey('HTTP://WWW.Example.com:80/a/b/?utm_source=x&b=2&a=1&fbclid=z#frag', p);
    expect(k).toBe('https://example.com/a/b?a=1&b=2');
    expect(urlKey('https://example.com/a/b?a=1&b=2', p)).toBe(k);
    expect(urlKey('https://example.com:8443/a/b?a=1&b=2', p)).not.toBe(k);
    expect(urlKey('https://example.com/a/b?a=1&b=3', p)).not.toBe(k);
    expect(urlKey('not a url', p)).toBe('not a url');
  });

  it('hashes paragraphs as DuckDB md5() does and measures pHash distance', () => {
    expect(paragraphMd5('abc')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(hamming(parsePhash('ffffffffffffffff')!, parsePhash('fffffffffffffff0')!)).toBe(4);
    expect(hamming(parsePhash('0000000000000000')!, parsePhash('8000000000000001')!)).toBe(2);
    expect(parsePhash('xyz')).toBeNull();
  });
});

// ---------- the in-run stage, through the engine's docStage with a real StageContext ----------

interface Harness {
  ctx: RunContext;
  rejects: { id: string; reason: string; detail: string | null | undefined; doc: Doc }[];
  counters: Counters;
}

function harness(config: Config = defaultConfig, resources = new Map<string, unknown>()): Harness {
  const rejects: Harness['rejects'] = [];
  const counters = new Counters();
  const ctx = standaloneContext({
    config,
    counters,
    resources,
    unit: 'test',
    onReject: (doc, reason, detail) => rejects.push({ id: doc.id, reason, detail, doc }),
  });
  return { ctx, rejects, counters };
}

function doc(id: string, url: string, fetchedAt: string | null, segments: Segment[]): Doc {
  return {
    id,
    url,
    domain: new URL(url).hostname.replace(/^www\./, ''),
    title: null,
    fetchedAt,
    source: { file: 'x', offset: 0, recordId: null, recordType: 'file' },
    lang: null,
    langScore: null,
    segments,
    signals: {},
  };
}

const text = (t: string): Segment => ({ kind: 'text', text: t });
const image = (id: string, phash?: string): Segment => ({ kind: 'image', image_id: id, url: `https://img/${id}`, visual: phash ? { phash } : null });

async function run(h: Harness, docs: Doc[]): Promise<Doc[]> {
  async function* gen() {
    yield* docs;
  }
  const out: Doc[] = [];
  for await (const d of dedupStage.transform(gen(), h.ctx)) out.push(d);
  return out;
}

describe('dedup stage (in-run)', () => {
  const article = pageText('ars-1');

  it('keeps the latest fetch of a URL whatever the order, and lets the global pass remove the older one', async () => {
    const older = doc('a', 'http://www.example.com/x?utm_source=feed', '2020-01-01T00:00:00Z', [text(article)]);
    const newer = doc('b', 'https://example.com/x', '2021-01-01T00:00:00Z', [text(article)]);
    // Newer first: the older one that follows is dropped.
    const h1 = harness();
    const out1 = await run(h1, [structuredClone(newer), structuredClone(older)]);
    expect(out1.map((d) => d.id)).toEqual(['b']);
    expect(h1.rejects.map((r) => [r.id, r.reason])).toEqual([['a', 'dup_url']]);
    expect(h1.rejects[0]!.doc.signals.dup_of).toBe('b');
    // Older first: it is already out, so both are kept and the newer one says which it supersedes.
    const h2 = harness();
    const out2 = await run(h2, [structuredClone(older), structuredClone(newer)]);
    expect(out2.map((d) => d.id)).toEqual(['a', 'b']);
    expect(out2[1]!.signals.supersedes).toBe('a');
    expect(out2[0]!.signals.url_norm).toBe('https://example.com/x');
  });

  it('drops near duplicates of real pages (5% words changed, paragraphs kept) but not different pages', async () => {
    const h = harness();
    const paras = article.split('\n');
    const original = doc('o', 'https://a.example/1', '2020-01-01T00:00:00Z', paras.map(text));
    const mirror = doc('m', 'https://b.example/copy', '2019-01-01T00:00:00Z', paras.map(text));
    const other = doc('x', 'https://c.example/2', '2019-01-01T00:00:00Z', pageText('bbc-1').split('\n').map(text));
    const edited = doc('e', 'https://d.example/e', '2019-01-01T00:00:00Z', editWords(article, 0.5).split('\n').map(text));
    const out = await run(h, [original, mirror, other, edited]);
    expect(out.map((d) => d.id)).toEqual(['o', 'x', 'e']);
    expect(h.rejects.map((r) => [r.id, r.reason])).toEqual([['m', 'near_dup']]);
    expect(h.rejects[0]!.doc.signals.dup_similarity).toBe(1);
    expect((out[0]!.signals.minhash as number[]).length).toBe(112);
    expect(h.counters.get('dup:near')).toBe(1);
  });

  it('removes paragraphs repeated in more than 2 documents of a domain, and only there', async () => {
    const h = harness();
    const footer = 'Copyright Example Corp. All rights reserved.';
    const mk = (i: number, host: string) =>
      doc(`p${host}${i}`, `https://${host}/post/${i}`, null, [text(`Post number ${i} about ${host}: ${'word'.repeat(i + 1)} unique body text here.`), text(footer)]);
    const out = await run(h, [mk(1, 'a.org'), mk(2, 'a.org'), mk(1, 'b.org'), mk(3, 'a.org'), mk(4, 'a.org')]);
    const footers = out.map((d) => d.segments.some((s) => s.text === footer));
    expect(footers).toEqual([true, true, true, false, false]);
    expect(out[3]!.signals.boilerplate_paras).toBe(1);
    expect(out[3]!.signals.boilerplate_md5).toEqual([paragraphMd5(footer)]);
    expect(h.counters.get('paragraphs:boilerplate')).toBe(2);
  });

  it('removes duplicate images within a document (same bytes or near pHash) and logos seen in more than 10 documents', async () => {
    const h = harness();
    const docs: Doc[] = [];
    for (let i = 0; i < 12; i++) {
      docs.push(
        doc(`d${i}`, `https://site${i}.example/p`, null, [
          text(`Distinct ${'abcdefghijkl'[i]!.repeat(4)} document ${'abcdefghijkl'[i]!.repeat(3)} with its own words.`),
          image('logo'),
          image(`photo${i}`, 'ffffffff00000000'),
          image(`photo${i}`),
          image(`resized${i}`, 'ffffffff00000003'),
          image(`other${i}`, '00000000ffffffff'),
        ]),
      );
    }
    const out = await run(h, docs);
    expect(out).toHaveLength(12);
    const ids = (d: Doc) => d.segments.filter((s) => s.kind === 'image').map((s) => s.image_id);
    expect(ids(out[0]!)).toEqual(['logo', 'photo0', 'other0']);
    expect(out[0]!.signals.dup_images_removed).toBe(2);
    expect(ids(out[10]!)).toEqual(['photo10', 'other10']); // 11th document with the logo
    expect(out[10]!.signals.logo_images_removed).toBe(1);
    expect(out[10]!.signals.removed_image_ids).toEqual(['logo', 'photo10', 'resized10']);
  });

  it('shares its state across units through the resources map', async () => {
    const resources = new Map<string, unknown>();
    await dedupStage.open!(defaultConfig, resources);
    const a = doc('u1', 'https://x.example/a', '2020-01-01', [text(article)]);
    const b = doc('u2', 'https://y.example/b', '2019-01-01', [text(article)]);
    const h1 = harness(defaultConfig, resources);
    expect(await run(h1, [a])).toHaveLength(1);
    const h2 = harness(defaultConfig, resources);
    expect(await run(h2, [b])).toHaveLength(0);
    expect(h2.rejects[0]!.reason).toBe('near_dup');
  });

  it('only marks duplicates when dropInRun is false, leaving the decision to corpus dedup', async () => {
    const config = structuredClone(defaultConfig);
    config.dedup.dropInRun = false;
    const h = harness(config);
    const a = doc('k1', 'https://x.example/a', '2020-01-01', [text(article)]);
    const b = doc('k2', 'https://y.example/b', '2019-01-01', [text(article)]);
    const out = await run(h, [a, b]);
    expect(out.map((d) => d.id)).toEqual(['k1', 'k2']);
    expect(out[1]!.signals.dup_of).toBe('k1');
    expect(out[1]!.signals.dup_similarity).toBe(1);
    expect(h.counters.get('dup:near')).toBe(1);
  });

  it('never crashes on documents without text, URL or date', async () => {
    const h = harness();
    const weird = [
      doc('w1', 'https://e.example/', null, []),
      { ...doc('w2', 'https://e.example/', 'not a date', [image('i1')]), url: '::::' },
      doc('w3', 'https://e.example/x', null, [text('   ')]),
    ];
    const out = await run(h, weird);
    expect(out.map((d) => d.id)).toEqual(['w1', 'w2', 'w3']);
    expect(out[0]!.signals.minhash).toBeNull();
    expect(h.rejects).toHaveLength(0);
  });
});
