import { readFileSync } from 'node:fs';
import { buildTree, type Block } from './stages/extract/tree.ts';
const [file, needle] = process.argv.slice(2);
const tree = buildTree(readFileSync(file!, 'utf8'), 'http://fakehost/test/page.html');
const path = (b: Block | null): string => { const p: string[] = []; for (; b; b = b.parent) p.push(`${b.tag}${b.hint ? `(${b.hint})` : ''}${b.chrome ? '!' : ''}`); return p.reverse().join(' > '); };
let shown = 0;
for (const it of tree.items) {
  if (it.kind !== 'text' || (needle ? !it.text.includes(needle) : it.len < 200)) continue;
  console.log(it.len, it.link.toFixed(0), path(it.block), '::', it.text.slice(0, 80));
  if (++shown > 12) break;
}
