/**
 * Main-content detection over the block tree (tree.ts).
 *
 * Every text run gets a value: its length when it reads like content, minus twice its link text (menus,
 * link lists and teaser rails are mostly links), minus a small cost per run (chrome is made of many
 * tiny pieces); a run inside page chrome or a boilerplate-named block (comments, sidebar, share,
 * related ...) counts its whole length against. The main region is the block whose subtree has the
 * largest total value: it grows over neighbouring content and stops where boilerplate would cost more
 * than the content it adds (the maximum-subtree idea behind body-text extraction, BTE, on the DOM
 * instead of a token stream). Inside that region, blocks that are chrome, boilerplate-named or made of
 * links are pruned, and so are link-only lines. Images keep their place among the kept runs.
 */
import type { Block, PageTree } from './tree.ts';
import { runFeatures, runProbabilities, shippedRunModel } from './runmodel.ts';
import { repeatedContainer } from './repeated.ts';
import { chooseRegion, shippedRegionModel } from './regionmodel.ts';

export interface ContentOptions {
  /** Weight of link text against a text run when scoring content. */
  linkPenalty: number;
  /** Cost of each text run (characters) when scoring content: chrome is made of many tiny pieces. */
  runCost: number;
  /** Inside the content, a line whose link text exceeds this share is navigation ("Read more", tags). */
  maxRunLinkDensity: number;
  /** Inside the content, a block with a negative score and link density above this is pruned. */
  maxBlockLinkDensity: number;
  /** In a block pruned as a link list (an infobox, a table of places), images whose declared larger
   * side is at least this many px stay: they are pictures, not link decoration. */
  minLinkBlockImageSide: number;
  /** Boilerplate text (chrome, comments, share bars ...) counts this much per character against the
   * blocks around it (it is pruned from the output anyway). */
  boilerplatePenalty: number;
  /** Let the learned run classifier (runmodel.ts, weights in run-model.json) decide which text runs
   * are kept, reading the rules' choice as one of its features; false: the rules alone. */
  runModel: boolean;
  /** When the chosen region is one of several sibling blocks built alike (the posts of a forum thread,
   * the answers of a Q&A page) that read like content too, take their container (repeated.ts). */
  repeatedPosts: boolean;
  /** A block named as the content (class/id words, `<article>`, `<main>`) scores its value times this
   * when the region is chosen: an article body wins over a wrapper that adds comments or teasers. */
  contentNameBonus: number;
  /** Let the learned region model (regionmodel.ts, trees in region-model.json) move the region to
   * another candidate block when it predicts a clearly better page; false: the best-valued block. */
  regionModel: boolean;
}

export interface ContentSelection {
  /** The block chosen as the main region. */
  region: Block;
  /** Kept items lie in items[first..end): the region's, or from its headline's just before it. */
  first: number;
  end: number;
  /** keep[i]: item i is part of the main content. */
  keep: Uint8Array;
  /** Text length (weighted) of the page and of what was kept. */
  pageChars: number;
  keptChars: number;
  /** Per block (by index): weighted text, link text and content value of its subtree. */
  text: Float64Array;
  link: Float64Array;
  value: Float64Array;
  /** Per block: boilerplate (chrome or a boilerplate name, or inside one). */
  strong: Uint8Array;
  /** Content value of the chosen region (<= 0: nothing on the page read like content). */
  regionValue: number;
  /** The best-scoring block when the region grew from it to its run of sibling posts (repeated.ts), else null. */
  post: Block | null;
  /** The best-valued block (the rules' region before the region model and the run of posts). */
  ruleRegion: Block;
  /** Per block: text of the largest content-named block in its subtree. */
  positiveText: Float64Array;
  /** The run classifier: 'applied', 'declined' (it kept too little of what the rules kept), 'off'. */
  model: 'applied' | 'declined' | 'off';
}

/**
 * A boilerplate-named or chrome block stops counting as boilerplate when it plainly is the page:
 * it holds this share of all text (wrappers such as `<form id="aspnetForm">` or `#page.has-sidebar`).
 */
const WRAPPER_SHARE = 0.75;

const HEADING = /^h[1-6]$/;

/** Guard, not tuned (the issue's "no empty document for 200 characters of gold"): weighted characters
 * a region chosen by the region model must keep, else the rules' region stands. */
const MODEL_MIN_KEPT = 200;

/** Guard, not tuned: the model's keep must hold at least this share of the rules' kept text. */
const MODEL_MIN_SHARE = 0.25;

/**
 * `forceRegion`: use this block as the region instead of searching for the best one (no headline, no
 * run model). `startRegion`: take this block instead of the best-valued one, the rest as usual (to
 * score a candidate when fitting the region model).
 */
