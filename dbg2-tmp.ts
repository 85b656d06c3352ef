import { readFileSync } from 'node:fs';
import { buildTree, type Block } from './stages/extract/tree.ts';
import { selectContent } from './stages/extract/content.ts';
import { extractDefaults } from './stages/extract/index.ts';
const [file] = process.argv.slice(2);
const tree = buildTree(readFileSync(file!, 'utf8'), 'http://fakehost/test/page.html');
const sel = selectContent(tree, extractDefaults);
// best block before climbing: recompute
let best = 0; for (let i = 0; i < tree.blocks.length; i++) if (sel.value[i]! > sel.value[best]!) best = i;
for (let b: Block | null = tree.blocks[best]!; b; b = b.parent)
  console.log(b.index, b.tag, b.hint, b.chrome ? 'chrome' : '', 'value', sel.value[b.index]!.toFixed(0), 'text', sel.text[b.index]!.toFixed(0), b === sel.region ? '<== region' : '');
