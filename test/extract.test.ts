import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES as CORPUS_ROOT } from './helpers/fixtures.ts';
import { describe, expect, it } from 'vitest';
import * as cheerio from 'cheerio';
import parseSrcset from '@prettier/parse-srcset';
import { extractDefaults, extractHtml, extractStage } from '../stages/extract/index.ts';
import { imageCandidate, largestSrcsetCandidate } from '../stages/extract/images.ts';
import { defaultConfig } from '../pipeline/config.ts';
import { Counters } from '../pipeline/stats.ts';
import { standaloneContext, type RunContext } from '../pipeline/context.ts';
import type { Doc, RawPage, Segment } from '../schemas/doc.ts';

const CORPUS = join(CORPUS_ROOT, 'html') + '/';

const texts = (segs: Segment[]) => segs.filter((s) => s.kind === 'text').map((s) => s.text);
const flat = (segs: Segment[]) => segs.map((s) => (s.kind === 'text' ? s.text : `IMG ${s.url}`));

/** Chrome that every main-content test page carries around its article. */
const chrome = {
  top: `<header><a href="/">Site</a><nav><ul><li><a href="/a">World</a></li><li><a href="/b">Sport</a></li>
    <li><a href="/c">Culture</a></li><li><a href="/d">Opinion</a></li></ul></nav></header>
    <div class="cookie-banner">We use cookies to give you the best experience. By continuing you agree to our policy.</div>`,
  side: `<div class="sidebar"><h3>Most read</h3><ul><li><a href="/x1">Ten things you did not know about cats and dogs</a></li>
    <li><a href="/x2">The surprising history of the humble spoon</a></li><li><a href="/x3">Why the sea is salty</a></li></ul></div>`,
  bottom: `<div id="comments"><h3>Comments</h3><div class="comment"><p>I totally disagree with this article, it is nonsense
    from start to end and the author should know better, frankly.</p></div></div>
    <footer><p>© 2024 Example Media. All rights reserved.</p><a href="/privacy">Privacy</a> <a href="/terms">Terms</a></footer>`,
};

const PARAS = [
  'The river rose three metres overnight, flooding the lower town and forcing hundreds of families from their homes before dawn.',
  'Rescue teams worked through the morning, using boats to reach elderly residents who had refused to leave, the mayor said.',
  'By the afternoon the water had begun to fall, but officials warned that more rain was expected later in the week.',
];

