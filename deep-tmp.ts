import { buildTree } from './stages/extract/tree.ts';
import { saxParse } from './stages/extract/parse.ts';
const n = 100_000;
const deep = '<div>'.repeat(n) + 'deep text' + '</div>'.repeat(n);
const flat = '<div>x</div>'.repeat(n);
for (const [name, html] of [['deep', deep], ['flat', flat]] as const)
for (let r = 0; r < 3; r++) {
  let t = performance.now(); buildTree(html, 'https://x/'); const a = performance.now() - t;
  t = performance.now(); saxParse(html, { onopentag() {}, onclosetag() {}, ontext() {} }); const b = performance.now() - t;
  console.log(name, 'tree', a.toFixed(0), 'sax', b.toFixed(0));
}
