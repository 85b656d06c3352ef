/**
 * What a block's tag, class, id, role and itemprop say about it: page chrome, boilerplate widgets, or
 * the main content. Web pages name their parts in English whatever their language ("comments",
 * "sidebar", "article-body"), so these words work on Chinese or Arabic pages as well.
 */

/** Tags that are page chrome (HTML5 sectioning for navigation and page furniture, forms). */
export const CHROME_TAGS = new Set(['nav', 'header', 'footer', 'aside', 'form', 'menu', 'search']);

/** ARIA landmark and widget roles that are chrome. */
export const CHROME_ROLES = new Set([
  'navigation', 'menu', 'menubar', 'banner', 'contentinfo', 'complementary', 'search', 'dialog',
  'alertdialog', 'alert', 'toolbar', 'tablist', 'tooltip', 'status',
]);

/**
 * Boilerplate whatever else the name says ("comment-body" is still a comment), matched per word of the
 * class/id ("rightSidebar" is split at the capital): words that start with a distinctive stem
 * ("relatedPosts", "sidebarleft"), comment/share words with the usual suffixes ("commentlist", not
 * "commented"), and compounds that end with one ("postcomments").
 */
const STRONG_START =
  /^(?:disqus|sidebar|cookie|newsletter|outbrain|taboola|advert|breadcrumb|pagination|related|recommend|paywall|byline|sponsor|social|gdpr|consent|subscri(?:be|ption)|signup)/;
const STRONG_WORD =
  /^(?:comments?|share|shares|sharing)(?:list|form|area|box|section|thread|wrap|wrapper|container|block|bar|buttons?|tools?|this|links?|icons?|widget)?$/;
const STRONG_END = /.(?:comments|sidebar|cookies?|newsletter|breadcrumbs?|sharing|social|related|sponsored)$/;
/** Two-word names, matched with their words joined by '-'. */
const STRONG_PAIR =
  /(?:^|-)(?:side-bar|sign-up|most-(?:read|popular|viewed|shared)|read-next|more-(?:stories|articles|news)|jump-links?|skip-links?|tag-cloud|you-may-like|also-like)(?:-|$)/;

/** Boilerplate unless a content word is there too ("post-footer" no, "main-header" no). Whole words. */
const WEAK_NEGATIVE = new Set([
  'footer', 'header', 'nav', 'navbar', 'navigation', 'menu', 'widget', 'widgets', 'banner', 'meta', 'tags',
  'tag', 'bio', 'author', 'toolbar', 'extra', 'aside', 'popular', 'trending', 'more', 'rss', 'print', 'ad',
  'ads', 'adv', 'modal', 'popup', 'masthead', 'login', 'skyscraper', 'shoutbox', 'promo', 'promos', 'promotion', 'promotions', 'utility', 'copyright', 'legal',
  'pager', 'breadcrumbs', 'supplemental', 'rail', 'topbar', 'dropdown', 'tooltip', 'overlay',
]);

/** Words of main content containers (whole words). */
const POSITIVE = new Set([
  'article', 'articles', 'body', 'content', 'contents', 'entry', 'main', 'post', 'posts', 'story', 'text',
  'blog', 'prose', 'markdown', 'hentry', 'h-entry', 'articlebody', 'postbody', 'storybody', 'entrycontent',
  'maincontent', 'thread', 'message', 'answer', 'question', 'topic', 'recipe', 'instructions', 'steps',
]);

const MODIFIER = new Set(['has', 'with', 'no', 'without', 'hide', 'show', 'enable', 'disable', 'enabled', 'disabled']);

function words(s: string): string[] {
  return s
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/);
}

/**
 * Hint of one block: +2 a declared main-content landmark (role=main, itemprop=articleBody),
 * +1 a content word, -1 a weak boilerplate word (footer, meta, widget ...), -2 a strong one
 * (comments, sidebar, share, related ...), 0 nothing known.
 */
export function classHint(cls: string, id: string, role: string, itemprop: string, itemtype: string): number {
  if (!role && !itemprop && !itemtype) {
    if (!cls && !id) return 0; // half the blocks of a page: nothing to read
    // Pages repeat the same class names on many blocks: remember the answers (bounded memory), by
    // class and then id (no joined key string to build and hash per block).
    let byId = cache.get(cls);
    if (byId === undefined) {
      if (cacheSize >= 20_000) {
        cache.clear();
        cacheSize = 0;
      }
      cache.set(cls, (byId = new Map()));
    }
    let h = byId.get(id);
    if (h === undefined) {
      h = computeHint(cls, id, '', '', '');
      byId.set(id, h);
      cacheSize++;
    }
    return h;
  }
  return computeHint(cls, id, role, itemprop, itemtype);
}

const cache = new Map<string, Map<string, number>>();
let cacheSize = 0;

function computeHint(cls: string, id: string, role: string, itemprop: string, itemtype: string): number {
  if (role === 'main' || /\barticleBody\b|\breviewBody\b/i.test(itemprop)) return 2;
  if (/comment/i.test(itemprop) || /Comment$/.test(itemtype)) return -2;
  const text = cls || id ? `${cls} ${id}` : '';
  if (!text) return role === 'article' ? 1 : 0;
  const ws = words(text);
  if (STRONG_PAIR.test(ws.join('-'))) return -2;
  let pos = role === 'article';
  let neg = false;
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i]!;
    // "has-shares", "with-sidebar", "no-comments": a modifier about what is attached, not what it is.
    if (MODIFIER.has(w)) {
      i++;
      continue;
    }
    if (STRONG_START.test(w) || STRONG_WORD.test(w) || STRONG_END.test(w)) return -2;
    if (POSITIVE.has(w)) pos = true;
    else if (WEAK_NEGATIVE.has(w)) neg = true;
  }
  return neg ? (pos ? 0 : -1) : pos ? 1 : 0;
}