describe('reading order and image URLs', () => {
  it('keeps text and images in page order with absolute URLs (relative, <base>, srcset, data-src, <picture>, noscript)', () => {
    const html = `<html><head><title>Flood</title><base href="https://cdn.example.org/assets/"></head><body>
      ${chrome.top}<article>
      <p>${PARAS[0]}</p>
      <img src="a.png" alt="A" width="800" height="600">
      <h2>Rescue</h2>
      <img data-src="/lazy.jpg" src="data:image/gif;base64,R0lGOD">
      <p>${PARAS[1]}</p>
      <img srcset="s.jpg 320w, l.jpg 1280w, m.jpg 640w">
      <picture><source srcset="p-big.webp 2x, p.webp 1x"><img src="p.jpg" alt="P"></picture>
      <picture><source media="(min-width: 800px)" srcset="wide-1600.jpg 1600w, wide-800.jpg 800w"><img src="narrow.jpg"></picture>
      <img src="https://cdn.example.org/blur/preview-60.jpg"><noscript><img src="https://cdn.example.org/full/photo.jpg"></noscript>
      <p>${PARAS[2]}</p>
      </article>${chrome.side}${chrome.bottom}</body></html>`;
    const ex = extractHtml(html, 'https://example.org/news/flood.html');
    expect(ex.title).toBe('Flood');
    expect(flat(ex.segments)).toEqual([
      PARAS[0],
      'IMG https://cdn.example.org/assets/a.png',
      'Rescue',
      'IMG https://cdn.example.org/lazy.jpg',
      PARAS[1],
      'IMG https://cdn.example.org/assets/l.jpg',
      'IMG https://cdn.example.org/assets/p.jpg',
      'IMG https://cdn.example.org/assets/wide-1600.jpg',
      'IMG https://cdn.example.org/full/photo.jpg',
      PARAS[2],
    ]);
    const a = ex.segments.find((s) => s.url?.endsWith('/a.png'))!;
    expect([a.alt, a.width, a.height]).toEqual(['A', 800, 600]);
  });

  it('picks the largest srcset candidate, URLs with commas included (spec parser)', () => {
    expect(largestSrcsetCandidate('a.jpg 1x, b.jpg 2x')?.url).toBe('b.jpg');
    expect(
      largestSrcsetCandidate('https://i.x.com/c_fill,w_80/a.jpg 80w, https://i.x.com/c_scale,w_800/a.jpg 800w'),
    ).toEqual({ url: 'https://i.x.com/c_scale,w_800/a.jpg', width: 800 });
    expect(largestSrcsetCandidate('a.jpg 1q, b.jpg 300w')?.url).toBe('b.jpg'); // invalid candidate skipped
  });

  it('keeps the other URLs of an image as alternates, best first: smaller candidates, lazy URL, src', () => {
    expect(imageCandidate({ src: 's.jpg', srcset: 'm.jpg 1.5x, l.jpg 2x', 'data-src': 'lazy.jpg', width: '200' })).toEqual({
      url: 'l.jpg',
      width: 200,
      alternates: ['m.jpg', 'lazy.jpg', 's.jpg'],
    });
    // A placeholder src comes last; data: URIs never.
    expect(imageCandidate({ src: '/img/blank.gif', 'data-src': 'real.jpg', srcset: 'data:image/gif;base64,R0l 1x' })).toEqual({
      url: 'real.jpg',
      width: null,
      alternates: ['/img/blank.gif'],
    });
    // Through the extractor: absolute, and the <picture>'s other sources too.
    const ex = extractHtml(
      `<article><p>${PARAS[0]}</p><picture><source srcset="/p-800.webp 800w" type="image/webp"><img src="/p.jpg" srcset="/p-400.jpg 400w, /p-200.jpg 200w"></picture><p>${PARAS[1]}</p></article>`,
      'https://ex.org/a/',
    );
    const img = ex.segments.find((s) => s.kind === 'image')!;
    expect(img.url).toBe('https://ex.org/p-800.webp');
    expect(img.alternates).toEqual(['https://ex.org/p-400.jpg', 'https://ex.org/p-200.jpg', 'https://ex.org/p.jpg']);
  });

  it('an image inside a sentence follows its paragraph; a formula image leaves its TeX in the text', () => {
    const html = `<article><p>${PARAS[0]} The level <img src="/chart.png" width="600" height="300"> kept rising
      as predicted by <img class="mwe-math-fallback-image-inline" aria-hidden="true" src="/math/f.svg"
      alt="{\\displaystyle h(t)=h_0+rt}"> for hours.</p><p>${PARAS[1]}</p></article>`;
    const segs = extractHtml(html, 'https://example.org/').segments;
    expect(segs.map((s) => s.kind)).toEqual(['text', 'image', 'image', 'text']);
    expect(segs[0]!.text).toContain('The level kept rising as predicted by {\\displaystyle h(t)=h_0+rt} for hours.');
    expect(segs[1]!.url).toBe('https://example.org/chart.png');
  });
});

