/**
 * Images: which URL an <img> / <picture> stands for (srcset, lazy-load attributes, placeholders) and
 * whether it is decorative (tracking pixel, spacer, icon, avatar, logo, emoji, share button).
 */
import parseSrcset from '@prettier/parse-srcset';

/** One candidate URL of an image with the width it declares (srcset `w`, or the width attribute). */
export interface ImageCandidate {
  url: string;
  width: number | null;
  /**
   * The other URLs the element gives for the same picture, best first (smaller srcset candidates, a
   * lazy-load attribute, `src`): an archive often holds only one of them (old crawlers fetched `src`),
   * so the images stage tries them in turn when `url` cannot be had.
   */
  alternates?: string[];
}

/** How many other URLs of one image are kept: enough for srcset + src, bounded for fetching. */
const MAX_ALTERNATES = 4;

/** `urls` without duplicates and without `primary`, at most MAX_ALTERNATES, order kept. */
export function alternatesOf(primary: string, urls: Iterable<string>): string[] {
  return [...new Set(urls)].filter((u) => u !== primary).slice(0, MAX_ALTERNATES);
}

/**
 * Lazy-loading attributes that hold the real URL while `src` holds a placeholder, most common first
 * (lazysizes `data-src`, jQuery lazyload `data-original`, WordPress `data-lazy-src`, ...).
 */
const LAZY_SRC_ATTRS = [
  'data-src', 'data-lazy-src', 'data-original', 'data-lazy', 'data-url', 'data-hi-res-src', 'data-img-src',
  'data-full-src', 'data-orig-file', 'data-large-file', 'data-medium-file', 'data-actualsrc', 'data-echo',
  'data-ll-src', 'data-src-fg', 'data-lateloadsrc', 'data-gt-lazy-src', 'data-image', 'data-img', 'src2',
];
const LAZY_SRCSET_ATTRS = ['data-srcset', 'data-lazy-srcset', 'data-original-set'];

