/**
 * Repeated sibling structure: a forum thread is a run of posts built alike (`article.message`,
 * `div.post`, `table.tborder`), a Q&A page a run of answers. The scorer in content.ts picks the single
 * best block, which on such a page is one post; when that block sits in a run of siblings with the
 * same tag and class words, and the others read like content too, the run's container is the content
 * (its chrome, user panels and link lists are pruned inside it as in any region).
 */
import type { Block, PageTree } from './tree.ts';

/** How many levels above the chosen block a post boundary is looked for (content → cell → post). */
const MAX_UP = 5;

/** Tag and class words without digits (ids and numbered classes differ from post to post). */
function signature(b: Block): string {
  if (!b.cls) return b.tag;
  const words = b.cls.split(/\s+/).filter((w) => w && !/\d/.test(w));
  return words.length ? `${b.tag}.${words.sort().join('.')}` : b.tag;
}

/**
 * The container of the run of posts the region belongs to, or null. `value` and `strong` are
 * content.ts's per-block content value and boilerplate flag.
 */
export function repeatedContainer(tree: PageTree, region: Block, value: Float64Array, strong: Uint8Array): Block | null {
  const { blocks } = tree;
  const regionValue = value[region.index]!;
  for (let c = region, up = 0; c.parent && c.parent.tag !== '#root' && up < MAX_UP; c = c.parent, up++) {
    const p = c.parent;
    if (strong[p.index] || p.childBlocks < 2) continue;
    const sig = signature(c);
    let same = 0;
    let positive = 0;
    let otherValue = 0;
    // p's subtree is the blocks after it (document order) until one whose parent comes before p.
    for (let j = p.index + 1; j < blocks.length && blocks[j]!.parent!.index >= p.index; j++) {
      const b = blocks[j]!;
      if (b.parent !== p || b === c || strong[j] || signature(b) !== sig) continue;
      same++;
      if (value[j]! > 0) {
        positive++;
        otherValue += value[j]!;
      }
    }
    if (same === 0) continue;
    // The others are posts too: most read like content and together weigh like the chosen one.
    if (positive >= MIN_OTHERS && positive >= 0.5 * same && otherValue >= OTHER_SHARE * regionValue) return p;
    // A run of siblings that are not content (teasers, link cards): the region is no post of a thread.
    if (same >= MIN_OTHERS) return null;
  }
  return null;
}

/** At least this many other posts, holding this share of the chosen post's value. */
const MIN_OTHERS = 1;
const OTHER_SHARE = 0.5;
