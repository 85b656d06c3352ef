/**
 * Extraction choices that do not come from the scorer: markup repaired before the parse (repair.ts),
 * per-site rules (`extract.siteRules`, siterules.ts) and what `explain` says chose the content.
 * Every page here is generated HTML.
 */
import { describe, expect, it } from 'vitest';
import { extractDefaults, extractHtml, type ExtractConfig } from '../stages/extract/index.ts';
import { repairMarkup } from '../stages/extract/repair.ts';
import { ConfigError, loadConfig } from '../pipeline/config.ts';

const texts = (ex: ReturnType<typeof extractHtml>) => ex.segments.filter((s) => s.kind === 'text').map((s) => s.text!);

const para = (topic: string) =>
  `<p>This paragraph about ${topic} is long enough to read as content, with commas, clauses and a full stop at the end of it. ` +
  `It goes on with a second sentence about ${topic}, so that the block is plainly the body of the page.</p>`;

describe('repairMarkup', () => {
  it('reads a <![CDATA[ in the body as HTML does (a bogus comment up to the next >), not as swallowing the page', () => {
    const html = `<html><head><title>T</title><script>//<![CDATA[\nvar a = 1 > 0;\n//]]></script></head>
      <body><![CDATA[\n<div class="post">${para('cast iron')}${para('skillets')}</div></body></html>`;
    const ex = extractHtml(html, 'https://forum.example.org/t/1');
    expect(texts(ex).join(' ')).toMatch(/cast iron.*skillets/s);
    // untouched when there is nothing to repair
    const clean = `<title>T</title><p>x</p>`;
    expect(repairMarkup(clean)).toBe(clean);
  });

  it('ends a <title> that is never closed at its first line break, so the page is not all title', () => {
    const html = `<html><head><title>Golfer Wins Title (The Times)ntById("font");\nobj.style.fontSize = 3;\n}\n</script>
      <body><div id="story">${para('golf')}${para('the tour')}</div></body></html>`;
    const ex = extractHtml(html, 'https://news.example.com/a');
    expect(ex.title).toBe('Golfer Wins Title (The Times)ntById("font");');
    expect(texts(ex).join(' ')).toMatch(/golf.*the tour/s);
    // a mangled close tag is no close tag
    const mangled = extractHtml(`<html><head><title id="t">Oil prices</titlevalue="true" -->\n<body><div>${para('oil')}</div></body></html>`, 'https://n.example.com/b');
    expect(mangled.title).toBe('Oil prices');
    expect(texts(mangled).join(' ')).toMatch(/about oil/);
  });
});

/** A news page: header and nav, the article, a related rail and a comment box, a footer. */
function newsPage(host: string) {
  return {
    url: `https://${host}/2024/05/story`,
    html: `<html lang="en"><head><title>Story</title></head><body>
      <header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav></header>
      <div class="layout"><div class="col-main">
        <div class="story-text"><h1>The harbour reopens</h1>${para('the harbour')}
          <div class="ad-slot">Advertisement: buy the premium plan for only five pounds a month, cancel any time you like.</div>
          ${para('the ferries')}<img src="/img/harbour.jpg" width="800" height="500" alt="Harbour"></div>
        <div class="reader-box"><p>Reader note: this text is kept by the generic extractor but the site rule removes it, being a plain paragraph of words.</p></div>
      </div></div>
      <footer><p>© Example News</p></footer></body></html>`,
  };
}

const withRules = (siteRules: ExtractConfig['siteRules']): ExtractConfig => ({ ...extractDefaults, siteRules });

