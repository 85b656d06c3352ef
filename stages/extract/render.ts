/**
 * A document's segments as plain text or Markdown (what `corpus extract` prints). Blocks are separated
 * by a blank line, as paragraphs are in plain text; the items of one list and the rows of one table
 * stay on consecutive lines.
 */
import type { Segment } from '../../schemas/doc.ts';

const HEADING = /^h([1-6])$/;

/** Tags whose consecutive segments are lines of one block (list items, table rows). */
const LINE_TAGS = new Set(['li', 'tr', 'dt', 'dd']);

/** The text segments joined: a blank line between blocks, one newline inside a list or table. */
export function plainText(segments: Segment[]): string {
  let out = '';
  let prevTag: string | null = null;
  for (const s of segments) {
    if (s.kind !== 'text' || !s.text) {
      prevTag = null;
      continue;
    }
    const tag = s.tag ?? 'p';
    if (out) out += prevTag !== null && LINE_TAGS.has(tag) && LINE_TAGS.has(prevTag) ? '\n' : '\n\n';
    out += s.text;
    prevTag = tag;
  }
  return out;
}

/** Markdown: the title as `#`, headings one level below it, list items as `-`, images as `![alt](url)`. */
export function markdown(title: string | null, url: string | null, segments: Segment[]): string {
  const out = [`# ${title ?? url ?? ''}`];
  if (url) out.push(`<${url}>`);
  out.push('');
  let prevTag: string | null = null;
  for (const s of segments) {
    const tag = s.kind === 'image' ? 'img' : (s.tag ?? 'p');
    // A list ends with a blank line before whatever follows it.
    if (prevTag === 'li' && tag !== 'li') out.push('');
    if (s.kind === 'image') out.push(`![${s.alt ?? ''}](${s.url})`, '');
    else {
      const h = HEADING.exec(tag);
      if (h) out.push(`${'#'.repeat(Math.min(6, Number(h[1]) + 1))} ${s.text}`, '');
      else if (tag === 'li') out.push(`- ${s.text}`);
      else out.push(s.text ?? '', '');
    }
    prevTag = tag;
  }
  return out.join('\n').trimEnd() + '\n';
}
