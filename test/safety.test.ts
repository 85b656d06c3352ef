import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Doc, Segment } from '../schemas/doc.ts';
import { loadConfig } from '../pipeline/config.ts';
import { extractHtml } from '../stages/extract/index.ts';
import { createDetector, identify, langidDefaults, type Detector } from '../stages/langid/index.ts';
import { Blocklist } from '../stages/safety/blocklist.ts';
import { countFlagged, flaggedLanguages } from '../stages/safety/flagged.ts';
import { phoneCountry, scrubPii, type PiiCounts } from '../stages/safety/pii.ts';
import { safetyDefaults, safetyStage, screen } from '../stages/safety/index.ts';
import { testContext } from './helpers/context.ts';
import { FIXTURES as CORPUS } from './helpers/fixtures.ts';
import { words } from '../stages/lib/text.ts';

const text = (t: string, lang = 'eng'): Segment => ({ kind: 'text', text: t, lang });

function docOf(segments: Segment[], url = 'https://news.example.org/a', lang = 'eng'): Doc {
  const domain = new URL(url).hostname.replace(/^www\./, '');
  return {
    id: 'd', url, domain, title: null, fetchedAt: null,
    source: { file: 't', offset: 0, recordId: null, recordType: 'file' },
    lang, langScore: 1, segments, signals: {},
  };
}

async function runStage(docs: Doc[], overrides: unknown) {
  const ctx = testContext(loadConfig(undefined, overrides));
  const kept: Doc[] = [];
  for await (const d of safetyStage.transform((async function* () { yield* docs; })(), ctx)) kept.push(d);
  return { kept, ctx };
}

describe('blocklist', () => {
  const b = Blocklist.fromText('# adult\nsex.com\n*.badsite.net\nhttps://tracker.example/path?q=1\n\n');
  it('matches a domain and its subdomains, never a substring', () => {
    expect(b.size).toBe(3);
    expect(b.match('sex.com')).toBe('sex.com');
    expect(b.match('www.SEX.com')).toBe('sex.com');
    expect(b.match('a.b.badsite.net')).toBe('badsite.net');
    expect(b.match('tracker.example')).toBe('tracker.example');
    expect(b.match('essex.gov.uk')).toBeNull();
    expect(b.match('essex.com')).toBeNull();
    expect(b.match('sex.com.example.org')).toBeNull();
    expect(b.matchUrl('https://www.essex.ac.uk/sex-education')).toBeNull();
    expect(b.matchUrl('not a url')).toBeNull();
  });
});

describe('flagged words (naughty-words / LDNOOBW)', () => {
  it('has lists for many languages', () => {
    expect(flaggedLanguages()).toEqual(expect.arrayContaining(['eng', 'deu', 'fra', 'spa', 'rus', 'zho', 'jpn', 'ara', 'hin', 'tha']));
    expect(flaggedLanguages().length).toBeGreaterThanOrEqual(25);
  });

  it('matches whole words and phrases only', () => {
    expect(countFlagged('Students from Essex and Sussex met in Middlesex.', 'eng')).toEqual({ flagged: 0, words: 8 });
    expect(countFlagged('Free porn and more PORN here', 'eng')!.flagged).toBe(2);
    expect(countFlagged('the 2 girls 1 cup video', 'eng')!.flagged).toBe(1);
    expect(countFlagged('a small sample of data', 'jpn')!.flagged).toBe(0); // 'sm' is a word entry, not a substring
    expect(countFlagged('他妈的，真是的', 'zho')!.flagged).toBeGreaterThanOrEqual(1);
    expect(countFlagged('any text', 'xyz')).toBeNull();
  });

  it('counts phrases as a left-to-right search of " phrase " in the space-joined words does', () => {
    // Back-to-back repeats share a space, so the string search counts every other one.
    expect(countFlagged('ball gag ball gag ball gag', 'eng')!.flagged).toBe(2);
    expect(countFlagged('ball gag, then ball gag', 'eng')!.flagged).toBe(2);
    expect(countFlagged('ball gag ball gag ball gag ball gag', 'eng')!.flagged).toBe(2);
    expect(countFlagged('a ball gravy ball gag', 'eng')!.flagged).toBe(2);
    // Against the string search itself, on word soups made of the English list's phrases.
    const en = Object.entries(createRequire(import.meta.url)('naughty-words') as Record<string, string[]>)
      .filter(([k]) => k.split('-')[0] === 'en')
      .flatMap(([, v]) => v);
    const phrases = en.filter((e) => words(e).length > 1);
    const single = new Set(en.flatMap((e) => (words(e).length === 1 ? words(e) : [])));
    const phraseTimes = new Map<string, number>();
    for (const e of phrases) phraseTimes.set(words(e).join(' '), (phraseTimes.get(words(e).join(' ')) ?? 0) + 1);
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let t = 0; t < 200; t++) {
      const parts: string[] = [];
      for (let k = rand(12); k >= 0; k--) parts.push(rand(3) === 0 ? 'and' : phrases[rand(8)]!);
      const text = parts.join(' ');
      const w = words(text);
      const joined = ` ${w.join(' ')} `;
      let want = w.filter((x) => single.has(x)).length;
      for (const [p, times] of phraseTimes) {
        for (let i = joined.indexOf(` ${p} `); i >= 0; i = joined.indexOf(` ${p} `, i + p.length + 2)) want += times;
      }
      expect(countFlagged(text, 'eng')!.flagged, text).toBe(want);
    }
  });
});

