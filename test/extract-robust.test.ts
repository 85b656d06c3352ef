/**
 * extractHtml never throws: fast-check grows HTML out of the pieces that break tree builders
 * (unclosed, misnested and stray closing tags, <figure>/<picture> without <img>, nested <picture>,
 * deep nesting, huge attributes, broken srcsets, binary junk) and mutates real pages from
 * ../shared/corpus/html (cuts, deleted and duplicated ranges, tags spliced in). Every outcome is a
 * document whose segments are well formed, or a clean reject (no_text) from the stage.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { extractHtml, extractStage } from '../stages/extract/index.ts';
import type { RawPage } from '../schemas/doc.ts';
import { testContext } from './helpers/context.ts';
import { FIXTURES as CORPUS } from './helpers/fixtures.ts';

const TAGS = [
  'picture', 'figure', 'figcaption', 'img', 'source', 'p', 'div', 'a', 'span', 'noscript', 'pre', 'table', 'tr', 'td',
  'th', 'ul', 'li', 'title', 'script', 'style', 'svg', 'br', 'hr', 'h1', 'h2', 'article', 'main', 'nav', 'aside',
  'header', 'footer', 'form', 'html', 'body', 'head', 'template', 'x-widget', 'amp-img', 'meta', 'base', 'link',
  'textarea', 'select', 'option', 'math', 'iframe', 'plaintext', 'xmp', 'listing', 'frameset', 'b', 'i',
];

const attrValue = fc.oneof(
  fc.constantFrom('a.jpg', '/img/b.png 2x, c.png 1x', 'x.jpg 100w, , y.jpg 9999999999999w', 'data:image/gif;base64,R0lG',
    'javascript:void(0)', 'http://[::1', '//cdn.example/%E0%A4%A.jpg', 'comments sidebar', 'article-body', 'display:none',
    'true', 'ImageObject', 'https://e.example/pic.webp', '', ' '),
  fc.string({ maxLength: 40 }),
  fc.nat(200_000).map((n) => 'x'.repeat(n)), // huge attribute values
);
const attrName = fc.constantFrom('src', 'srcset', 'data-src', 'data-srcset', 'class', 'id', 'style', 'href', 'alt', 'width',
  'height', 'hidden', 'aria-hidden', 'role', 'itemprop', 'itemtype', 'itemid', 'lang', 'rel', 'content', 'property', 'media');
const attrs = fc.array(fc.tuple(attrName, attrValue), { maxLength: 4 }).map((as) =>
  as.map(([k, v]) => ` ${k}="${v.replace(/"/g, '&quot;')}"`).join(''));

const token = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...TAGS), attrs).map(([t, a]) => `<${t}${a}>`) },
  { weight: 3, arbitrary: fc.constantFrom(...TAGS).map((t) => `</${t}>`) }, // closing tags, stray or misnested
  { weight: 3, arbitrary: fc.constantFrom('Some words here. ', 'Ünïcödé 中文字符 テキスト، عربي. ', '&amp;&nbsp;&#x1F600;&bogus;&#0;', '  \n\t ') },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')) }, // binary junk
  { weight: 1, arbitrary: fc.constantFrom('<!--', '-->', '<![CDATA[', ']]>', '<', '>', '<!DOCTYPE html>', '<?xml?>', '</', '<a', '="') },
);

const generated = fc.array(token, { maxLength: 80 }).map((ts) => ts.join(''));

/** Deep nesting of one or two tags, closed or left open. */
const deep = fc.record({
  tags: fc.array(fc.constantFrom('div', 'picture', 'figure', 'a', 'li', 'span', 'noscript', 'p', 'x-y'), { minLength: 1, maxLength: 2 }),
  depth: fc.integer({ min: 1, max: 3000 }),
  close: fc.boolean(),
}).map(({ tags, depth, close }) => {
  const open = Array.from({ length: depth }, (_, i) => `<${tags[i % tags.length]}>`).join('');
  const shut = close ? Array.from({ length: depth }, (_, i) => `</${tags[(depth - 1 - i) % tags.length]}>`).join('') : '';
  return `${open}<img src="d.jpg">text<picture><source srcset="s.jpg">${shut}`;
});

