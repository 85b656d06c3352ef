/**
 * A correct reading-order walk of an HTML page into segments. Iterative (an explicit stack), so
 * pathological nesting cannot overflow the call stack.
 */
import { parseDocument } from 'htmlparser2';
import type { ChildNode, Element } from 'domhandler';
import type { Segment } from '../../schemas/doc.ts';

const SKIP = new Set([
  'script', 'style', 'noscript', 'template', 'svg', 'math', 'head', 'nav', 'header', 'footer', 'form',
  'button', 'select', 'textarea', 'iframe', 'object', 'embed', 'canvas', 'audio', 'video', 'map', 'dialog',
]);

/** Elements that end a text block. */
const BLOCK = new Set([
  'p', 'div', 'section', 'article', 'main', 'aside', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'li', 'ul', 'ol',
  'dl', 'dt', 'dd', 'blockquote', 'pre', 'table', 'tr', 'td', 'th', 'thead', 'tbody', 'tfoot', 'caption',
  'figure', 'figcaption', 'address', 'hr', 'body', 'html', 'center', 'details', 'summary', 'hgroup',
  'fieldset', 'legend',
]);

const LAZY_SRC_ATTRS = [
  'data-src', 'data-lazy-src', 'data-original', 'data-lazy', 'data-url', 'data-hi-res-src', 'data-img-src',
  'data-src-fg', 'data-lateloadsrc', 'data-gt-lazy-src', 'src2',
];

function attr(el: Element, name: string): string | null {
  const v = el.attribs[name];
  return v === undefined ? null : v.trim() || null;
}

/** The largest candidate of a srcset (by w descriptor, else x density, else the last). */
export function largestSrcsetCandidate(srcset: string): string | null {
  let best: string | null = null;
  let bestScore = -1;
  // Candidates are separated by commas that follow a descriptor or URL; URLs may contain commas
  // (rare), so split on ", " / "," followed by whitespace-delimited URL tokens.
  for (const part of srcset.split(/,\s+|,(?=\S+\s+\d)/)) {
    const [url, desc] = part.trim().split(/\s+/, 2);
    if (!url) continue;
    let score = 1;
    if (desc?.endsWith('w')) score = parseFloat(desc) || 1;
    else if (desc?.endsWith('x')) score = (parseFloat(desc) || 1) * 1000;
    if (score >= bestScore) {
      best = url;
      bestScore = score;
    }
  }
  return best;
}

function resolveUrl(raw: string | null, base: string): string | null {
  if (!raw || raw.startsWith('data:') || raw.startsWith('javascript:')) return null;
  try {
    const u = new URL(raw, base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

function imageSource(el: Element): string | null {
  const srcset = attr(el, 'srcset') ?? attr(el, 'data-srcset');
  const fromSet = srcset ? largestSrcsetCandidate(srcset) : null;
  if (fromSet) return fromSet;
  for (const a of LAZY_SRC_ATTRS) {
    const v = attr(el, a);
    if (v) return v;
  }
  return attr(el, 'src');
}

function normalizeSpace(s: string): string {
  return s.replace(/[\s\u00a0]+/g, ' ').trim();
}

export interface WalkResult {
  title: string | null;
  canonicalUrl: string | null;
  declaredLang: string | null;
  segments: Segment[];
}

export function walkHtml(html: string, pageUrl: string): WalkResult {
  const dom = parseDocument(html, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
  let base = pageUrl;
  let title: string | null = null;
  let canonicalUrl: string | null = null;
  let declaredLang: string | null = null;

  // Head metadata first (base href must be known before resolving any URL).
  const headStack: ChildNode[] = [...dom.children];
  while (headStack.length) {
    const n = headStack.pop()!;
    if (n.type !== 'tag' && n.type !== 'script' && n.type !== 'style') continue;
    const el = n as Element;
    if (el.name === 'body') continue;
    if (el.name === 'html') declaredLang ??= attr(el, 'lang');
    if (el.name === 'base' && attr(el, 'href')) base = resolveUrl(attr(el, 'href'), pageUrl) ?? base;
    if (el.name === 'title' && title === null) title = normalizeSpace(textOf(el)) || null;
    if (el.name === 'link' && (attr(el, 'rel') ?? '').toLowerCase().split(/\s+/).includes('canonical')) {
      canonicalUrl ??= attr(el, 'href');
    }
    if (el.name === 'meta' && attr(el, 'property') === 'og:url') canonicalUrl ??= attr(el, 'content');
    headStack.push(...el.children);
  }
  if (canonicalUrl) canonicalUrl = resolveUrl(canonicalUrl, base);

  const segments: Segment[] = [];
  let buf = '';
  let bufTag = 'p';
  const flush = () => {
    const text = normalizeSpace(buf);
    if (text) segments.push({ kind: 'text', tag: bufTag, text });
    buf = '';
    bufTag = 'p';
  };

  // Iterative pre-order walk; a 'close' marker flushes text when a block element ends.
  type Item = { node: ChildNode } | { close: string };
  const stack: Item[] = [];
  for (let i = dom.children.length - 1; i >= 0; i--) stack.push({ node: dom.children[i]! });
  while (stack.length) {
    const item = stack.pop()!;
    if ('close' in item) {
      flush();
      continue;
    }
    const n = item.node;
    if (n.type === 'text') {
      buf += (n as unknown as { data: string }).data;
      continue;
    }
    if (n.type !== 'tag') continue;
    const el = n as Element;
    const name = el.name;
    if (SKIP.has(name)) continue;
    if (name === 'br') {
      buf += '\n';
      continue;
    }
    if (name === 'img') {
      const url = resolveUrl(imageSource(el), base);
      if (url) {
        flush();
        const w = parseInt(attr(el, 'width') ?? '', 10);
        const h = parseInt(attr(el, 'height') ?? '', 10);
        segments.push({
          kind: 'image',
          tag: 'img',
          url,
          alt: attr(el, 'alt'),
          width: Number.isFinite(w) ? w : null,
          height: Number.isFinite(h) ? h : null,
        });
      }
      continue;
    }
    if (name === 'picture') {
      // The <img> inside carries alt and fallback src; a <source srcset> gives larger candidates.
      const img = el.children.find((c): c is Element => c.type === 'tag' && (c as Element).name === 'img');
      const source = el.children.find(
        (c): c is Element => c.type === 'tag' && (c as Element).name === 'source' && !!attr(c as Element, 'srcset'),
      );
      const src = (img && imageSource(img)) ?? (source ? largestSrcsetCandidate(attr(source, 'srcset')!) : null);
      const url = resolveUrl(src, base);
      if (url) {
        flush();
        segments.push({ kind: 'image', tag: 'img', url, alt: img ? attr(img, 'alt') : null });
      }
      continue;
    }
    const block = BLOCK.has(name);
    if (block) {
      flush();
      bufTag = name;
      stack.push({ close: name });
    }
    for (let i = el.children.length - 1; i >= 0; i--) stack.push({ node: el.children[i]! });
  }
  flush();
  return { title, canonicalUrl, declaredLang, segments };
}

function textOf(el: Element): string {
  let out = '';
  const stack: ChildNode[] = [...el.children].reverse();
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === 'text') out += (n as unknown as { data: string }).data;
    else if ('children' in n) for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return out;
}
