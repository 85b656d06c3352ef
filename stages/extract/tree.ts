/**
 * One streaming pass over a page that builds what the extractor scores and emits:
 *   - `items`: the page's text runs and images in reading order. A text run is the inline content
 *     between two block boundaries (a paragraph, a heading, a list item, a table cell, a caption);
 *     `<br><br>` also splits paragraphs.
 *   - `blocks`: the tree of block elements (div, p, li, td, article, nav ...) in document order, each
 *     with the range of items it holds and hints from its tag, class, id, role and itemprop.
 * Inline elements (a, span, b ...) do not become nodes; links only count the text they hold, which
 * gives each run its link density. Nothing here recurses, so nesting depth costs nothing.
 */
import { saxParse } from './parse.ts';
import { alternatesOf, imageCandidate, isPlaceholderSrc, resolveUrl, declaredSize, type ImageCandidate } from './images.ts';
import { classHint, CHROME_TAGS, CHROME_ROLES } from './hints.ts';

export interface Block {
  /** Position in `blocks` (document order: a parent comes before its children). */
  index: number;
  tag: string;
  parent: Block | null;
  /** Number of child blocks. */
  childBlocks: number;
  /** Class/id/role/itemprop hint (hints.ts): -2 / -1 strong / weak boilerplate, +1 / +2 main content. */
  hint: number;
  /** Page chrome by its tag or ARIA role: nav, header, footer, aside, form, menu, role=navigation ... */
  chrome: boolean;
  /** Inside an <article> or <main> (whose <header> is the article's title area, not page chrome). */
  inArticle: boolean;
  /** `items[first..end)` are the runs and images inside this block. */
  first: number;
  end: number;
  /** Its id and class attributes as written (for `corpus extract --explain`). */
  id: string;
  cls: string;
}

export interface TextItem {
  kind: 'text';
  block: Block;
  text: string;
  /** Text length in characters, CJK ideographs, kana and Hangul counted twice (denser scripts). */
  len: number;
  /** Part of `len` that is link text. */
  link: number;
  /** Commas and sentence ends in any script (, . ; ! ? ، ؟ 。 ， 、 । ။ ...). */
  punct: number;
}

export interface ImageItem {
  kind: 'image';
  block: Block;
  /** Absolute http(s) URL. */
  url: string;
  /** Other absolute URLs the page gives for the same picture, best first (see ImageCandidate). */
  alternates: string[];
  /** The page's `src` was a placeholder (lazy loading): a <noscript> copy that follows may replace it. */
  placeholder: boolean;
  alt: string | null;
  width: number | null;
  height: number | null;
  /** class + id of the image and of the link around it, for decorative hints. */
  cls: string;
  linkHref: string | null;
}

export type Item = TextItem | ImageItem;

export interface PageTree {
  title: string | null;
  canonicalUrl: string | null;
  declaredLang: string | null;
  /** Document base URL (<base href> resolved against the page URL). */
  base: string;
  blocks: Block[];
  items: Item[];
  /** <img> elements with no usable URL (filled in by scripts, or data: only). */
  imagesWithoutUrl: number;
}

/** Elements whose content is never text of the page. */
const SKIP = new Set([
  'script', 'style', 'template', 'svg', 'math', 'iframe', 'object', 'embed', 'canvas', 'audio', 'video',
  'map', 'dialog', 'select', 'textarea', 'button', 'datalist', 'option', 'optgroup', 'frameset', 'frame',
  'noembed', 'noframes', 'applet',
]);

/** Elements that start and end a text run. Custom elements (with a '-') are treated as blocks too. */
const BLOCK = new Set([
  'html', 'body', 'p', 'div', 'section', 'article', 'main', 'aside', 'nav', 'header', 'footer', 'form',
  'menu', 'search', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hgroup', 'li', 'ul', 'ol', 'dl', 'dt', 'dd',
  'blockquote', 'pre', 'table', 'thead', 'tbody', 'tfoot', 'tr', 'td', 'th', 'caption', 'figure',
  'figcaption', 'address', 'center', 'details', 'summary', 'fieldset', 'legend', 'listing', 'plaintext',
  'xmp', 'marquee',
]);

/** Formula images (MediaWiki, MathJax, KaTeX, LaTeX renderers): their alt text is TeX. */
const FORMULA = /mwe-math|(?:^|[\s_-])(?:tex|latex|katex|mathjax|math|formula|equation)(?:[\s_-]|$)|\\displaystyle|\\frac|\\mathrm/i;

