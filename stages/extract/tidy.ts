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
 * Before the first paragraph of prose, the region often holds a dateline or byline ("Submitted on
 * Mon, 2019-01-21 13:49"): drop short lines with a date or time in them. With `dropTitle`, a heading
 * that repeats the page title goes too (the document has it as `title`).
 */
export function dropLeadingMetadata(segments: Segment[], title: string | null, dropTitle: boolean): Segment[] {
  const isDateline = (s: Segment) =>
    s.kind === 'text' && !HEADING.test(s.tag ?? '') && (s.text ?? '').length <= 100 &&
    DATE_OR_TIME.test(s.text ?? '') && !/[.!?。！？]$/.test(s.text ?? '');
  // Only before a paragraph of prose: a page that is nothing but such a line keeps it.
  const prose = segments.findIndex((s) => s.kind === 'text' && !HEADING.test(s.tag ?? '') && !isDateline(s));
  if (prose < 0) return segments;
  return segments.filter(
    (s, i) => i >= prose || !(isDateline(s) || (dropTitle && HEADING.test(s.tag ?? '') && repeatsTitle(s.text ?? '', title))),
  );
}
