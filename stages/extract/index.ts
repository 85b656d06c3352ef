/**
 * extract: RawPage -> Doc. One streaming parse (htmlparser2, parse.ts) builds the page's text runs,
 * images and block tree (tree.ts); main-content detection keeps the article, post or listing with
 * its images in reading order (content.ts); decorative images are dropped and counted (images.ts).
 */
import type { ColumnSpec, Doc, RawPage, Segment } from '../../schemas/doc.ts';
import { shellDoc } from '../../schemas/ids.ts';
import { docStage, drop } from '../../pipeline/stage.ts';
import { buildTree, type Block, type Item } from './tree.ts';
import { selectContent, type ContentOptions } from './content.ts';
import { decorativeReason } from './images.ts';
import { dropLeadingMetadata, dropOrphanHeadings } from './tidy.ts';
import { applySiteRule, matchSiteRule, type SiteRule } from './siterules.ts';
import { repairMarkup } from './repair.ts';
import { jsonLdArticleBody, offBodyRuns } from './structured.ts';

export type { SiteRule } from './siterules.ts';
export { compileSiteRules, SiteRuleError } from './siterules.ts';

/** Content scoring (ContentOptions, ./content.ts) plus what the stage itself decides. */
export interface ExtractConfig extends ContentOptions {
  /** Drop a page whose extracted text is shorter than this many characters (reason no_text). */
  minTextChars: number;
  /**
   * Keep only the main content (article, post, listing) and drop page chrome around it. false keeps
   * every part of the page that is not chrome (nav, header, footer, aside, forms), in order.
   */
  mainContentOnly: boolean;
  /** Drop the headline when it repeats the page title (the document carries `title` anyway). */
  dropTitleHeading: boolean;
  /** Keep images flagged decorative (tracking pixels, icons, avatars, logos, share buttons). */
  keepDecorativeImages: boolean;
  /** A region keeping fewer weighted characters than this is chosen again with `denseFallbackLinkPenalty`. */
  denseFallbackChars: number;
  denseFallbackLinkPenalty: number;
  /** Per-site rules (siterules.ts): for a domain or URL pattern, CSS selectors of the content root and of
   * blocks to remove; the first rule matching a page's URL applies, the generic extractor elsewhere. */
  siteRules: SiteRule[];
  /** Use the page's JSON-LD articleBody as a hint (structured.ts): kept runs sharing almost no words with
   * it are dropped when the kept text is plainly that article. Never a source of text. */
  articleBodyHint: boolean;
  /** A page whose main content comes out empty although it has at least this many characters of text
   * keeps everything that is not page chrome instead (as mainContentOnly=false); 0 turns this off. */
  emptyFallbackChars: number;
  /** Main content with fewer letters and digits than this (and under a tenth of the page's text) counts
   * as empty for that fallback, which is taken only when it gives more text. */
  emptyFallbackLetters: number;
}

const LETTERS = /[\p{L}\p{N}]/gu;
/** Fit-half choice (0.05, 0.1, 0.2, 0.3, 1 tried: fit macro 0.9275, 0.9278, 0.9277, 0.9277, 0.9277): content
 * below `emptyFallbackLetters` counts as nearly empty only when it is also under this share of the page's
 * text (a short page that is all body stays as it is). */
const NEARLY_EMPTY_SHARE = 0.1;

/** Fewer than `min` letters or digits in the text segments (a lone bullet or a heading is no document). */
function nearlyEmpty(segments: Segment[], min: number): boolean {
  let n = 0;
  for (const s of segments) {
    if (s.kind !== 'text') continue;
    n += s.text!.match(LETTERS)?.length ?? 0;
    if (n >= min) return false;
  }
  return n < min;
}