/** Hidden by the page itself: never rendered, so never content (Readability drops these too). */
const HIDDEN_STYLE = /(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)/i;
const HIDDEN_CLASS = /(?:^|\s)(?:sr-only|visually-hidden|visuallyhidden|screen-reader-text|screenreader-only|element-invisible|hidden)(?:\s|$)/i;

function isHidden(attribs: Record<string, string>): boolean {
  const style = attribs.style;
  return (
    'hidden' in attribs ||
    // aria-hidden hides decoration from screen readers; a formula's fallback image is hidden
    // because its MathML twin is read instead (Readability keeps those too).
    (attribs['aria-hidden'] === 'true' && !/fallback-image/.test(attribs.class ?? '')) ||
    (style !== undefined && HIDDEN_STYLE.test(style)) ||
    (attribs.class !== undefined && HIDDEN_CLASS.test(attribs.class))
  );
}

// What each open element is, so its close tag can undo what its open tag did.
const K_INLINE = 0;
const K_SKIP = 1;
const K_BLOCK = 2;
const K_LINK = 3;
const K_TITLE = 4;
const K_PICTURE = 5;
const K_NOSCRIPT = 6;
const K_PRE = 7;

const BR = '\u0001'; // line break marker inside a run (a <br>), turned into '\n' or a paragraph split

/** Weight of one UTF-16 unit in a text's length (see TextItem): 0 for white space and controls, 2 for CJK, kana and Hangul. */
function charWeight(c: number): number {
  if (c < 0x80) return c <= 32 ? 0 : 1; // ASCII, most of the text of most pages
  if (c === 0xa0 || c === 0x3000 || (c >= 0x2000 && c <= 0x200b)) return 0;
  if ((c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7af) || (c >= 0xf900 && c <= 0xfaff)) return 2;
  return 1;
}

/** A comma or sentence end in any script (, . ; ! ? ، ؟ 。 ， 、 । ။ ...) — white space and controls are not. */
function isPunct(c: number): boolean {
  switch (c) {
    case 0x2c: case 0x2e: case 0x3b: case 0x21: case 0x3f: // , . ; ! ?
    case 0x60c: case 0x61b: case 0x61f: case 0x6d4: // Arabic , ; ? .
    case 0x3001: case 0x3002: case 0xff0c: case 0xff0e: case 0xff1b: case 0xff01: case 0xff1f: // CJK
    case 0x964: case 0x965: // Devanagari danda
    case 0x104a: case 0x104b: // Myanmar
    case 0x1362: case 0x1363: // Ethiopic
    case 0x589: // Armenian
      return true;
  }
  return false;
}

/** Weighted length and punctuation count of a text (see TextItem). */
export function measure(s: string): { len: number; punct: number } {
  let len = 0;
  let punct = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const w = charWeight(c);
    if (w === 0) continue;
    len += w;
    if (isPunct(c)) punct++;
  }
  return { len, punct };
}