export function selectContent(tree: PageTree, opt: ContentOptions, forceRegion?: Block, startRegion?: Block): ContentSelection {
  const { blocks, items } = tree;
  const n = blocks.length;
  const text = new Float64Array(n); // weighted text length in the subtree
  const link = new Float64Array(n);
  const value = new Float64Array(n);
  const strongPositive = new Uint8Array(n); // subtree holds a declared main landmark
  const positiveText = new Float64Array(n); // text of the largest content-named block in the subtree
  const namedText = new Float64Array(n); // the same, counting class/id/role names only (not the tags)

  for (const it of items) {
    if (it.kind !== 'text') continue;
    text[it.block.index]! += it.len;
    link[it.block.index]! += it.link;
  }
  for (let i = n - 1; i > 0; i--) {
    const b = blocks[i]!;
    const p = b.parent!.index;
    text[p]! += text[i]!;
    link[p]! += link[i]!;
    if (b.hint >= 2 || b.tag === 'main' || strongPositive[i]) strongPositive[p] = 1;
    if (b.hint > 0 || b.tag === 'article' || b.tag === 'main') positiveText[i] = Math.max(positiveText[i]!, text[i]!);
    positiveText[p] = Math.max(positiveText[p]!, positiveText[i]!);
    if (b.hint > 0) namedText[i] = Math.max(namedText[i]!, text[i]!);
    namedText[p] = Math.max(namedText[p]!, namedText[i]!);
  }
  const pageChars = text[0]!;

  // Boilerplate, top-down. Strong: page chrome (nav, aside, footer ...) and names that are never the
  // content (comments, share, related ...); it and everything inside it is boilerplate. Weak: names
  // that only make a block suspect (widget, meta, banner, <form>); such a block is pruned unless it
  // reads as content. Neither applies to a block that wraps the whole page or holds the declared main
  // content, and a weak one yields to a content-named block holding most of it ("date-outer" around
  // "post hentry").
  const strong = new Uint8Array(n);
  const weakSelf = new Uint8Array(n);
  for (let i = 1; i < n; i++) {
    const b = blocks[i]!;
    let level = b.hint <= -2 || (b.chrome && b.tag !== 'form') ? 2 : b.hint === -1 || b.chrome ? 1 : 0;
    if (level && (strongPositive[i] || text[i]! >= WRAPPER_SHARE * pageChars)) level = 0;
    // A boilerplate name around a block named as the content that holds most of its text is a layout
    // column ("content__sidebar" around "article-body"): only suspect, like a weak name.
    if (level === 2 && !b.chrome && text[i]! > 0 && namedText[i]! >= 0.5 * text[i]!) level = 1;
    if (level === 1 && text[i]! > 0 && positiveText[i]! >= 0.5 * text[i]!) level = 0;
    strong[i] = strong[b.parent!.index]! || (level === 2 ? 1 : 0);
    weakSelf[i] = level === 1 ? 1 : 0;
  }

  // Boilerplate text counts only a little against the blocks around it: it is pruned from the
  // output anyway, and it must not sink an article body that embeds a share bar or a gallery widget.
  for (const it of items) {
    if (it.kind !== 'text') continue;
    const i = it.block.index;
    value[i]! += strong[i] ? -opt.boilerplatePenalty * it.len : it.len - opt.linkPenalty * it.link - opt.runCost;
  }
  for (let i = n - 1; i > 0; i--) value[blocks[i]!.parent!.index]! += value[i]!;

  // The region: the block with the best value outside boilerplate; declared content containers get
  // a small edge over an ancestor that adds little.
  let region = blocks[0]!;
  let best = -Infinity;
  for (let i = 0; i < n; i++) {
    if (strong[i]) continue;
    const b = blocks[i]!;
    const bonus = b.hint > 0 || b.tag === 'article' || b.tag === 'main' ? opt.contentNameBonus : 1;
    const s = value[i]! * (value[i]! > 0 ? bonus : 1);
    if (s > best) {
      best = s;
      region = b;
    }
  }
  if (best <= 0) region = blocks[0]!; // nothing reads like content: keep whatever is not chrome
  const ruleRegion = region;
  let fromModel = false;
  if (best > 0 && !forceRegion) {
    if (startRegion) region = startRegion;
    else if (opt.regionModel) {
      const m = shippedRegionModel();
      const alt = m ? chooseRegion(m, tree, { text, link, value, strong, positiveText }, region) : null;
      if (alt) {
        region = alt;
        fromModel = true;
      }
    }
  }
  let post: Block | null = null; // the block the region was before it grew to the run of posts
  if (best > 0 && !forceRegion && opt.repeatedPosts) {
    const container = repeatedContainer(tree, region, value, strong);
    if (container) {
      post = region;
      region = container;
    }
  }
  if (forceRegion) region = forceRegion;

  // Prune inside the region, top-down.
  const keepBlock = new Uint8Array(n);
  keepBlock[region.index] = 1;
  // 1 = kept; 2 = its text is link lists (an infobox, a gallery table) but its large images are
  // content; 0 = pruned.
  for (let i = region.index + 1; i < n; i++) {
    const b = blocks[i]!;
    const parentKeep = keepBlock[b.parent!.index]!;
    if (!parentKeep) continue;
    const ld = text[i]! > 0 ? link[i]! / text[i]! : 0;
    if ((strong[i] && !strong[region.index]) || (weakSelf[i] && value[i]! <= 0)) keepBlock[i] = 0;
    // A heading that is a link (a listing's item titles) is no menu: it goes only with its block.
    else if (value[i]! < 0 && ld > opt.maxBlockLinkDensity && !HEADING.test(b.tag)) keepBlock[i] = 2;
    else keepBlock[i] = parentKeep;
  }

  const keep = new Uint8Array(items.length);
  let keptChars = 0;
  // The headline often sits just before the region (a header beside the article body): walking back
  // over a standfirst, a byline or a lead image, a h1/h2 found within a few items joins the content.
  let first = region.first;
  if (!forceRegion && best > 0) {
    for (let i = region.first - 1, steps = 0; i >= 0 && steps < 6; i--, steps++) {
      const it = items[i]!;
      if (strong[it.block.index]) break;
      if (it.kind === 'image') continue;
      if (/^h[12]$/.test(it.block.tag)) {
        first = i;
        break;
      }
      if (it.len > 300 || it.link > opt.maxRunLinkDensity * it.len) break;
    }
    for (let i = first; i < region.first; i++) {
      const it = items[i]!;
      if (it.kind === 'text' && it.link > opt.maxRunLinkDensity * it.len && !HEADING.test(it.block.tag)) continue;
      keep[i] = 1;
      if (it.kind === 'text') keptChars += it.len;
    }
  }
  for (let i = region.first; i < region.end; i++) {
    const it = items[i]!;
    const kb = keepBlock[it.block.index];
    if (!kb) continue;
    if (kb === 2 && (it.kind === 'text' || Math.max(it.width ?? 0, it.height ?? 0) < opt.minLinkBlockImageSide)) continue;
    if (it.kind === 'text') {
      const heading = HEADING.test(it.block.tag);
      if (!heading && it.link > opt.maxRunLinkDensity * it.len) continue;
      keptChars += it.len;
    }
    keep[i] = 1;
  }
  let end = region.end;
  const model = opt.runModel && !forceRegion ? shippedRunModel() : null;
  let modelState: ContentSelection['model'] = 'off';
  if (model) {
    // The classifier overrules the rules on text runs where it is sure; images stay where the rules put them.
    const p = runProbabilities(model, runFeatures(tree, { text, link, strong, keep, region }), items.length);
    let modelChars = 0;
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (it.kind === 'text' && p[i]! >= (keep[i] ? model.dropBelow : model.addAbove)) modelChars += it.len;
    }
    // A model that keeps almost nothing of what the rules kept has missed the body (short pages,
    // unusual markup): the rules' choice stands.
    modelState = modelChars >= MODEL_MIN_SHARE * keptChars ? 'applied' : 'declined';
    if (modelState === 'applied') applyModel(p, model.dropBelow, model.addAbove);
  }
  // Guard, not learned: a region from the model that keeps almost nothing (its text pruned as links or
  // boilerplate) is no better body than the rules' choice.
  if (fromModel && keptChars < MODEL_MIN_KEPT)
    return selectContent(tree, { ...opt, regionModel: false }, forceRegion);
  return { region, first, end, keep, pageChars, keptChars, text, link, value, strong, regionValue: value[region.index]!, post, ruleRegion, positiveText, model: modelState };

  function applyModel(p: Float64Array, dropBelow: number, addAbove: number) {
    keptChars = 0;
    first = items.length;
    end = 0;
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (it.kind === 'text') {
        keep[i] = p[i]! >= (keep[i] ? dropBelow : addAbove) ? 1 : 0;
        if (keep[i]) keptChars += it.len;
      }
      if (keep[i]) {
        if (i < first) first = i;
        end = i + 1;
      }
    }
    if (first > end) first = end;
  }
}
