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
const TITLE_OPEN = /<title(?:\s[^>]*)?>/i;
const TITLE_CLOSE = /<\/title\s*>/i;

/** Is position i inside a <script> (lower-case tags; an upper-case one is repaired harmlessly: its text is skipped)? */
function inScript(html: string, i: number): boolean {
  return html.lastIndexOf('<script', i) > html.lastIndexOf('</script', i);
}

export function repairMarkup(html: string): string {
  // Most pages have CDATA only inside <script> (`//<![CDATA[`), which the parser reads as script text:
  // only an occurrence outside one is rewritten, to what HTML makes of it (a comment up to the next '>').
  // Inside <svg>/<math> (foreign content, where CDATA is real) the text is skipped anyway.
  let at = html.indexOf(CDATA_OPEN);
  if (at >= 0) {
    const parts: string[] = [];
    let from = 0;
    for (; at >= 0; at = html.indexOf(CDATA_OPEN, at + CDATA_OPEN.length)) {
      if (inScript(html, at)) continue;
      const gt = html.indexOf('>', at + CDATA_OPEN.length);
      const end = gt < 0 ? html.length : gt + 1;
      parts.push(html.slice(from, at), '<!---->');
      from = end;
      at = end - CDATA_OPEN.length;
    }
    if (parts.length) html = parts.join('') + html.slice(from);
  }
  let t = html.indexOf('<title');
  if (t < 0) t = html.search(TITLE_OPEN);
  if (t >= 0 && html.indexOf('</title>', t) < 0 && !TITLE_CLOSE.test(html)) {
    const open = TITLE_OPEN.exec(html.slice(t, t + 2000));
    if (open) {
      const from = t + open.index + open[0].length;
      let to = html.length;
      const nl = html.indexOf('\n', from);
      if (nl >= 0) to = nl;
      const lt = html.indexOf('<', from);
      if (lt >= 0 && lt < to) to = lt;
      html = `${html.slice(0, to)}</title>${html.slice(to)}`;
    }
  }
  return html;
}
