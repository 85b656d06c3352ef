/**
 * Markup that htmlparser2 reads as swallowing the rest of the page, where the page plainly meant
 * otherwise, repaired before the parse (extract/index.ts). Each repair looks for its pattern with a
 * plain substring search first, so pages without it pay nothing more.
 *   - `<![CDATA[` outside SVG/MathML: HTML reads it as a bogus comment that ends at the next `>`;
 *     htmlparser2 runs it to the next `]]>`, often the end of the page (a forum theme that prints
 *     `<![CDATA[` at the top of its <body> lost every post).
 *   - `<title>` never closed (truncated or mangled head): htmlparser2 reads the whole page as the title;
 *     the title is cut at its first line break or tag instead.
 */
const CDATA_OPEN = '<![CDATA[';
/** `<![CDATA[ ... >` up to the first `>`, as the HTML tokenizer ends a bogus comment. */
const CDATA_BOGUS = /<!\[CDATA\[[^>]*>/g;
const TITLE_OPEN = /<title(?:\s[^>]*)?>/i;
const TITLE_CLOSE = /<\/title\s*>/i;

export function repairMarkup(html: string): string {
  // Inside <script>/<style> the replacement only touches text the extractor skips; inside <svg> and
  // <math> (foreign content, where CDATA is real) the text is skipped too.
  if (html.includes(CDATA_OPEN)) html = html.replace(CDATA_BOGUS, '<!---->');
  const open = TITLE_OPEN.exec(html);
  if (open && !TITLE_CLOSE.test(html)) {
    const from = open.index + open[0].length;
    let to = html.length;
    const nl = html.indexOf('\n', from);
    if (nl >= 0) to = nl;
    const lt = html.indexOf('<', from);
    if (lt >= 0 && lt < to) to = lt;
    html = `${html.slice(0, to)}</title>${html.slice(to)}`;
  }
  return html;
}
