/**
 * Extraction choices that do not come from the scorer: markup repaired before the parse (repair.ts),
 * per-site rules (`extract.siteRules`, siterules.ts) and what `explain` says chose the content.
 * Every page here is generated HTML.
 */
import { describe, expect, it } from 'vitest';
import { extractDefaults, extractHtml, type ExtractConfig } from '../stages/extract/index.ts';
import { repairMarkup } from '../stages/extract/repair.ts';

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
  });
});