/** What `\s` matches in a JavaScript regular expression (WhiteSpace and LineTerminator; String#trim's set too). */
export function isJsSpace(c: number): boolean {
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** Length and punctuation of the text `flatRun` returned last (module scratch: no object per run). */
let flatLen = 0;
let flatPunct = 0;

/** flatRun by the regex and `measure` (for runs with many gaps); null when the run holds a <br> marker. */
function collapsed(raw: string): string | null {
  if (raw.includes(BR)) return null;
  const text = raw.replace(/\s+/g, ' ').trim();
  const m = measure(text);
  flatLen = m.len;
  flatPunct = m.punct;
  return text;
}

/** The measure of the text `flatRun` returned last. */
export function flatRunMeasure(): { len: number; punct: number } {
  return { len: flatLen, punct: flatPunct };
}

/**
 * A run outside <pre> with no <br>, in one pass: the same text as `normalizeRun` (white space runs
 * collapsed to one space, trimmed) and the same `measure` of it, left in flatLen / flatPunct. Unchanged
 * stretches are sliced from `raw` whole (a single space inside one is kept as it is); a run with more
 * than MAX_CUTS other gaps (plain text with a line break every few words) is collapsed by the regex
 * instead, whose flat result holds less memory than a long chain of slices. null when the run holds a
 * <br> marker: `normalizeRun` splits it into lines and paragraphs.
 */
const MAX_CUTS = 64;

export function flatRun(raw: string): string | null {
  let out = '';
  let cuts = 0;
  let segStart = -1; // start in raw of the stretch being kept
  let segEnd = 0; // end of the last character kept
  let len = 0;
  let punct = 0;
  const n = raw.length;
  for (let i = 0; i < n; i++) {
    const c = raw.charCodeAt(i);
    if (!isJsSpace(c)) {
      if (c === 1) return null; // BR
      if (segStart < 0) segStart = i;
      segEnd = i + 1;
      const w = charWeight(c);
      if (w !== 0) {
        len += w;
        if (isPunct(c)) punct++;
      }
      continue;
    }
    if (segStart < 0) continue; // leading white space
    let j = i + 1;
    while (j < n && isJsSpace(raw.charCodeAt(j))) j++;
    if (j === n) break; // trailing white space
    if (j - i > 1 || c !== 0x20) {
      // Not a lone ' ': the stretch so far, then one space.
      if (++cuts > MAX_CUTS) return collapsed(raw);
      out += `${raw.slice(segStart, i)} `;
      segStart = j;
    }
    i = j - 1;
  }
  flatLen = len;
  flatPunct = punct;
  if (segStart < 0) return '';
  return out + raw.slice(segStart, segEnd);
}

const NON_SPACE = /[^\s]/;
const BR_RUN = new RegExp(`${BR}(?: ?${BR})+`);

function normalizeRun(raw: string, pre: boolean): string[] {
  if (pre) {
    const t = raw.replaceAll(BR, '\n').replace(/[ \t]+$/gm, '').replace(/^\n+|\s+$/g, '');
    return t ? [t] : [];
  }
  const flat = raw.replace(/\s+/g, ' ');
  if (!flat.includes(BR)) {
    const t = flat.trim();
    return t ? [t] : [];
  }
  // A <br> is a line break; two or more in a row end a paragraph.
  const out: string[] = [];
  for (const para of flat.split(BR_RUN)) {
    const t = para
      .split(BR)
      .map((l) => l.trim())
      .filter(Boolean)
      .join('\n');
    if (t) out.push(t);
  }
  return out;
}

/**
 * `showHidden`: read parts the page hides (hidden attribute, display:none, hidden classes) as visible.
 * For pages that hide their whole body until a script reveals it: with hiding honoured they have no text.
 */
export function buildTree(html: string, pageUrl: string, showHidden = false): PageTree {
  const builder = new TreeBuilder(pageUrl, showHidden);
  saxParse(html, builder);
  return builder.finish();
}

/** A <figure> open around the current position. */
interface OpenFigure {
  block: Block;
  /** Image URL declared by schema.org ImageObject microdata, used when the figure has no <img>. */
  url: string | null;
  hasImage: boolean;
}

/**
 * The SAX handler that builds a PageTree: `onopentag`, `ontext` and `onclosetag` are called by the
 * parser; what an open tag starts (a block, a link, a skipped part, a <picture>, <noscript>, <pre>) is
 * pushed on `kinds` so that its close tag can undo it. Text collects into the current run until a
 * block boundary flushes it into `items`; images go to `items` in place (pushImage).
 */
class TreeBuilder {
  readonly blocks: Block[] = [];
  readonly items: Item[] = [];
  private title: string | null = null;
  private titleBuf = '';
  private canonicalUrl: string | null = null;
  private ogUrl: string | null = null;
  private declaredLang: string | null = null;
  private baseHref: string | null = null;
  private imagesWithoutUrl = 0;

  private readonly root: Block;
  /** The innermost open block. */
  private cur: Block;
  /** What each open element is (K_*), innermost last. */
  private readonly kinds: number[] = [];
  private skipDepth = 0;
  private noscriptDepth = 0;
  private preDepth = 0;
  private inTitle = false;
  /** href of each open link, innermost last. */
  private readonly linkHrefs: string[] = [];

  // The run being collected, and the images met inside it (emitted after it).
  private run = '';
  private runHasText = false;
  private runLink = 0;
  private readonly pendingImages: ImageItem[] = [];

  /** <picture>: its <source> candidates and <img>, turned into one image when it closes. */
  private picture: { sources: ImageCandidate[]; img: Record<string, string> | null } | null = null;

  /** <figure>s open around the current position, innermost last; `figure` is the innermost. */
  private readonly figures: OpenFigure[] = [];
  private figure: OpenFigure | null = null;

  constructor(
    private readonly pageUrl: string,
    private readonly showHidden: boolean,
  ) {
    this.root = this.newBlock('#root', null, {});
    this.cur = this.root;
  }

  /** The page as built, once the parse has ended. */
  finish(): PageTree {
    this.flush();
    const { items, root } = this;
    // Blocks left open at the end of the page (the parser closes them all, but be safe).
    for (let b: Block | null = this.cur; b; b = b.parent) b.end = items.length;
    root.end = items.length;
    const baseUrl = this.base();
    return {
      title: this.title,
      canonicalUrl: resolveUrl(this.canonicalUrl ?? this.ogUrl, baseUrl),
      declaredLang: this.declaredLang,
      base: baseUrl,
      blocks: this.blocks,
      items,
      imagesWithoutUrl: this.imagesWithoutUrl,
    };
  }

  onopentag(name: string, attribs: Record<string, string>): void {
    const kinds = this.kinds;
    if (this.skipDepth > 0) {
      kinds.push(K_SKIP);
      this.skipDepth++;
      return;
    }
    if (this.headMetadata(name, attribs)) return;
    if (SKIP.has(name) || (!this.showHidden && isHidden(attribs))) {
      kinds.push(K_SKIP);
      this.skipDepth = 1;
      return;
    }
    switch (name) {
      case 'img':
      case 'amp-img': {
        const picture = this.picture;
        if (picture && !picture.img) picture.img = attribs;
        else this.pushImage(imageCandidate(attribs), attribs, isPlaceholderSrc(attribs.src ?? ''));
        kinds.push(K_INLINE);
        return;
      }
      case 'source':
        if (this.picture) {
          const c = imageCandidate(attribs);
          if (c) this.picture.sources.push(c);
        }
        kinds.push(K_INLINE);
        return;
      case 'br':
        this.run += BR;
        kinds.push(K_INLINE);
        return;
      case 'hr':
        this.flush();
        kinds.push(K_INLINE);
        return;
      case 'wbr':
        kinds.push(K_INLINE);
        return;
      case 'a':
        // javascript: links are buttons in disguise; their text is read as plain text (as Readability does).
        if (attribs.href !== undefined && !/^\s*javascript:/i.test(attribs.href)) {
          this.linkHrefs.push(attribs.href);
          kinds.push(K_LINK);
          return;
        }
        break;
      case 'picture':
        // A <picture> inside another one (broken markup) adds its sources to the outer picture: one
        // picture, one image, and only the outermost close tag ends it.
        if (this.picture) kinds.push(K_INLINE);
        else {
          this.picture = { sources: [], img: null };
          kinds.push(K_PICTURE);
        }
        return;
      case 'noscript':
        this.noscriptDepth++;
        kinds.push(K_NOSCRIPT);
        return;
    }
    if (BLOCK.has(name) || name.includes('-')) {
      this.openBlock(name, attribs);
      return;
    }
    kinds.push(K_INLINE);
  }

  /**
   * Head metadata, which can appear anywhere (pages put <meta> and <link> in the body): noted, and
   * true for <title>, whose text is the title (the other tags go on as any tag).
   */
  private headMetadata(name: string, attribs: Record<string, string>): boolean {
    switch (name) {
      case 'html':
        this.declaredLang ??= attribs.lang?.trim() || attribs['xml:lang']?.trim() || null;
        break;
      case 'base':
        if (this.baseHref === null && attribs.href?.trim()) this.baseHref = attribs.href.trim();
        break;
      case 'link':
        if (this.canonicalUrl === null && /(?:^|\s)canonical(?:\s|$)/i.test(attribs.rel ?? '') && attribs.href?.trim())
          this.canonicalUrl = attribs.href.trim();
        break;
      case 'meta': {
        if (this.ogUrl === null && attribs.property === 'og:url' && attribs.content?.trim()) this.ogUrl = attribs.content.trim();
        const figure = this.figure;
        if (figure && /\b(?:url|contentUrl|image)\b/.test(attribs.itemprop ?? '') && attribs.content?.trim())
          figure.url ??= attribs.content.trim();
        break;
      }
      case 'title':
        this.kinds.push(K_TITLE);
        this.inTitle = true;
        return true;
    }
    return false;
  }

  /** A block element opens: the run so far ends, and a new block (a figure, a <pre>) starts. */
  private openBlock(name: string, attribs: Record<string, string>): void {
    if (this.noscriptDepth > 0) {
      this.kinds.push(K_INLINE);
      return;
    }
    this.flush();
    if (name === 'figcaption') this.figureImage();
    this.cur = this.newBlock(name, this.cur, attribs);
    if (name === 'figure') {
      // schema.org ImageObject microdata names the image even when a script was to insert the <img>.
      const declared = /ImageObject/.test(attribs.itemtype ?? '') ? attribs.itemid?.trim() || null : null;
      this.figures.push((this.figure = { block: this.cur, url: declared, hasImage: false }));
    }
    if (name === 'pre' || name === 'listing' || name === 'xmp' || name === 'plaintext') {
      this.preDepth++;
      this.kinds.push(K_PRE);
    } else this.kinds.push(K_BLOCK);
  }

  ontext(text: string): void {
    if (this.inTitle) {
      if (this.title === null) this.titleBuf += text;
      return;
    }
    if (this.skipDepth > 0 || this.noscriptDepth > 0) return;
    this.run += text;
    if (!this.runHasText && NON_SPACE.test(text)) this.runHasText = true;
    if (this.linkHrefs.length > 0) this.runLink += measure(text).len;
  }

  onclosetag(): void {
    const kind = this.kinds.pop();
    switch (kind) {
      case K_SKIP:
        this.skipDepth--;
        return;
      case K_TITLE:
        this.inTitle = false;
        if (this.title === null) this.title = this.titleBuf.replace(/\s+/g, ' ').trim() || null;
        return;
      case K_LINK:
        this.linkHrefs.pop();
        return;
      case K_NOSCRIPT:
        this.noscriptDepth--;
        return;
      case K_PICTURE:
        this.closePicture();
        return;
      case K_BLOCK:
      case K_PRE: {
        this.flush();
        const cur = this.cur;
        if (this.figure?.block === cur) {
          this.figureImage();
          this.figures.pop();
          this.figure = this.figures[this.figures.length - 1] ?? null;
        }
        if (kind === K_PRE) this.preDepth--;
        cur.end = this.items.length;
        this.cur = cur.parent ?? this.root;
        return;
      }
    }
  }

  /** The outermost <picture> closes: its <img> and <source>s become one image. */
  private closePicture(): void {
    const p = this.picture;
    this.picture = null;
    if (!p) return;
    // The <img>'s own choice, unless a <source> declares a larger width.
    const fromImg = p.img ? imageCandidate(p.img) : null;
    let best = fromImg;
    for (const s of p.sources) if (s.width && s.width > (best?.width ?? 0)) best = s;
    best ??= p.sources[0] ?? null;
    if (best) {
      // Every other URL of the <picture> is an alternate of the chosen one.
      const others = [fromImg, ...p.sources].filter((c): c is ImageCandidate => c !== null && c !== best);
      const urls = [...(best.alternates ?? []), ...others.flatMap((c) => [c.url, ...(c.alternates ?? [])])];
      best = { ...best, alternates: alternatesOf(best.url, urls) };
    }
    this.pushImage(best, p.img ?? {}, fromImg === null || isPlaceholderSrc(p.img?.src ?? ''));
  }

  private newBlock(tag: string, parent: Block | null, attribs: Record<string, string>): Block {
    const cls = attribs.class ?? '';
    const id = attribs.id ?? '';
    const role = attribs.role?.toLowerCase() ?? '';
    const isRoot = tag === 'html' || tag === 'body';
    const inArticle = !!parent && (parent.inArticle || parent.tag === 'article' || parent.tag === 'main');
    const b: Block = {
      index: this.blocks.length,
      tag,
      parent,
      childBlocks: 0,
      hint: isRoot ? 0 : classHint(cls, id, role, attribs.itemprop ?? '', attribs.itemtype ?? ''),
      chrome: (CHROME_TAGS.has(tag) && !(tag === 'header' && inArticle)) || CHROME_ROLES.has(role),
      inArticle,
      first: this.items.length,
      end: this.items.length,
      id,
      cls,
    };
    this.blocks.push(b);
    if (parent) parent.childBlocks++;
    return b;
  }

  /** The run so far into `items`, then the images met inside it. */
  private flush(): void {
    if (this.run) this.flushRun();
    const pending = this.pendingImages;
    if (pending.length) {
      for (const img of pending) this.items.push(img);
      pending.length = 0;
    }
  }

  private flushRun(): void {
    const linkTotal = this.runLink;
    const run = this.run;
    this.run = '';
    this.runLink = 0;
    // Only white space and <br>s (indentation between tags): nothing to keep.
    if (!this.runHasText) return;
    this.runHasText = false;
    const { items, cur } = this;
    const flat = this.preDepth > 0 ? null : flatRun(run);
    if (flat !== null) {
      if (flat) items.push({ kind: 'text', block: cur, text: flat, len: flatLen, link: Math.min(flatLen, linkTotal), punct: flatPunct });
      return;
    }
    const paras = normalizeRun(run, this.preDepth > 0);
    if (paras.length === 1) {
      const m = measure(paras[0]!);
      items.push({ kind: 'text', block: cur, text: paras[0]!, len: m.len, link: Math.min(m.len, linkTotal), punct: m.punct });
      return;
    }
    const lens = paras.map(measure);
    const total = lens.reduce((a, m) => a + m.len, 0) || 1;
    for (let i = 0; i < paras.length; i++) {
      const m = lens[i]!;
      // Link text is spread over the paragraphs of the run in proportion to their length.
      items.push({ kind: 'text', block: cur, text: paras[i]!, len: m.len, link: Math.min(m.len, (linkTotal * m.len) / total), punct: m.punct });
    }
  }

  /** Document base URL: <base href> resolved against the page URL. */
  private base(): string {
    return this.baseHref ? (resolveUrl(this.baseHref, this.pageUrl) ?? this.pageUrl) : this.pageUrl;
  }

  /** A figure with no <img> of its own but a microdata URL gets its image before the caption. */
  private figureImage(): void {
    const figure = this.figure;
    if (figure && !figure.hasImage && figure.url) this.pushImage({ url: figure.url, width: null }, {}, false);
  }

  private pushImage(cand: ImageCandidate | null, attribs: Record<string, string>, placeholder: boolean): void {
    const base = this.base();
    const url = resolveUrl(cand?.url, base);
    if (!url) {
      // No usable URL (script-filled <img>): counted, and never a target for a <noscript> copy.
      this.imagesWithoutUrl++;
      return;
    }
    const resolved = (cand?.alternates ?? []).map((a) => resolveUrl(a, base)).filter((u): u is string => u !== null);
    const alternates = alternatesOf(url, resolved);
    const linkHrefs = this.linkHrefs;
    const linkHref = linkHrefs.length ? linkHrefs[linkHrefs.length - 1]! : null;
    const items = this.items;
    const last = items[items.length - 1];
    if (this.noscriptDepth > 0 && last?.kind === 'image') {
      // The <noscript> copy of the lazy image just before it: its URL is the real one (the <img> may
      // hold a blurred low-resolution preview that is no placeholder by name).
      last.alternates = alternatesOf(url, [...alternates, last.url, ...last.alternates]);
      last.url = url;
      last.placeholder = false;
      last.width = cand?.width ?? declaredSize(attribs.width) ?? last.width;
      last.height = declaredSize(attribs.height) ?? last.height;
      return;
    }
    if (this.figure) this.figure.hasImage = true;
    const alt = attribs.alt?.replace(/\s+/g, ' ').trim() || null;
    const img: ImageItem = {
      kind: 'image',
      block: this.cur,
      url,
      alternates,
      placeholder,
      alt,
      width: cand?.width ?? declaredSize(attribs.width),
      height: declaredSize(attribs.height),
      cls: `${attribs.class ?? ''} ${attribs.id ?? ''}`,
      linkHref,
    };
    // Between paragraphs an image keeps its place. Inside a sentence it would cut the paragraph in
    // two: it goes right after the paragraph instead, and a formula image leaves its TeX in the text.
    const run = this.run;
    const tail = run.slice(run.lastIndexOf(BR) + 1);
    if (!/\S/.test(tail)) {
      this.flush();
      items.push(img);
      return;
    }
    if (alt && FORMULA.test(`${attribs.class ?? ''} ${alt}`)) {
      this.run += ` ${alt} `;
      this.runHasText = true;
      if (linkHrefs.length > 0) this.runLink += measure(alt).len;
    }
    this.pendingImages.push(img);
  }
}
