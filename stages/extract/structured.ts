/**
 * Structured data as a hint: a page's JSON-LD `articleBody` (schema.org Article) is the publisher's own
 * copy of the article text. It is never the output (it is often cut short, stale, or the teaser only);
 * when the extracted text is plainly the same article, runs that share almost no words with it are
 * dropped as the blocks around the body (related lists, promos, author boxes) that the scorer kept.
 */
import { words as wordsOf } from '../lib/text.ts';

const LD_JSON = /<script\b[^>]*\btype\s*=\s*["']?application\/ld\+json["']?[^>]*>([\s\S]*?)<\/script\s*>/gi;

/** The longest `articleBody` string in the page's JSON-LD blocks, or null. */
export function jsonLdArticleBody(html: string): string | null {
  if (!html.includes('articleBody')) return null;
  let best: string | null = null;
  const visit = (v: unknown, depth: number) => {
    if (depth > 8 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x, depth + 1);
      return;
    }
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k === 'articleBody' && typeof x === 'string') {
        if (x.length > (best?.length ?? 0)) best = x;
      } else visit(x, depth + 1);
    }
  };
  for (const m of html.matchAll(LD_JSON)) {
    if (!m[1]!.includes('articleBody')) continue;
    try {
      visit(JSON.parse(m[1]!), 0);
    } catch {
      /* broken JSON-LD: no hint */
    }
  }
  return best;
}

/** The body must have this many words, and this share of the kept words must be in it (same article). */
const MIN_BODY_WORDS = 80;
const SAME_ARTICLE = 0.6;
const MIN_BODY_SHARE = 0.5;
/** A run (not a heading) of at least MIN_RUN_WORDS words with less than this share of them in the body is dropped
 * (fit-half choice: 0.2, 0.4, 0.5, 0.6, 0.8 tried, fit macro rising to 0.8). */
const RUN_SHARE = 0.8;
const MIN_RUN_WORDS = 1;

/**
 * Which of the kept text runs (by index in `runs`) to drop given the articleBody, or null when the body
 * does not apply (too short, or another text than the one extracted).
 */
export function offBodyRuns(body: string, runs: string[]): Set<number> | null {
  const bodyList = wordsOf(body.replace(/<[^>]*>/g, ' '));
  if (bodyList.length < MIN_BODY_WORDS) return null;
  const bodyWords = new Set(bodyList);
  const per = runs.map(wordsOf);
  let total = 0;
  let inBody = 0;
  for (const ws of per) {
    total += ws.length;
    for (const w of ws) if (bodyWords.has(w)) inBody++;
  }
  if (total === 0 || inBody < SAME_ARTICLE * total) return null;
  // A teaser or a cut-short body (not tuned: half the kept words) would drop paragraphs it never had.
  if (bodyList.length < MIN_BODY_SHARE * total) return null;
  const drop = new Set<number>();
  per.forEach((ws, i) => {
    if (ws.length < MIN_RUN_WORDS) return;
    let n = 0;
    for (const w of ws) if (bodyWords.has(w)) n++;
    if (n < RUN_SHARE * ws.length) drop.add(i);
  });
  return drop;
}