function realPages(): string[] {
  const dir = join(CORPUS, 'html');
  const pick = ['readability/001.html', 'newspaper4k/cnn.html', 'magic-html/forum.html'];
  const out: string[] = [];
  for (const p of pick) {
    try {
      out.push(readFileSync(join(dir, p), 'utf8'));
    } catch {
      /* a page the corpus no longer has */
    }
  }
  const manifest = readFileSync(join(dir, 'DEVSETS-MANIFEST.tsv'), 'utf8').split('\n').slice(1).filter(Boolean);
  // A few pages of each set of the manifest (the first rows of each, fixed so failures reproduce;
  // test/fixtures has the permissively licensed sets only).
  const perSet = new Map<string, number>();
  for (const row of manifest) {
    const [set, stem] = row.split('\t');
    if ((perSet.get(set!) ?? 0) >= 3) continue;
    perSet.set(set!, (perSet.get(set!) ?? 0) + 1);
    out.push(gunzipSync(readFileSync(join(dir, set!, `${stem}.html.gz`))).toString('latin1'));
  }
  return out;
}

const PAGES = realPages();

const mutated = fc.record({
  page: fc.nat(PAGES.length - 1),
  edits: fc.array(
    fc.record({
      kind: fc.constantFrom('cut', 'delete', 'duplicate', 'insert'),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      len: fc.nat(5000),
      tokens: fc.array(token, { maxLength: 6 }),
    }),
    { minLength: 1, maxLength: 5 },
  ),
}).map(({ page, edits }) => {
  let s = PAGES[page]!;
  for (const e of edits) {
    const i = Math.floor(e.at * s.length);
    if (e.kind === 'cut') s = s.slice(0, i);
    else if (e.kind === 'delete') s = s.slice(0, i) + s.slice(i + e.len);
    else if (e.kind === 'duplicate') s = s.slice(0, i + e.len) + s.slice(i, i + e.len) + s.slice(i + e.len);
    else s = s.slice(0, i) + e.tokens.join('') + s.slice(i);
  }
  return s;
});

/** extractHtml's answer is well formed; through the stage, a page is a document or a no_text reject. */
async function check(html: string): Promise<void> {
  const ex = extractHtml(html, 'https://example.org/a/page.html');
  for (const s of ex.segments) {
    if (s.kind === 'text') expect(s.text!.trim().length).toBeGreaterThan(0);
    else expect(s.url).toMatch(/^https?:\/\//);
  }
  expect(Number.isFinite(ex.contentChars) && Number.isFinite(ex.pageChars)).toBe(true);
  const page: RawPage = {
    url: 'https://example.org/a/page.html', fetchedAt: null, status: 200, headers: {}, html, charset: 'utf-8',
    charsetSource: 'default', bytes: html.length, source: { file: 'f', offset: 0, recordId: null, recordType: 'response' },
  };
  const ctx = testContext();
  const docs = [];
  for await (const d of extractStage.transform([page] as unknown as AsyncIterable<RawPage>, ctx)) docs.push(d);
  expect(docs.length + ctx.rejects.length).toBe(1);
  for (const r of ctx.rejects) expect(r.reason).toBe('no_text');
  for (const d of docs) expect(d.segments.length).toBeGreaterThan(0);
}

describe('extractHtml never throws', async () => {
  it('on nested and stray <picture>/<figure> (the tree.ts onclosetag crash)', async () => {
    for (const html of [
      '<picture><picture><img src=a.jpg></picture></picture>',
      '<picture><p><picture></p></picture>',
      '</picture></figure><p>text</p></picture>',
      '<figure><picture><source srcset="a.jpg"></figure></picture>',
      '<figure itemscope itemtype="https://schema.org/ImageObject" itemid="/x.jpg"><figcaption>c</figcaption>',
    ]) await check(html);
    // A <picture> nested in another is one picture: one image, with both pictures' candidates.
    const segs = extractHtml('<p>Before.</p><picture><source srcset="big.jpg 1200w"><picture><img src="a.jpg"></picture></picture><p>After.</p>', 'https://e.example/').segments;
    expect(segs.filter((s) => s.kind === 'image').map((s) => s.url)).toEqual(['https://e.example/big.jpg']);
  });

  it('on generated markup: stray, misnested and unclosed tags, huge attributes, binary junk', async () => {
    await fc.assert(fc.asyncProperty(generated, (html) => check(html)), { numRuns: 400 });
  });

  it('on deep nesting, closed or left open', async () => {
    await fc.assert(fc.asyncProperty(deep, (html) => check(html)), { numRuns: 60 });
  });

  it('on mutated real pages (cut, deleted and duplicated ranges, tags spliced in)', async () => {
    expect(PAGES.length).toBeGreaterThan(10);
    await fc.assert(fc.asyncProperty(mutated, (html) => check(html)), { numRuns: 120 });
  });
});