export const extractDefaults: ExtractConfig = {
  // Any text at all: length filters belong to the quality stage.
  minTextChars: 1,
  mainContentOnly: true,
  // Dev-set choice (scripts/eval-extraction.ts on ../shared/corpus/html): links count twice against a
  // run, so a run that is half links scores zero, as Readability treats link density 0.5 as its cut.
  linkPenalty: 2,
  // Dev-set choice: a few characters per run (BTE charges each tag token the same way).
  runCost: 3,
  // Readability's cleanConditionally removes blocks whose link density exceeds 0.5.
  maxRunLinkDensity: 0.5,
  maxBlockLinkDensity: 0.5,
  // OBELICS keeps images of at least 150 px a side (references/pipelines.md); declared sizes are
  // display sizes, often smaller than the file (Wikipedia shows 120-px thumbnails of large photos).
  minLinkBlockImageSide: 100,
  // Dev-set choice (0.25, 0.5 and 1 tried): boilerplate text counts fully against the blocks around it.
  boilerplatePenalty: 1,
  // The learned run classifier (scripts/fit-extract-model.ts, fit half only): check-half macro F1 in docs/extraction.md.
  runModel: true,
  // Fit-half choice (scripts/eval-extraction.ts --half fit): forum threads lost every post but one.
  repeatedPosts: true,
  // Fit-half choice: 1.1, 1.3, 1.6, 2 and 3 all gave fit macro 0.919 (run model off); the old constant stays.
  contentNameBonus: 1.1,
  // The learned region model (scripts/fit-region-model.ts, fit half only): check-half macro F1 in docs/extraction.md.
  regionModel: true,
  // The document opens with its headline. Readability and newspaper4k drop it (their ground truths
  // score 0.002-0.01 F1 higher with true).
  dropTitleHeading: false,
  keepDecorativeImages: false,
  // Fit-half choice (scripts/eval-extraction.ts --half fit): a region keeping fewer weighted characters
  // than this on a page with at least twice as many is chosen again with link text counting
  // `denseFallbackLinkPenalty` (1: links neither add nor cost); 0 turns this off.
  denseFallbackChars: 200,
  denseFallbackLinkPenalty: 1,
  // None: rules are what a user knows about the sites of a crawl.
  siteRules: [],
  articleBodyHint: true,
  // The issue's goal: no empty document for a page whose gold text has >= 200 characters.
  emptyFallbackChars: 200,
  // Fit-half choice (1, 50, 100, 200, 400, 800 tried: fit macro 0.9258, 0.9260, 0.9271, 0.9277, 0.9257, 0.9213;
  // 1 = only a document without letters, the rule before).
  emptyFallbackLetters: 200,
};

export interface Extracted {
  title: string | null;
  /** <link rel=canonical> or og:url, absolute; null when absent. */
  canonicalUrl: string | null;
  /** <html lang> as declared by the page. */
  declaredLang: string | null;
  segments: Segment[];
  /** Characters of text on the whole page and in the kept segments. */
  pageChars: number;
  contentChars: number;
  /** Tag of the block chosen as the main content (article, div, main, body ...). */
  contentTag: string;
  /** Images inside the content left out, by reason: decorative kinds, duplicate; no_url is page-wide. */
  imagesDropped: Record<string, number>;
  /** What chose the content (`corpus extract --explain`). */
  explain: Explain;
}

export interface Explain {
  /** Name of the site rule that applied to the page, or null (the generic extractor alone). */
  rule: string | null;
  /** One line: which rule or which scored region chose the content, and what the classifier did. */
  chosenBy: string;
  /** Why the document has no text, or null when it has some. */
  empty: string | null;
}

/** `div#main.post-body` for a block (at most two classes). */
function blockName(b: Block): string {
  if (b.tag === '#root') return 'the whole page';
  const id = b.id.trim().split(/\s+/)[0];
  const cls = b.cls.trim().split(/\s+/).filter(Boolean).slice(0, 2);
  return `<${b.tag}${id ? `#${id}` : ''}${cls.map((c) => `.${c}`).join('')}>`;
}

function blockPath(b: Block): string {
  const names: string[] = [];
  for (let x: Block | null = b; x && x.tag !== '#root' && names.length < 3; x = x.parent) names.unshift(blockName(x));
  return names.length ? names.join(' > ') : 'the whole page';
}

/** A page with less visible text than this (and 4x that in markup) is tried again with hidden parts shown. */
const HIDDEN_BODY_MAX_CHARS = 100;

function visibleChars(items: Item[]): number {
  let n = 0;
  for (const it of items) if (it.kind === 'text') n += it.len;
  return n;
}