describe('main content', () => {
  it('keeps the article with its figure and caption, drops nav, cookie banner, sidebar, comments, footer', () => {
    const html = `<html><head><title>River floods lower town | Example News</title></head><body>${chrome.top}
      <main><article><h1>River floods lower town</h1><p class="byline">By Ann Smith, 12 March 2024, 06:10</p>
      <p>${PARAS[0]}</p>
      <figure><img src="/img/flood.jpg" width="1200" height="800" alt="Flooded street"><figcaption>The lower town at dawn.</figcaption></figure>
      <p>${PARAS[1]}</p>
      <div class="share-tools"><a href="https://facebook.com/sharer?u=x">Share on Facebook</a> <a href="https://twitter.com/intent/tweet">Tweet</a></div>
      <p>${PARAS[2]}</p>
      <div class="related-stories"><h2>Related</h2><ul><li><a href="/r1">Storm warning issued for the coast</a></li><li><a href="/r2">How to prepare your home for a flood</a></li></ul></div>
      </article></main>${chrome.side}${chrome.bottom}</body></html>`;
    const ex = extractHtml(html, 'https://example.org/news/flood.html');
    expect(flat(ex.segments)).toEqual([
      'River floods lower town', // the headline; the dateline under it goes
      PARAS[0],
      'IMG https://example.org/img/flood.jpg',
      'The lower town at dawn.',
      PARAS[1],
      PARAS[2],
    ]);
    expect(ex.segments.find((s) => s.text === 'The lower town at dawn.')!.tag).toBe('figcaption');
    expect(ex.contentChars).toBeLessThan(ex.pageChars);
    const noTitle = extractHtml(html, 'https://example.org/', { ...extractDefaults, dropTitleHeading: true });
    expect(texts(noTitle.segments)[0]).toBe(PARAS[0]);
    // mainContentOnly: false keeps every part of the page that is not chrome or a link list.
    const all = texts(extractHtml(html, 'https://example.org/', { ...extractDefaults, mainContentOnly: false }).segments);
    expect(all).toEqual(expect.arrayContaining([PARAS[0], PARAS[2]]));
    expect(all.join(' ')).not.toMatch(/World|Sport|Share on Facebook/);
  });

  it('drops decorative images (pixel, spacer, icon, avatar, logo, share button, emoji) and counts them', () => {
    const html = `<article><p>${PARAS[0]}</p>
      <img src="/uploads/photo.jpg" width="640" height="480">
      <img src="https://www.facebook.com/tr?id=1&ev=PageView" width="1" height="1">
      <img src="/img/spacer.gif"><img src="/icons/print.png" width="16" height="16">
      <img class="avatar" src="/u/42.jpg"><img src="/static/site-logo.png">
      <a href="https://twitter.com/intent/tweet?url=x"><img src="/img/t.png"></a>
      <p>${PARAS[1]} <img class="wp-smiley emoji" src="/s/smile.png" alt=":)"> Well done.</p></article>`;
    const ex = extractHtml(html, 'https://example.org/');
    expect(ex.segments.filter((s) => s.kind === 'image').map((s) => s.url)).toEqual([
      'https://example.org/uploads/photo.jpg',
    ]);
    expect(ex.imagesDropped).toEqual({ tracking: 1, spacer: 1, tiny: 1, avatar: 1, logo: 1, share: 1, emoji: 1 });
    expect(texts(ex.segments)[1]).toBe(`${PARAS[1]} Well done.`); // the emoji did not cut the paragraph
    expect(extractHtml(html, 'https://example.org/', { ...extractDefaults, keepDecorativeImages: true }).segments
      .filter((s) => s.kind === 'image')).toHaveLength(8);
  });

  it('keeps every post of a forum thread, without the user panels', () => {
    const post = (user: string, body: string) => `<div class="post"><div class="userinfo"><a href="/u/${user}">${user}</a>
      <a href="/pm/${user}">PM</a> <a href="/u/${user}/posts">Posts</a></div><div class="message">${body}</div></div>`;
    const bodies = [
      'My bike chain keeps slipping on the smallest cog when I climb hills. I already replaced the chain last month, any ideas?',
      'Sounds like a worn cassette. A new chain on an old cassette will skip exactly like that, especially under load.',
      'Agreed with the above. Also check the derailleur hanger is straight; a bent hanger causes the same symptom on small cogs.',
      'Thanks both! It was the cassette, replaced it this morning and the bike shifts perfectly now, even on the steep hill.',
    ];
    const html = `<body>${chrome.top}<div id="thread"><h1>Chain slipping on small cog</h1>
      ${bodies.map((b, i) => post(`user${i}`, b)).join('\n')}</div>${chrome.side}<footer>Forum software</footer></body>`;
    const ex = extractHtml(html, 'https://forum.example.org/t/123');
    expect(texts(ex.segments).filter((t) => bodies.includes(t!))).toEqual(bodies);
    expect(texts(ex.segments).join(' ')).not.toMatch(/PM|Posts|World|cookies|Most read/);
  });

  it('keeps the items of a listing page (titles and summaries)', () => {
    const items = [
      ['Tomato soup', 'A simple soup of roasted tomatoes, garlic and basil, ready in forty minutes and better the next day.'],
      ['Lentil curry', 'Red lentils simmered with coconut milk, ginger and spices; serve it with rice or warm flatbread.'],
      ['Apple crumble', 'Tart apples under a buttery oat topping, baked until golden and bubbling at the edges.'],
    ];
    const html = `<body>${chrome.top}<main><h1>Autumn recipes</h1><ul class="recipes">${items
      .map(([t, s], i) => `<li><h2><a href="/r/${i}">${t}</a></h2><img src="/img/r${i}.jpg" width="400" height="300"><p>${s}</p></li>`)
      .join('')}</ul></main>${chrome.side}${chrome.bottom}</body>`;
    const ex = extractHtml(html, 'https://example.org/recipes');
    for (const [t, s] of items) expect(texts(ex.segments)).toEqual(expect.arrayContaining([t, s]));
    expect(ex.segments.filter((s) => s.kind === 'image')).toHaveLength(3);
    expect(texts(ex.segments).join(' ')).not.toMatch(/cookies|Most read|disagree/);
  });

  it('works on Chinese, Arabic and Thai articles (no spaces, CJK punctuation, RTL)', () => {
    const cases = [
      ['zh', ['昨天晚上，河水上涨了三米，淹没了下城区，数百户家庭在黎明前被迫撤离家园。', '救援队整个上午都在工作，用船只接走了拒绝离开的老人，市长说。', '下午水位开始下降，但官员警告说本周晚些时候还会下雨。']],
      ['ar', ['ارتفع منسوب النهر ثلاثة أمتار خلال الليل، فغمرت المياه البلدة السفلى وأجبرت مئات العائلات على مغادرة منازلها قبل الفجر.', 'عملت فرق الإنقاذ طوال الصباح، مستخدمة القوارب للوصول إلى السكان المسنين، بحسب رئيس البلدية.', 'بدأ منسوب المياه في الانخفاض بعد الظهر، لكن المسؤولين حذروا من أمطار جديدة هذا الأسبوع.']],
      ['th', ['เมื่อคืนนี้แม่น้ำเพิ่มสูงขึ้นสามเมตร น้ำท่วมเมืองด้านล่าง ทำให้หลายร้อยครอบครัวต้องอพยพออกจากบ้านก่อนรุ่งสาง', 'ทีมกู้ภัยทำงานตลอดเช้า ใช้เรือเข้าไปช่วยผู้สูงอายุที่ไม่ยอมออกจากบ้าน นายกเทศมนตรีกล่าว', 'ช่วงบ่ายระดับน้ำเริ่มลดลง แต่เจ้าหน้าที่เตือนว่าจะมีฝนตกอีกในสัปดาห์นี้']],
    ] as const;
    for (const [lang, paras] of cases) {
      const html = `<html lang="${lang}" dir="${lang === 'ar' ? 'rtl' : 'ltr'}"><body>${chrome.top}<div class="content">
        ${paras.map((p) => `<p>${p}</p>`).join('')}</div>${chrome.side}${chrome.bottom}</body></html>`;
      const ex = extractHtml(html, 'https://example.org/');
      expect(texts(ex.segments), lang).toEqual([...paras]);
      expect(ex.declaredLang).toBe(lang);
    }
  });
});