describe('PII scrub', () => {
  const ph = safetyDefaults.piiPlaceholders;
  const scrub = (t: string, domain = 'example.com') => {
    const counts: PiiCounts = { emails: 0, phones: 0, ips: 0 };
    return { out: scrubPii(t, phoneCountry(domain, 'US'), ph, counts), counts };
  };

  it('replaces e-mails, phone numbers and IPs and counts them', () => {
    const { out, counts } = scrub(
      'Write to jane.doe+news@example.co.uk or call (202) 555-0143 / +44 20 7946 0958. Server 192.168.10.5 and 2001:db8::8a2e:370:7334.',
    );
    expect(out).toBe('Write to <EMAIL> or call <PHONE> / <PHONE>. Server <IP> and <IP>.');
    expect(counts).toEqual({ emails: 1, phones: 2, ips: 2 });
  });

  it('leaves dates, times, prices, years, ISBNs and invalid IPs alone', () => {
    const t = 'On 2024-01-15 at 10:30:45 it cost $1,299.00 in 1999; ISBN 978-3-16-148410-0; 999.1.1.1; 12,345 views.';
    const { out, counts } = scrub(t);
    expect(out).toBe(t);
    expect(counts).toEqual({ emails: 0, phones: 0, ips: 0 });
  });

  it('reads national numbers with the country of the ccTLD', () => {
    expect(scrub('Tel. 030 12345678', 'zeitung.de').counts.phones).toBe(1);
    expect(phoneCountry('bbc.co.uk', 'US')).toBe('GB');
    expect(phoneCountry('example.com', null)).toBeUndefined();
  });
});

describe('safety stage', () => {
  let detector: Detector;
  beforeAll(async () => {
    detector = await createDetector();
  });

  it('drops documents on blocklisted domains and removes blocked images; keeps essex.ac.uk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'safety-'));
    const file = join(dir, 'blocklist.txt');
    writeFileSync(file, 'sex.com\nads.example\n');
    const prose = text('The university opens its new library to the public next month, with longer hours.');
    const docs = [
      docOf([prose], 'https://www.sex.com/page'),
      docOf([prose, { kind: 'image', url: 'https://cdn.ads.example/banner.jpg' }, { kind: 'image', url: 'https://essex.ac.uk/library.jpg' }],
        'https://www.essex.ac.uk/news'),
    ];
    const { kept, ctx } = await runStage(docs, { safety: { blocklistFile: file } });
    expect(ctx.rejects.map((r) => [r.reason, r.doc.signals.safety_blocked_domain])).toEqual([['blocked_domain', 'sex.com']]);
    expect(kept).toHaveLength(1);
    expect(kept[0]!.segments.map((s) => s.url ?? s.kind)).toEqual(['text', 'https://essex.ac.uk/library.jpg']);
    expect(kept[0]!.signals.safety_images_blocked).toBe(1);
  });

  it('drops a document over the flagged-word ratio, keeps it under a per-language override', async () => {
    const spam = docOf([text('Hot porn videos, free porn, xxx porn every day: watch porn and more porn now.')]);
    const { ctx } = await runStage([structuredClone(spam)], {});
    expect(ctx.rejects.map((r) => r.reason)).toEqual(['flagged_words']);
    expect(ctx.rejects[0]!.doc.signals.safety_flagged_ratio).toBeGreaterThan(0.2);
    const relaxed = await runStage([structuredClone(spam)], { safety: { byLang: [{ lang: 'eng', maxFlaggedRatio: 0.5 }] } });
    expect(relaxed.kept).toHaveLength(1);
  });

  it('fails loudly on a blocklist file that cannot be read', () => {
    expect(() => screen(docOf([]), { ...safetyDefaults, blocklistFile: '/nonexistent/blocklist.txt' })).toThrow(/safety.blocklistFile/);
  });

  it('keeps every real multilingual page and scrubs the addresses in them', () => {
    const dirs = ['newspaper4k', 'magic-html'].map((d) => join(CORPUS, 'html', d));
    const pages = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.html') && !f.includes('expected')).map((f) => join(d, f)));
    pages.push(join(CORPUS, 'html', 'readability', 'ietf-1.html'));
    let emails = 0;
    for (const p of pages) {
      const ex = extractHtml(readFileSync(p, 'utf8'), 'https://example.org/');
      const doc = identify(docOf(ex.segments, 'https://example.org/', 'und'), detector, langidDefaults);
      expect(screen(doc, safetyDefaults), p).toBeNull();
      emails += doc.signals.safety_pii_emails as number;
      for (const s of doc.segments) expect(s.text ?? '', p).not.toMatch(/[\w.+-]+@[\w-]+\.[a-z]{2,}/i);
    }
    expect(pages.length).toBe(19);
    expect(emails).toBeGreaterThanOrEqual(2); // the IETF draft's two authors
  });
});