function isTableCell(b: Block): boolean {
  return (b.tag === 'td' || b.tag === 'th') && b.parent?.tag === 'tr' && b.childBlocks === 0;
}

/** Extract the interleaved segments of one HTML page; `pageUrl` resolves relative URLs. */
export function extractHtml(html: string, pageUrl: string, cfg: ExtractConfig = extractDefaults): Extracted {
  html = repairMarkup(html);
  // A site rule cuts the page down with cheerio first (only on pages it matches).
  const rule = cfg.siteRules?.length ? matchSiteRule(cfg.siteRules, pageUrl) : null;
  let ruleNote: string | null = null;
  let ruleRoots: number | null = null;
  if (rule) {
    try {
      const r = applySiteRule(html, rule);
      html = r.html;
      ruleRoots = r.roots;
      const removed = rule.rule.remove?.length ? `, ${r.removed} block(s) removed` : '';
      ruleNote =
        r.roots === null ? `site rule "${rule.name}"${removed}; then` :
        r.roots === 0 ? `site rule "${rule.name}": content selector ${rule.rule.content} matched nothing${removed}; then` :
        `site rule "${rule.name}": content ${rule.rule.content} (${r.roots} element(s))${removed}`;
    } catch (e) {
      ruleNote = `site rule "${rule.name}" failed (${(e as Error).message.split('\n')[0]}); then`;
    }
  }
  let tree = buildTree(html, pageUrl);
  let hiddenNote = '';
  if (cfg.mainContentOnly && visibleChars(tree.items) < HIDDEN_BODY_MAX_CHARS && html.length > 4 * HIDDEN_BODY_MAX_CHARS) {
    // The page hides its whole body until a script shows it (visibility:hidden on a wrapper): read it
    // as shown when that is where the text is.
    const shown = buildTree(html, pageUrl, true);
    if (visibleChars(shown.items) >= 4 * HIDDEN_BODY_MAX_CHARS) {
      tree = shown;
      hiddenNote = 'page hides its body until a script shows it: read as shown; ';
    }
  }
  const trusted = ruleRoots !== null && ruleRoots > 0;
  let sel = selectContent(tree, trusted ? { ...cfg, runModel: false } : cfg, trusted ? tree.blocks[0] : undefined);
  let denseNote = '';
  if (!trusted && cfg.mainContentOnly && cfg.denseFallbackChars > 0 && sel.keptChars < cfg.denseFallbackChars && sel.pageChars >= 2 * cfg.denseFallbackChars) {
    // Nearly nothing kept although the page has text (listings, link-heavy docs and forum indexes,
    // a tiny block outscoring the body): choose again with link text counting less against a region.
    const alt = selectContent(tree, { ...cfg, linkPenalty: cfg.denseFallbackLinkPenalty });
    if (alt.keptChars >= 2 * Math.max(sel.keptChars, 1)) {
      denseNote = `nearly empty region (${Math.round(sel.keptChars)} chars) chosen again with link penalty ${cfg.denseFallbackLinkPenalty}: `;
      sel = alt;
    }
  }
  let { keep, region, first, end } = sel;
  if (trusted) {
    // The user's content root is the content: every run and image in it (decorative images still go).
    keep = new Uint8Array(tree.items.length).fill(1);
    first = 0;
    end = tree.items.length;
  } else if (!cfg.mainContentOnly) {
    // Everything that is not chrome: rerun the pruning from the page root.
    const all = selectContent(tree, { ...cfg, runCost: 0 }, tree.blocks[0]);
    keep = all.keep;
    region = all.region;
    first = all.first;
    end = all.end;
  }
  const imagesDropped: Record<string, number> = {};
  const dropImage = (reason: string) => (imagesDropped[reason] = (imagesDropped[reason] ?? 0) + 1);
  if (tree.imagesWithoutUrl) imagesDropped.no_url = tree.imagesWithoutUrl;

  const segments: Segment[] = [];
  let lastImageUrl: string | null = null;
  let rowOf: Block | null = null; // the table row whose cells are being joined into one segment
  const items: Item[] = tree.items;
  for (let i = first; i < end; i++) {
    if (!keep[i]) continue;
    const it = items[i]!;
    if (it.kind === 'text') {
      lastImageUrl = null;
      const b = it.block;
      if (isTableCell(b)) {
        const prev = segments[segments.length - 1];
        if (rowOf === b.parent && prev?.kind === 'text') {
          prev.text += ` | ${it.text}`;
          continue;
        }
        rowOf = b.parent;
        segments.push({ kind: 'text', tag: 'tr', text: it.text });
        continue;
      }
      rowOf = null;
      segments.push({ kind: 'text', tag: b.tag, text: it.text });
      continue;
    }
    rowOf = null;
    const reason = decorativeReason(it.url, it.width, it.height, it.cls, it.linkHref);
    if (reason && !cfg.keepDecorativeImages) {
      dropImage(reason);
      continue;
    }
    if (it.url === lastImageUrl) {
      dropImage('duplicate');
      continue;
    }
    lastImageUrl = it.url;
    segments.push({
      kind: 'image',
      tag: 'img',
      url: it.url,
      alt: it.alt,
      width: it.width,
      height: it.height,
      alternates: it.alternates.length ? it.alternates : null,
    });
  }

  let out = dropLeadingMetadata(dropOrphanHeadings(segments), tree.title, cfg.dropTitleHeading);
  let bodyNote = '';
  if (cfg.articleBodyHint && !trusted && cfg.mainContentOnly) {
    const body = jsonLdArticleBody(html);
    const textSegs = out.filter((x) => x.kind === 'text' && !/^h[1-6]$/.test(x.tag ?? ''));
    const drop = body ? offBodyRuns(body, textSegs.map((x) => x.text!)) : null;
    if (drop?.size) {
      const gone = new Set(textSegs.filter((_, i) => drop.has(i)));
      out = out.filter((x) => !gone.has(x));
      bodyNote = `; ${gone.size} run(s) sharing almost no words with the page's JSON-LD articleBody dropped`;
    }
  }

  let contentChars = 0;
  for (const s of out) if (s.kind === 'text') contentChars += s.text!.length;
  let pageChars = 0;
  for (const it of items) if (it.kind === 'text') pageChars += it.text.length;
  if (cfg.mainContentOnly && !trusted && cfg.emptyFallbackChars > 0 && pageChars >= cfg.emptyFallbackChars && nearlyEmpty(out, Math.min(cfg.emptyFallbackLetters, NEARLY_EMPTY_SHARE * pageChars))) {
    // Nothing left (the region was a page header, or only headings or a stray bullet survived tidy) on a
    // page with text: everything that is not page chrome, rather than an empty document; and when that is
    // empty too (a listing whose every item is a link), the same with link lists kept.
    const why = explainChoice(tree.blocks.length, sel, region, ruleNote, trusted, pageChars, 0, true).empty;
    const base = { ...cfg, mainContentOnly: false, siteRules: [] };
    let all = extractHtml(html, pageUrl, base);
    let how = '';
    if (nearlyEmpty(all.segments, cfg.emptyFallbackLetters)) {
      all = extractHtml(html, pageUrl, { ...base, maxRunLinkDensity: Infinity, maxBlockLinkDensity: Infinity });
      how = 'link lists kept: ';
    }
    if (all.contentChars > contentChars) {
      all.explain.chosenBy = `main content came out empty (${why}): ${how}${all.explain.chosenBy}`;
      return all;
    }
  }
  const explain = explainChoice(tree.blocks.length, sel, region, ruleNote, trusted, pageChars, contentChars, cfg.mainContentOnly);
  if (hiddenNote || denseNote) explain.chosenBy = hiddenNote + denseNote + explain.chosenBy;
  explain.chosenBy += bodyNote;
  return {
    title: tree.title,
    canonicalUrl: tree.canonicalUrl,
    declaredLang: tree.declaredLang,
    segments: out,
    pageChars,
    contentChars,
    contentTag: region.tag,
    imagesDropped,
    explain,
  };
}

