/**
 * Per-site rules for users who know a site (`extract.siteRules` in config): for pages whose URL is on
 * a domain (or matches a URL pattern), CSS selectors name the content root and the blocks to remove.
 * They are applied with cheerio, only on the pages that match: the page is cut down to what the rule
 * keeps and then goes through the same tree builder, so text runs, images and their order come out as
 * everywhere else. Every other page goes through the generic extractor untouched.
 */
import { createRequire } from 'node:module';
import { UserError } from '../lib/errors.ts';

type Cheerio = typeof import('cheerio');
let loaded: Cheerio | null = null;
/** cheerio is loaded on first use (~0.4 CPU-s at start-up): only configs with site rules need it. */
function cheerio(): Cheerio {
  return (loaded ??= createRequire(import.meta.url)('cheerio') as Cheerio);
}

export interface SiteRule {
  /** A host or registered domain: matches it and its subdomains ("example.com" matches www.example.com). */
  domain?: string;
  /** Or a URL pattern, `*` matching any run of characters: "https://forum.example.org/t/*". */
  url?: string;
  /** CSS selector of the content root; every element it matches is kept, in page order. Without it
   * (or when it matches nothing on a page) the generic extractor chooses the content of what is left. */
  content?: string;
  /** CSS selectors of blocks to remove (comment widgets, related lists, ad slots ...). */
  remove?: string[];
  /** Name shown by `corpus extract --explain` (default: the domain or URL pattern). */
  name?: string;
}

export class SiteRuleError extends UserError {
  readonly code = 'ERR_SITE_RULE';
}

interface Compiled {
  rule: SiteRule;
  name: string;
  domain: string | null;
  url: RegExp | null;
}

const compiledCache = new WeakMap<SiteRule[], Compiled[]>();

function checkSelector(where: string, sel: unknown): void {
  if (typeof sel !== 'string' || !sel.trim()) throw new SiteRuleError(`${where}: expected a CSS selector string`);
  try {
    cheerio().load('<p></p>')(sel);
  } catch (e) {
    throw new SiteRuleError(`${where}: not a valid CSS selector (${(e as Error).message.split('\n')[0]}): ${sel}`);
  }
}

/** Check and compile the rules once (cached per rules array); a bad rule is a one-line SiteRuleError. */
export function compileSiteRules(rules: SiteRule[] | undefined): Compiled[] {
  if (!rules || rules.length === 0) return [];
  const hit = compiledCache.get(rules);
  if (hit) return hit;
  if (!Array.isArray(rules)) throw new SiteRuleError('config extract.siteRules: expected an array of rules');
  const out = rules.map((rule, i): Compiled => {
    const where = `config extract.siteRules[${i}]`;
    if (typeof rule !== 'object' || rule === null) throw new SiteRuleError(`${where}: expected an object`);
    const known = new Set(['domain', 'url', 'content', 'remove', 'name']);
    for (const k of Object.keys(rule))
      if (!known.has(k)) throw new SiteRuleError(`${where}.${k}: unknown key (known: ${[...known].join(', ')})`);
    if (!rule.domain === !rule.url) throw new SiteRuleError(`${where}: give either "domain" or "url" (a pattern with *)`);
    if (rule.domain !== undefined && (typeof rule.domain !== 'string' || !/^[a-z0-9.-]+$/i.test(rule.domain)))
      throw new SiteRuleError(`${where}.domain: expected a host name such as "example.com", got ${JSON.stringify(rule.domain)}`);
    if (rule.url !== undefined && typeof rule.url !== 'string') throw new SiteRuleError(`${where}.url: expected a string`);
    if (rule.content === undefined && !rule.remove?.length)
      throw new SiteRuleError(`${where}: give "content" (a CSS selector) or "remove" (CSS selectors), or both`);
    if (rule.content !== undefined) checkSelector(`${where}.content`, rule.content);
    if (rule.remove !== undefined) {
      if (!Array.isArray(rule.remove)) throw new SiteRuleError(`${where}.remove: expected an array of CSS selectors`);
      rule.remove.forEach((s, k) => checkSelector(`${where}.remove[${k}]`, s));
    }
    const url = rule.url ? new RegExp(`^${rule.url.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i') : null;
    return { rule, name: rule.name ?? rule.domain ?? rule.url!, domain: rule.domain?.toLowerCase().replace(/^\.+|\.+$/g, '') ?? null, url };
  });
  compiledCache.set(rules, out);
  return out;
}

/** The first rule that matches the page URL, or null. */
export function matchSiteRule(rules: SiteRule[] | undefined, pageUrl: string): Compiled | null {
  const compiled = compileSiteRules(rules);
  if (!compiled.length) return null;
  let host = '';
  try {
    host = new URL(pageUrl).hostname.toLowerCase();
  } catch {
    /* no URL: only URL patterns can match */
  }
  for (const c of compiled) {
    if (c.domain && host && (host === c.domain || host.endsWith(`.${c.domain}`))) return c;
    if (c.url?.test(pageUrl)) return c;
  }
  return null;
}

export interface RuleResult {
  /** The page cut down by the rule: its <head>, then the content roots (or the whole body, blocks removed). */
  html: string;
  /** Elements removed by `remove`, and content roots found (null: the rule has no content selector). */
  removed: number;
  roots: number | null;
}

/** Apply a matching rule to the page with cheerio. */
export function applySiteRule(html: string, c: Compiled): RuleResult {
  const $ = cheerio().load(html);
  let removed = 0;
  for (const sel of c.rule.remove ?? []) {
    const found = $(sel);
    removed += found.length;
    found.remove();
  }
  const lang = $('html').attr('lang');
  const head = `<head>${$('head').html() ?? ''}</head>`;
  const open = `<html${lang ? ` lang="${lang.replace(/"/g, '&quot;')}"` : ''}>`;
  const whole = () => `${open}${head}<body>${$('body').html() ?? ''}</body></html>`;
  if (!c.rule.content) return { html: whole(), removed, roots: null };
  // Roots inside another root are kept once, with their ancestor.
  const roots = $(c.rule.content).filter((_, el) => $(el).parents().filter(c.rule.content!).length === 0);
  // No root on this page (another template of the site): the generic extractor reads what is left.
  if (roots.length === 0) return { html: whole(), removed, roots: 0 };
  const body = roots.toArray().map((el) => $.html(el)).join('\n');
  return { html: `${open}${head}<body>${body}</body></html>`, removed, roots: roots.length };
}