describe('text blocks', () => {
  it('joins table cells into rows, splits <br><br> paragraphs, keeps <pre> lines, drops hidden parts', () => {
    const html = `<article><p>${PARAS[0]}</p>
      <table><tr><th>City</th><th>Rain (mm)</th></tr><tr><td>Lyon</td><td>42</td></tr></table>
      <p>First line<br>second line<br><br>New paragraph after two breaks.</p>
      <pre>for x in xs:
    print(x)</pre>
      <p style="display:none">Hidden text.</p><div hidden>Also hidden.</div><span class="sr-only">Skip to content</span>
      <p>${PARAS[1]}</p></article>`;
    const ex = extractHtml(html, 'https://example.org/');
    expect(ex.segments.map((s) => [s.tag, s.text])).toEqual([
      ['p', PARAS[0]],
      ['tr', 'City | Rain (mm)'],
      ['tr', 'Lyon | 42'],
      ['p', 'First line\nsecond line'],
      ['p', 'New paragraph after two breaks.'],
      ['pre', 'for x in xs:\n    print(x)'],
      ['p', PARAS[1]],
    ]);
  });

  it('survives 100,000-deep nesting of inline elements and of <svg>, linearly', () => {
    const n = 100_000;
    const t0 = performance.now();
    const ex = extractHtml(
      `<p>${'<span>'.repeat(n)}deep${'</span>'.repeat(n)}</p><svg>${'<g>'.repeat(n)}</svg><p>after the svg</p>`,
      'https://example.org/',
    );
    expect(texts(ex.segments)).toEqual(['deep', 'after the svg']);
    expect(performance.now() - t0).toBeLessThan(20_000); // quadratic was minutes; linear is well under a second
  });
});

