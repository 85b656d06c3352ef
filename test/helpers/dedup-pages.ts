/**
 * Pages for the global dedup tests: real article paragraphs (the readability fixtures, extracted),
 * edited copies, and HTML files dated by their mtime (the fetch time dedup keeps the latest of).
 */
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractHtml } from '../../stages/extract/index.ts';
import { FIXTURES } from './fixtures.ts';

/** The text paragraphs our extractor keeps from a readability fixture page. */
export function paragraphs(stem: string): string[] {
  const html = readFileSync(join(FIXTURES, 'html/readability', `${stem}.html`), 'utf8');
  return extractHtml(html, 'http://fakehost/test/page.html').segments.flatMap((s) => (s.kind === 'text' && s.text ? [s.text] : []));
}

/** Replace about `fraction` of the words, deterministically. */
export function edit(paras: string[], fraction: number, seed: number): string[] {
  let s = seed;
  return paras.map((p) =>
    p.replace(/\S+/g, (w) => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s / 2 ** 32 < fraction ? 'changed' : w;
    }),
  );
}

const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** `<dir>/<name>.html` with a canonical URL and one <p> per paragraph, its mtime set to `date`. */
export function writePage(dir: string, name: string, url: string, date: string, paras: string[]): void {
  const file = join(dir, `${name}.html`);
  const body = paras.map((p) => `<p>${esc(p)}</p>`).join('\n');
  writeFileSync(file, `<!doctype html><html><head><title>${name}</title><link rel="canonical" href="${url}"></head><body>${body}</body></html>`);
  const t = new Date(date);
  utimesSync(file, t, t);
}
