/**
 * Last touches on the segment list of a document: what the region contains but a reader would not
 * keep as text of the document.
 */
import type { Segment } from '../../schemas/doc.ts';

const HEADING = /^h([1-6])$/;

/**
 * A heading introduces what follows it: drop headings left with nothing under them (the heading of a
 * pruned "Related stories" list, a trailing "Comments").
 */
export function dropOrphanHeadings(segments: Segment[]): Segment[] {
  const out: Segment[] = [];
  let nextLevel = 0; // heading level of the next kept segment; 7 = content, 0 = end of document
  for (let i = segments.length - 1; i >= 0; i--) {
    const s = segments[i]!;
    const m = s.kind === 'text' ? HEADING.exec(s.tag ?? '') : null;
    if (m) {
      const level = Number(m[1]);
      if (nextLevel === 0 || nextLevel <= level) continue;
      nextLevel = level;
    } else nextLevel = 7;
    out.push(s);
  }
  return out.reverse();
}

const norm = (s: string) => s.toLowerCase().replace(/[\s\p{P}\p{S}]+/gu, '');

/** Does a heading repeat the page title ("Headline" in "Headline | Site")? */
export function repeatsTitle(heading: string, title: string | null): boolean {
  if (!title) return false;
  const h = norm(heading);
  const t = norm(title);
  if (!h || !t) return false;
  return (t.includes(h) && h.length >= Math.min(15, t.length)) || (h.includes(t) && t.length >= 15);
}

/** A date or a time: digits in any script's date formats (2019-01-21, 21.01.2019, 28 ... 2013, 13:49). */
const DATE_OR_TIME =
  /\d{1,2}:\d{2}|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|(?:^|\D)(?:19|20)\d{2}(?:\D|$)|\d{4}年|\d{1,2}月\d{1,2}日/;

/**
 * Before the first paragraph of prose, the region often holds the title again (the document has it
 * as `title`), and a dateline or byline ("Submitted on Mon, 2019-01-21 13:49"). Drop those: short
 * lines with a date or time in them, and a heading that repeats the page title.
 */
export function dropLeadingMetadata(segments: Segment[], title: string | null): Segment[] {
  let start = 0;
  for (; start < segments.length; start++) {
    const s = segments[start]!;
    if (s.kind !== 'text') continue;
    const text = s.text ?? '';
    if (HEADING.test(s.tag ?? '')) {
      if (repeatsTitle(text, title)) continue;
      break;
    }
    if (text.length <= 100 && DATE_OR_TIME.test(text)) continue;
    break;
  }
  if (start === 0) return segments;
  // Images before the first paragraph stay (a lead image); only the text lines go.
  return [...segments.slice(0, start).filter((s) => s.kind === 'image'), ...segments.slice(start)];
}