/** An attribute value that looks like an image file URL (used for lazy attributes we do not know). */
const IMAGE_URL = /^\S+\.(?:jpe?g|png|webp|gif|avif|jxl|bmp|tiff?)(?:[?#]\S*)?$/i;

/**
 * `src` values that are placeholders put there until a script swaps the real image in: data: URIs,
 * and 1×1 / blank / loading images by file name.
 */
const PLACEHOLDER_SRC = /^data:|(?:^|[/_.-])(?:blank|spacer|pixel|transparent|placeholder|lazy|loading|loader|grey|gray|empty|1x1|dot|clear)(?:[_.-][\w-]*)?\.(?:gif|png|svg|jpe?g|webp)(?:[?#]|$)/i;

/** Spacer and blank images by file name (layout tables, lazy-load placeholders left in place). */
const SPACER_FILE = /(?:^|[/_.-])(?:blank|spacer|pixel|transparent|1x1|clear|dot|empty|trans|s)\.(?:gif|png)$/i;

export function isPlaceholderSrc(src: string): boolean {
  return PLACEHOLDER_SRC.test(src);
}

/** The largest candidate of a srcset: by `w`, else by `x` density, else the last one listed. */
export function largestSrcsetCandidate(srcset: string): ImageCandidate | null {
  return srcsetCandidates(srcset)[0] ?? null;
}

/** The candidates of a srcset, largest first (by `w`, else by `x` density, later ones first on ties). */
export function srcsetCandidates(srcset: string): ImageCandidate[] {
  let list: { url: string; w: number | null; x: number }[];
  try {
    list = parseSrcset(srcset).map((c) => ({
      url: c.source.value,
      w: c.width?.value ?? null,
      x: c.density?.value ?? 1,
    }));
  } catch {
    // Invalid descriptors: browsers drop those candidates; keep the URLs of the well-formed ones.
    list = srcset
      .split(/,\s+/)
      .map((part) => part.trim().split(/\s+/))
      .filter((t) => t[0] && (t.length === 1 || /^\d+(\.\d+)?[wx]$/.test(t[1]!)))
      .map((t) => ({
        url: t[0]!.replace(/,+$/, ''),
        w: t[1]?.endsWith('w') ? parseFloat(t[1]) : null,
        x: t[1]?.endsWith('x') ? parseFloat(t[1]) : 1,
      }));
  }
  return list
    .map((c, i) => ({ ...c, i }))
    .filter((c) => c.url && !c.url.startsWith('data:'))
    .sort((a, b) => (b.w ?? 0) - (a.w ?? 0) || b.x - a.x || b.i - a.i)
    .map((c) => ({ url: c.url, width: c.w }));
}

function attr(attribs: Record<string, string>, name: string): string | null {
  const v = attribs[name];
  if (v === undefined) return null;
  const t = v.trim();
  return t || null;
}

/** A declared pixel size ("300", "300px"); null for percentages, "auto" or nonsense. */
export function declaredSize(v: string | undefined): number | null {
  if (!v) return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*$/i.exec(v);
  return m ? Math.round(parseFloat(m[1]!)) : null;
}

/**
 * The URL an <img> (or <source>) stands for, and the other URLs it gives for the same picture. Order:
 * a srcset's candidates largest first, a lazy srcset, a lazy URL attribute, `src` unless it is a
 * placeholder, then any attribute holding an image URL; a placeholder `src` comes last.
 */
export function imageCandidate(attribs: Record<string, string>): ImageCandidate | null {
  const declared = declaredSize(attribs.width);
  const found: ImageCandidate[] = [];
  for (const a of ['srcset', ...LAZY_SRCSET_ATTRS]) {
    const v = attr(attribs, a);
    if (v) found.push(...srcsetCandidates(v));
  }
  for (const a of LAZY_SRC_ATTRS) {
    const v = attr(attribs, a);
    if (v && !v.startsWith('data:') && !/^\{|^javascript:/i.test(v)) found.push({ url: v, width: null });
  }
  const src = attr(attribs, 'src');
  if (src && !isPlaceholderSrc(src)) found.push({ url: src, width: null });
  for (const [k, v] of Object.entries(attribs)) {
    if (k.startsWith('data-') && IMAGE_URL.test(v.trim())) found.push({ url: v.trim(), width: null });
  }
  // A placeholder src is still better than nothing when the page has no other URL for it.
  if (src && !src.startsWith('data:') && isPlaceholderSrc(src)) found.push({ url: src, width: null });
  const first = found[0];
  if (!first) return null;
  return { url: first.url, width: first.width ?? declared, alternates: alternatesOf(first.url, found.slice(1).map((c) => c.url)) };
}

/** Resolve against the document base URL (WHATWG); only http(s) URLs are kept. */
export function resolveUrl(raw: string | null | undefined, base: string): string | null {
  if (!raw) return null;
  try {
    const u = new URL(raw, base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** Reasons an image is dropped as decorative; counted as `image:<reason>`. */
export type DecorativeReason = 'tracking' | 'spacer' | 'tiny' | 'icon' | 'avatar' | 'logo' | 'emoji' | 'share' | 'ad';

/** Domains of trackers and ad servers: an image served from these is never content. */
const TRACKER_DOMAIN =
  /(?:^|\.)(?:doubleclick\.net|google-analytics\.com|googlesyndication\.com|googleadservices\.com|googletagmanager\.com|scorecardresearch\.com|quantserve\.com|bat\.bing\.com|amazon-adsystem\.com|adsrvr\.org|taboola\.com|outbrain\.com|criteo\.(?:com|net)|moatads\.com|chartbeat\.net|imrworldwide\.com|smartadserver\.com|adnxs\.com|adform\.net|openx\.net|rubiconproject\.com|pubmatic\.com|casalemedia\.com|yieldmo\.com|serving-sys\.com|2mdn\.net|everesttech\.net|demdex\.net|krxd\.net|bluekai\.com|exelator\.com|addthis\.com|sharethis\.com|gravatar\.com)$/i;
/** Host names that say "ads" or "tracking" in their first label (ads.example.com, pixel.wp.com). */
const TRACKER_HOST = /^(?:ads?\d*|adserver|adservice|adsystem|banners?|pixel|beacon|tracking|track|tracker|analytics|stats|counter|metrics|log)\./i;
/** Paths of tracking pixels and ad calls. */
const TRACKER_PATH = /\/(?:pixel|beacon|tracking|track|tr|b\/ss|impression|collect|adserver|afp-creative)(?:\.gif|\.png|\/|$)/i;

/**
 * Words that mark an image decorative, by kind, and where they count: in the image's URL path, or in
 * the class/id of the image and its link (brand names such as "facebook" in a path are often content).
 * mOSCAR and MINT-1T drop images whose URL says "logo" / "banner" / "avatar" (references/pipelines.md).
 */
const DECORATIVE_WORDS: { reason: DecorativeReason; re: RegExp; inPath: boolean }[] = [
  { reason: 'emoji', re: /(?:^|[^a-z])(?:emoji|emoticons?|smiley|smilies|wp-smiley)(?:[^a-z]|$)/i, inPath: true },
  {
    reason: 'avatar',
    re: /(?:^|[^a-z])(?:avatars?|gravatar|profile[-_]?(?:pic|photo|image|img)|user[-_]?(?:pic|photo|image|icon)|author[-_]?(?:pic|photo|image|avatar))(?:[^a-z]|$)/i,
    inPath: true,
  },
  { reason: 'logo', re: /(?:^|[^a-z])(?:logos?|site[-_]?logo|brand[-_]?logo|wordmark)(?:[^a-z]|$)/i, inPath: true },
  { reason: 'share', re: /(?:^|[^a-z])(?:share|sharing|social[-_]?icons?)(?:[^a-z]|$)/i, inPath: true },
  {
    reason: 'share',
    re: /(?:^|[^a-z])(?:social|facebook|twitter|linkedin|pinterest|whatsapp|reddit|rss|print|email)(?:[^a-z]|$)/i,
    inPath: false,
  },
  {
    reason: 'icon',
    re: /(?:^|[^a-z])(?:icons?|favicon|sprites?|buttons?|btn|arrows?|bullets?|spinner|loader|ajax-loader)(?:[^a-z]|$)/i,
    inPath: true,
  },
  { reason: 'ad', re: /(?:^|[^a-z])(?:ads?|adverts?|advertisement|banners?|sponsors?)(?:[^a-z]|$)/i, inPath: true },
  { reason: 'ad', re: /(?:^|[^a-z])(?:promo|dfp|adsense)(?:[^a-z]|$)/i, inPath: false },
];

/** Images whose declared sides are at most this many px are icons or bullets, not content. */
const TINY_SIDE = 48;

/**
 * Is this image decorative? `cls` is the class/id text of the image and its link (if any);
 * `linkHref` the link it sits in. Declared sizes come from width/height attributes.
 */
export function decorativeReason(
  url: string,
  width: number | null,
  height: number | null,
  cls: string,
  linkHref: string | null,
): DecorativeReason | null {
  if ((width !== null && width <= 2) || (height !== null && height <= 2)) return 'tracking';
  let path = url;
  let host = '';
  try {
    const u = new URL(url);
    host = u.hostname;
    path = u.pathname;
    path = decodeURIComponent(path);
  } catch {
    /* keep the raw URL */
  }
  if (TRACKER_DOMAIN.test(host) || TRACKER_HOST.test(host) || TRACKER_PATH.test(path)) return 'tracking';
  if (SPACER_FILE.test(path)) return 'spacer';
  if (width !== null && height !== null && width <= TINY_SIDE && height <= TINY_SIDE) return 'tiny';
  if ((width !== null && width <= 24) || (height !== null && height <= 24)) return 'tiny';
  if (/\.(?:ico|cur)$/i.test(path)) return 'icon';
  for (const { reason, re, inPath } of DECORATIVE_WORDS) if ((inPath && re.test(path)) || re.test(cls)) return reason;
  if (linkHref && /(?:facebook\.com\/sharer|twitter\.com\/(?:intent|share)|x\.com\/intent|pinterest\.com\/pin\/create|linkedin\.com\/share|reddit\.com\/submit|wa\.me\/|api\.whatsapp\.com\/send|mailto:)/i.test(linkHref))
    return 'share';
  return null;
}