function explainChoice(
  nBlocks: number, sel: ReturnType<typeof selectContent>, region: Block, ruleNote: string | null, trusted: boolean,
  pageChars: number, contentChars: number, mainContentOnly: boolean,
): Explain {
  const rule = ruleNote ? ruleNote.replace(/^site rule "([^"]*)".*$/, '$1') : null;
  let chosenBy: string;
  if (trusted) chosenBy = ruleNote!;
  else {
    const how = !mainContentOnly
      ? 'mainContentOnly=false: everything that is not page chrome'
      : sel.post
        ? `run of sibling posts in ${blockPath(region)} (grown from the best-scoring block ${blockName(sel.post)}, value ${Math.round(sel.value[sel.post.index]!)}; ${Math.round(sel.text[region.index]!)} of ${Math.round(sel.pageChars)} weighted chars)`
      : sel.regionValue > 0
        ? `scored region ${blockPath(region)} (value ${Math.round(sel.regionValue)}, ${Math.round(sel.text[region.index]!)} of ${Math.round(sel.pageChars)} weighted chars, ${nBlocks} blocks on the page)`
        : `no block scored above 0 (all text is links, chrome or boilerplate-named): the whole page minus chrome`;
    const moved =
      mainContentOnly && sel.regionValue > 0 && sel.ruleRegion !== (sel.post ?? sel.region)
        ? `; the region model preferred it to the best-scoring block ${blockName(sel.ruleRegion)} (value ${Math.round(sel.value[sel.ruleRegion.index]!)})`
        : '';
    const model = sel.model === 'applied' ? 'run classifier applied' : sel.model === 'declined' ? 'run classifier declined (kept < 25% of the rules\' text): rules kept' : 'rules only';
    chosenBy = `${ruleNote ? `${ruleNote} ` : ''}${how}${moved}; ${model}`;
  }
  let empty: string | null = null;
  if (contentChars === 0) {
    if (pageChars === 0) empty = 'the page has no visible text (empty body, or text written by script)';
    else if (trusted) empty = 'the site rule\'s content root holds no text';
    else if (sel.keptChars === 0 && sel.regionValue <= 0) empty = `no block read like content: ${pageChars} chars of text, all links, chrome or boilerplate-named`;
    else if (sel.keptChars === 0) empty = `every run of the region was pruned (link lines, boilerplate-named or link-dense blocks) or dropped by the run classifier`;
    else empty = 'the kept runs were only metadata or headings, removed by tidy';
  }
  return { rule, chosenBy, empty };
}