describe('real pages (test/fixtures/html, copied from the shared corpus)', () => {
  const words = (s: string) => s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  function f1(pred: string, truth: string) {
    const t = new Map<string, number>();
    for (const w of words(truth)) t.set(w, (t.get(w) ?? 0) + 1);
    const p = words(pred);
    let hit = 0;
    for (const w of p) {
      if ((t.get(w) ?? 0) > 0) {
        hit++;
        t.set(w, t.get(w)! - 1);
      }
    }
    const prec = hit / p.length;
    const rec = hit / words(truth).length;
    return (2 * prec * rec) / (prec + rec);
  }

  it.each(['nytimes-3', 'lwn-1', 'lazy-image-1', 'wikipedia-3'])(
    'readability/%s: text matches Readability, images are the article images in order',
    (stem) => {
      const html = readFileSync(`${CORPUS}readability/${stem}.html`, 'utf8');
      const $ = cheerio.load(readFileSync(`${CORPUS}readability/${stem}.expected.html`, 'utf8'));
      const ex = extractHtml(html, 'http://fakehost/test/page.html');
      expect(f1(texts(ex.segments).join(' '), $.root().text())).toBeGreaterThan(0.85);
      // The first article image (by path) is our first image.
      const path = (u: string) => new URL(u, 'http://fakehost/').pathname;
      const truthPaths = $('img')
        .toArray()
        .flatMap((el) => [$(el).attr('src') ?? '', ...parseSrcset($(el).attr('srcset') || 'x').map((c) => c.source.value)])
        .filter((s) => s && !s.startsWith('data:'))
        .map(path);
      const ours = ex.segments.filter((s) => s.kind === 'image').map((s) => path(s.url!));
      expect(ours.length).toBeGreaterThan(0);
      expect(truthPaths).toContain(ours[0]);
    },
  );

  it('newspaper4k/chinese_article: the article text without the chrome', () => {
    const html = readFileSync(`${CORPUS}newspaper4k/chinese_article.html`, 'utf8');
    const truth = readFileSync(`${CORPUS}newspaper4k/chinese_article.expected.txt`, 'utf8');
    const ours = texts(extractHtml(html, 'https://example.com/').segments).join('\n');
    const chars = (s: string) => new Set(s.replace(/\s/g, ''));
    const t = chars(truth);
    const o = [...chars(ours)];
    expect(o.filter((c) => t.has(c)).length / o.length).toBeGreaterThan(0.9);
    expect(ours).toContain(truth.trim().split('\n')[0]!.trim().slice(0, 20));
  });
});

describe('extractStage', () => {
  function context(counters: Counters, rejected: { reason: string }[]): RunContext {
    return standaloneContext({ config: defaultConfig, counters, unit: 'test', onReject: (_doc, reason) => rejected.push({ reason }) });
  }
  const page = (html: string, url: string): RawPage => ({
    url,
    fetchedAt: null,
    status: 200,
    headers: {},
    html,
    charset: 'utf-8',
    charsetSource: 'default',
    bytes: html.length,
    source: { file: 'test.warc', offset: 0, recordId: null, recordType: 'response' },
  });

  it('turns pages into docs with signals and image counters, and drops pages without text', async () => {
    const counters = new Counters();
    const rejected: { reason: string }[] = [];
    async function* input() {
      yield page(`<article><p>${PARAS[0]}</p><img src="/p.jpg" width="500" height="400"><img src="/spacer.gif"></article>`, 'https://a.example/1');
      yield page('<html><body><nav><a href="/">Home</a></nav></body></html>', 'https://a.example/2');
    }
    const out: Doc[] = [];
    for await (const d of extractStage.transform(input(), context(counters, rejected))) out.push(d);
    expect(out).toHaveLength(1);
    expect(out[0]!.segments.map((s) => s.kind)).toEqual(['text', 'image']);
    expect(out[0]!.signals).toMatchObject({ extract_images_dropped: 1, extract_content_chars: PARAS[0]!.length });
    expect(counters.get('image:spacer')).toBe(1);
    expect(rejected).toEqual([{ reason: 'no_text' }]);
    expect(extractStage.columns?.map((c) => c.name)).toContain('extract_content_chars');
  });
});
