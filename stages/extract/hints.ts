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
 * Boilerplate whatever else the name says ("comment-body" is still a comment). Matched anywhere in
 * the class/id text: these words are distinctive enough ("leftSidebar", "social-links").
 */
const STRONG_NEGATIVE =
  /comment(?!ary)|disqus|sidebar|side-bar|cookie|consent|gdpr|newsletter|subscri(?:be|ption)|signup|sign-up|outbrain|taboola|sponsor|advert|popup|modal|breadcrumb|pagination|social|share|sharing|related|recommend|promo|skyscraper|masthead|login|paywall|byline|jump-?link|skip-?link|tag-?cloud|shoutbox|most-?(?:read|popular|viewed)|read-?next|more-?(?:stories|articles|news)/;

/** Boilerplate unless a content word is there too ("post-footer" no, "main-header" no). Whole words. */
const WEAK_NEGATIVE = new Set([
  'footer', 'header', 'nav', 'navbar', 'navigation', 'menu', 'widget', 'widgets', 'banner', 'meta', 'tags',
  'tag', 'bio', 'author', 'toolbar', 'extra', 'aside', 'popular', 'trending', 'more', 'rss', 'print', 'ad',
  'ads', 'adv', 'links', 'utility', 'dateline', 'timestamp', 'date', 'caption-credit', 'copyright', 'legal',
  'pager', 'breadcrumbs', 'supplemental', 'rail', 'topbar', 'dropdown', 'tooltip', 'overlay',
]);

/** Words of main content containers (whole words). */
const POSITIVE = new Set([
  'article', 'articles', 'body', 'content', 'contents', 'entry', 'main', 'post', 'posts', 'story', 'text',
  'blog', 'prose', 'markdown', 'hentry', 'h-entry', 'articlebody', 'postbody', 'storybody', 'entrycontent',
  'maincontent', 'thread', 'message', 'answer', 'question', 'topic', 'recipe', 'instructions', 'steps',
]);

function words(s: string): string[] {
  return s
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/);
}

/**
 * Hint of one block: +2 a declared main-content landmark (role=main, itemprop=articleBody),
 * +1 a content word, -1 boilerplate, 0 nothing known.
 */
export function classHint(cls: string, id: string, role: string, itemprop: string, itemtype: string): number {
  if (role === 'main' || /\barticleBody\b|\breviewBody\b/i.test(itemprop)) return 2;
  if (/comment/i.test(itemprop) || /Comment$/.test(itemtype)) return -1;
  const text = cls || id ? `${cls} ${id}` : '';
  if (!text) return role === 'article' ? 1 : 0;
  const lower = text.toLowerCase();
  if (STRONG_NEGATIVE.test(lower)) return -1;
  let pos = role === 'article';
  let neg = false;
  for (const w of words(text)) {
    if (POSITIVE.has(w)) pos = true;
    else if (WEAK_NEGATIVE.has(w)) neg = true;
  }
  return neg ? (pos ? 0 : -1) : pos ? 1 : 0;
}