export const extractColumns: ColumnSpec[] = [
  { name: 'extract_page_chars', type: 'INTEGER', description: 'characters of text on the whole page (extract)' },
  { name: 'extract_content_chars', type: 'INTEGER', description: 'characters of text kept as main content (extract)' },
  {
    name: 'extract_content_tag',
    type: 'VARCHAR',
    description: 'tag of the block chosen as main content: article, main, div, body ... (extract)',
  },
  {
    name: 'extract_images_dropped',
    type: 'INTEGER',
    description: 'images inside the main content left out as decorative (pixel, icon, avatar, logo, share), without URL, or repeated (extract)',
  },
];

function emptyDoc(page: RawPage): Doc {
  return shellDoc(page.url, page.source, page.fetchedAt);
}

export const extractStage = docStage<RawPage, Doc, { extract: ExtractConfig }>({
  name: 'extract',
  columns: extractColumns,
  asDoc: emptyDoc,
  process(page, ctx) {
    const cfg = ctx.config.extract;
    const ex = extractHtml(page.html, page.url, cfg);
    const doc = emptyDoc(page);
    doc.title = ex.title;
    doc.segments = ex.segments;
    let dropped = 0;
    for (const [reason, count] of Object.entries(ex.imagesDropped)) {
      ctx.counters.add(`image:${reason}`, count);
      dropped += count;
    }
    doc.signals.extract_page_chars = ex.pageChars;
    doc.signals.extract_content_chars = ex.contentChars;
    doc.signals.extract_content_tag = ex.contentTag;
    doc.signals.extract_images_dropped = dropped;
    if (ex.contentChars < cfg.minTextChars) return drop('no_text', `${ex.contentChars} chars of text`);
    return doc;
  },
});