describe('extract.siteRules', () => {
  const rules = [{ domain: 'news.example.com', content: '.story-text', remove: ['.ad-slot'], name: 'example news' }];

  it('on a page of the rule\'s domain keeps the content root whole, minus the removed blocks, and says so', () => {
    const page = newsPage('www.news.example.com');
    const ex = extractHtml(page.html, page.url, withRules(rules));
    const t = texts(ex).join('\n');
    expect(t).toMatch(/^The harbour reopens\n.*the harbour.*\n.*the ferries/s);
    expect(t).not.toMatch(/Advertisement|Reader note|World|Example News/);
    expect(ex.segments.filter((s) => s.kind === 'image').map((s) => s.url)).toEqual(['https://www.news.example.com/img/harbour.jpg']);
    expect(ex.explain.rule).toBe('example news');
    expect(ex.explain.chosenBy).toBe('site rule "example news": content .story-text (1 element(s)), 1 block(s) removed');
  });

  it('leaves pages of other sites to the generic extractor, which names the region it scored', () => {
    const page = newsPage('other.example.org');
    const generic = extractHtml(page.html, page.url, extractDefaults);
    const ex = extractHtml(page.html, page.url, withRules(rules));
    expect(ex.segments).toEqual(generic.segments);
    expect(ex.explain.rule).toBeNull();
    expect(ex.explain.chosenBy).toMatch(/^scored region [^;]*<div\.[a-z-]+> \(value \d+, \d+ of \d+ weighted chars, \d+ blocks on the page\)/);
    expect(texts(ex).join(' ')).toMatch(/the harbour.*the ferries/s);
  });

  it('falls back to the generic extractor (minus the removed blocks) on a page where the content root is missing', () => {
    const page = newsPage('news.example.com');
    const ex = extractHtml(page.html, page.url, withRules([{ domain: 'example.com', content: '#no-such-root', remove: ['.ad-slot'] }]));
    expect(texts(ex).join(' ')).toMatch(/the harbour.*the ferries/s);
    expect(texts(ex).join(' ')).not.toMatch(/Advertisement/);
    expect(ex.explain.chosenBy).toMatch(/^site rule "example\.com": content selector #no-such-root matched nothing, 1 block\(s\) removed; then scored region/);
  });

  it('matches URL patterns with *', () => {
    const page = newsPage('news.example.com');
    const hit = extractHtml(page.html, page.url, withRules([{ url: 'https://news.example.com/2024/*', content: '.reader-box' }]));
    expect(texts(hit)).toEqual([expect.stringMatching(/^Reader note/)]);
    const miss = extractHtml(page.html, page.url, withRules([{ url: 'https://news.example.com/2023/*', content: '.reader-box' }]));
    expect(miss.explain.rule).toBeNull();
  });

  it('a bad selector, an unknown key or a rule without domain/url is a one-line config error, not a crash', () => {
    for (const [rule, msg] of [
      [{ domain: 'example.com', content: 'div[[' }, /extract\.siteRules\[0\]\.content: not a valid CSS selector .*div\[\[/],
      [{ domain: 'example.com', remove: ['p', '>>>'] }, /extract\.siteRules\[0\]\.remove\[1\]: not a valid CSS selector/],
      [{ domain: 'example.com', content: 'p', keep: 'x' }, /extract\.siteRules\[0\]\.keep: unknown key/],
      [{ content: 'p' }, /extract\.siteRules\[0\]: give either "domain" or "url"/],
    ] as const) {
      let err: Error | null = null;
      try {
        loadConfig(undefined, { extract: { siteRules: [rule] } });
      } catch (e) {
        err = e as Error;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect(err!.message).toMatch(msg);
      expect(err!.message.split('\n')).toHaveLength(1);
    }
  });
});

describe('repeated posts', () => {
  it('keeps every post of a thread whose user panels outweigh the posts beyond the first, without the panels', () => {
    const post = (n: number, body: string) => `<article class="message message--post js-post" id="post-${n}">
      <div class="message-cell message-cell--user"><a href="/members/u${n}">user${n}</a><dl><dt>Joined</dt><dd><a href="/j">Jan 2020</a></dd></dl>
        <ul><li><a href="/m/${n}">Member of the workshop builders club</a></li><li><a href="/b/${n}">Badges earned this year in projects</a></li>
        <li><a href="/t/${n}">Trophies for helpful answers given</a></li></ul></div>
      <div class="message-cell message-cell--main"><div class="message-content"><div class="bbWrapper">${body}</div></div>
      <div class="message-footer"><a href="/r/${n}">Like</a> <a href="/q/${n}">Quote</a> <a href="/p/${n}">Reply</a></div></div></article>`;
    const html = `<html><body><nav><a href="/">Forums</a> <a href="/new">New posts</a></nav><div class="block-body">
      ${post(1, para('a first workbench'))}
      ${post(2, para('a bench from pine') + '<p>Pine is soft.</p>')}${post(3, para('a vise for the bench') + '<p>Vises vary.</p>')}</div><footer>Terms</footer></body></html>`;
    const ex = extractHtml(html, 'https://forum.example.org/threads/1');
    const t = texts(ex).join('\n');
    expect(t).toMatch(/a first workbench.*a bench from pine.*Pine is soft.*a vise for the bench.*Vises vary/s);
    expect(t).not.toMatch(/Joined|Quote|New posts|Terms/);
    expect(ex.explain.chosenBy).toMatch(/^run of sibling posts in .*<div\.block-body> \(grown from the best-scoring block/);
    const off = extractHtml(html, 'https://forum.example.org/threads/1', { ...extractDefaults, repeatedPosts: false });
    // without it, one post: the best-scoring one
    expect(texts(off).join('\n').match(/This paragraph about/g)).toHaveLength(1);
  });
});

describe('JSON-LD articleBody hint', () => {
  const body = [para('the harbour'), para('the ferries'), para('the new quay')].join('');
  const plain = body.replace(/<[^>]+>/g, ' ');
  const page = (ld: string) => `<html><head><title>Harbour</title><script type="application/ld+json">${ld}</script></head><body>
    <div class="article-body">${body}<p>Also popular: seven recipes for midsummer picnics, ranked by our food desk this week.</p></div></body></html>`;

  it('drops kept runs that share almost no words with the articleBody of the same article', () => {
    const ld = JSON.stringify({ '@context': 'https://schema.org', '@graph': [{ '@type': 'NewsArticle', articleBody: plain }] });
    const ex = extractHtml(page(ld), 'https://news.example.com/a');
    expect(texts(ex)).toHaveLength(3);
    expect(texts(ex).join(' ')).not.toMatch(/midsummer/);
    expect(ex.explain.chosenBy).toMatch(/1 run\(s\) sharing almost no words with the page's JSON-LD articleBody dropped$/);
    const off = extractHtml(page(ld), 'https://news.example.com/a', { ...extractDefaults, articleBodyHint: false });
    expect(texts(off).join(' ')).toMatch(/midsummer/);
  });

  it('is never the source: a teaser body, another article or broken JSON leave the text as extracted', () => {
    const teaser = JSON.stringify({ articleBody: plain.slice(0, 120) });
    const other = JSON.stringify({ articleBody: 'Completely different words about football scores. '.repeat(30) });
    for (const ld of [teaser, other, '{"articleBody": "unterminated', '']) {
      const ex = extractHtml(page(ld), 'https://news.example.com/a');
      expect(texts(ex).join(' ')).toMatch(/the harbour.*the ferries.*the new quay.*midsummer/s);
    }
  });
});

describe('empty main content', () => {
  it('keeps everything that is not chrome when the main content comes out empty on a page with text', () => {
    // A table of short numbers scores below its own run costs; the page header (a lone heading) wins and
    // tidy removes it, which would leave nothing.
    const rows = Array.from({ length: 30 }, (_, r) => `<tr>${Array.from({ length: 5 }, (_, c) => `<td>${(r * 7 + c * 3) % 97}</td>`).join('')}</tr>`).join('');
    const html = `<html><body><nav><a href="/">Home</a></nav><div class="page-header"><h1>Scores</h1></div><table>${rows}</table></body></html>`;
    const ex = extractHtml(html, 'https://x.example.com/');
    expect(texts(ex).slice(0, 3)).toEqual(['Scores', '0 | 3 | 6 | 9 | 12', '7 | 10 | 13 | 16 | 19']);
    expect(texts(ex).join(' ')).not.toMatch(/Home/);
    expect(ex.explain.chosenBy).toMatch(/^main content came out empty \(the kept runs were only metadata or headings, removed by tidy\): mainContentOnly=false/);
    const off = extractHtml(html, 'https://x.example.com/', { ...extractDefaults, emptyFallbackChars: 0 });
    expect(off.segments).toEqual([]);
    expect(off.explain.empty).toBe('the kept runs were only metadata or headings, removed by tidy');
  });

  it('keeps the links of a listing whose every item is a link when all else comes out nearly empty', () => {
    const jobs = Array.from({ length: 25 }, (_, i) => `<li><a href="/jobs/${i}"><span>Senior engineer ${i}</span> <span>Remote, full time</span></a></li>`).join('');
    const html = `<html><body><nav><a href="/">Home</a> <a href="/about">About</a></nav><h2>All jobs</h2><div class="dot">・</div><ul class="jobs">${jobs}</ul><footer>(c) 2026</footer></body></html>`;
    const ex = extractHtml(html, 'https://jobs.example.com/');
    expect(texts(ex).join(' ')).toMatch(/Senior engineer 0.*Senior engineer 24/s);
    expect(texts(ex).join(' ')).not.toMatch(/About|\(c\) 2026/);
    expect(ex.explain.chosenBy).toMatch(/^main content came out empty .*: link lists kept: mainContentOnly=false/);
    const off = extractHtml(html, 'https://jobs.example.com/', { ...extractDefaults, emptyFallbackChars: 0 });
    expect(texts(off).join(' ')).not.toMatch(/Senior engineer/);
  });
});

describe('boilerplate names on layout columns', () => {
  it('reads a "sidebar"-named column holding a content-named body as content, and still drops real comments', () => {
    const html = `<html><body><header><nav><a href="/">Home</a> <a href="/tv">TV</a></nav></header><main class="site__content">
      <article class="content__sidebar content__sidebar--full"><div class="content__sidebar-main">
        <div class="rich-text article-body">${para('the radio host')}${para('the dance contest')}</div></div></article>
      <div class="comments-area"><div class="comment-content"><p>First! This comment is long enough to be a paragraph of its own, with commas, and words.</p></div></div>
      </main><div class="footer-menu"><h2>Sections</h2><ul><li><a href="/a">News</a></li></ul></div></body></html>`;
    const ex = extractHtml(html, 'https://celebs.example.com/2018/09/host');
    const t = texts(ex).join(' ');
    expect(t).toMatch(/the radio host.*the dance contest/s);
    expect(t).not.toMatch(/First!|Sections|Home/);
  });
});
