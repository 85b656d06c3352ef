import { readFileSync, readdirSync } from 'node:fs';
import { extractHtml } from './stages/extract/index.ts';
const dir = '/work/shared/corpus/html';
const pages: string[] = [];
for (const set of ['readability', 'newspaper4k', 'magic-html'])
  for (const f of readdirSync(`${dir}/${set}`)) if (f.endsWith('.html') && !f.includes('expected')) pages.push(readFileSync(`${dir}/${set}/${f}`, 'utf8'));
for (let r = 0; r < 4; r++) for (const p of pages) extractHtml(p, 'http://fakehost/test/page.html');
