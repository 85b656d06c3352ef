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
  // The learned run classifier (scripts/fit-extract-model.ts, fit half only): check-half macro F1 in README.
  runModel: true,
  // The document opens with its headline. Readability and newspaper4k drop it (their ground truths
  // score 0.002-0.01 F1 higher with true).
  dropTitleHeading: false,
  keepDecorativeImages: false,
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
}

function isTableCell(b: Block): boolean {
  return (b.tag === 'td' || b.tag === 'th') && b.parent?.tag === 'tr' && b.childBlocks === 0;
}

/** Extract the interleaved segments of one HTML page; `pageUrl` resolves relative URLs. */
export function extractHtml(html: string, pageUrl: string, cfg: ExtractConfig = extractDefaults): Extracted {
  const tree = buildTree(html, pageUrl);
  const sel = selectContent(tree, cfg);
  let { keep, region, first, end } = sel;
  if (!cfg.mainContentOnly) {
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

  const out = dropLeadingMetadata(dropOrphanHeadings(segments), tree.title, cfg.dropTitleHeading);

  let contentChars = 0;
  for (const s of out) if (s.kind === 'text') contentChars += s.text!.length;
  let pageChars = 0;
  for (const it of items) if (it.kind === 'text') pageChars += it.text.length;
  return {
    title: tree.title,
    canonicalUrl: tree.canonicalUrl,
    declaredLang: tree.declaredLang,
    segments: out,
    pageChars,
    contentChars,
    contentTag: region.tag,
    imagesDropped,
  };
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

export const extractStage = docStage<RawPage, Doc>({
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
