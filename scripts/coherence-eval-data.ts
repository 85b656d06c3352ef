/**
 * The evaluation data of the coherence stage, shared by scripts/eval-coherence.ts (AUC per corruption
 * kind) and scripts/fit-coherence.ts (fits the weights of coherence_score): real readability pages
 * with images, their corrupted versions, and visual features borrowed from real decoded WARC images.
 *
 * Fit/held-out split (fixed, so defaults are never fit on the pages they are judged on): the real
 * readability pages sorted by stem, even positions = fit half, odd positions = held-out half. Corrupted
 * versions only take donors from their own half.
 *
 * Visual features: the HTML pages come without image bytes, so images get the features of real
 * decoded images from WARC records of real archived pages (the Wikipedia Mona Lisa article, 2013,
 * and archive.org pages crawled in 2008): each HTML page borrows the image list of one archived page
 * (round-robin), its k-th image the features of that page's k-th image (cycling). Features follow the
 * images stage's definitions (64-bit DCT pHash of a 32x32 greyscale, 4x4x4 RGB histogram).
 */
import { readFileSync, readdirSync, createReadStream } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { WARCParser, records } from '../stages/lib/warc-parser.ts';
import type { Doc } from '../schemas/doc.ts';
import { extractHtml } from '../stages/extract/index.ts';

export const CORPUS = process.env.CORPUS_DIR ?? new URL('../../shared/corpus', import.meta.url).pathname;

// ---------- deterministic randomness ----------
export class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  /** mulberry32 */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

// ---------- visual features (same definitions as the images stage) ----------
export interface RealImage {
  url: string;
  width: number;
  height: number;
  phash: string;
  colorHist: number[];
}

const DCT_N = 32;
function phashOfGrey(grey: Uint8Array): string {
  const cos = (u: number, x: number) => Math.cos(((2 * x + 1) * u * Math.PI) / (2 * DCT_N));
  const coeffs: number[] = [];
  for (let u = 0; u < 8; u++) {
    for (let v = 0; v < 8; v++) {
      let s = 0;
      for (let y = 0; y < DCT_N; y++) for (let x = 0; x < DCT_N; x++) s += grey[y * DCT_N + x]! * cos(u, y) * cos(v, x);
      coeffs.push(s);
    }
  }
  const sorted = [...coeffs].sort((a, b) => a - b);
  const median = (sorted[31]! + sorted[32]!) / 2;
  let h = 0n;
  for (const c of coeffs) h = (h << 1n) | (c > median ? 1n : 0n);
  return h.toString(16).padStart(16, '0');
}

async function features(bytes: Uint8Array, url: string): Promise<RealImage | null> {
  try {
    const meta = await sharp(bytes, { animated: false }).metadata();
    const grey = await sharp(bytes).flatten({ background: '#ffffff' }).greyscale().resize(DCT_N, DCT_N, { fit: 'fill' }).raw().toBuffer();
    const rgb = await sharp(bytes).flatten({ background: '#ffffff' }).removeAlpha().resize(64, 64, { fit: 'fill' }).raw().toBuffer();
    const bins = new Array<number>(64).fill(0);
    for (let i = 0; i + 2 < rgb.length; i += 3) bins[((rgb[i]! >> 6) << 4) | ((rgb[i + 1]! >> 6) << 2) | (rgb[i + 2]! >> 6)]! += 1;
    const total = rgb.length / 3;
    return { url, width: meta.width!, height: meta.height!, phash: phashOfGrey(grey), colorHist: bins.map((c) => c / total) };
  } catch {
    return null; // undecodable (e.g. a tracking pixel answered with HTML)
  }
}

/** <img src> of a whole archived page (not its main content: the archived pages are mostly galleries). */
function imgSources(html: string, base: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<img\b[^>]*?\bsrc\s*=\s*["']?([^"'\s>]+)/gi)) {
    try {
      out.push(new URL(m[1]!, base).href);
    } catch {
      /* not a URL */
    }
  }
  return out;
}

/** Real archived pages with the decoded images they embed, from a WARC. */
async function archivedImagePages(file: string): Promise<RealImage[][]> {
  const images = new Map<string, RealImage>();
  const pages: { url: string; html: string }[] = [];
  {
    // records(): warcio's Content-Length warnings (WARC/0.17 quirks) are dropped, not printed.
    for await (const r of records(new WARCParser(createReadStream(file)))) {
      if (r.warcType !== 'response' && r.warcType !== 'resource') continue;
      const ct = r.httpHeaders?.headers.get('content-type') ?? '';
      const url = r.warcTargetURI ?? '';
      if (ct.startsWith('image/')) {
        const f = await features(await r.readFully(), url);
        if (f) images.set(url, f);
      } else if (ct.startsWith('text/html')) {
        pages.push({ url, html: await r.contentText() });
      }
    }
  }
  // Each image goes to the first archived page that embeds it: site chrome shared by many pages
  // (logos, buttons) would be removed by image dedup before coherence runs, and must not make two
  // pages' images look alike here.
  const out: RealImage[][] = [];
  const used = new Set<string>();
  for (const p of pages) {
    const found = [...new Set(imgSources(p.html, p.url))].filter((u) => !used.has(u)).map((u) => images.get(u)).filter((x): x is RealImage => !!x);
    if (found.length >= 2) {
      for (const f of found) used.add(f.url);
      out.push(found);
    }
  }
  return out;
}

export async function visualPools(): Promise<RealImage[][]> {
  return [
    ...(await archivedImagePages(join(CORPUS, 'warc/ukwa__webarchive-discovery/flashfrozen-jwat-recompressed.warc.gz'))),
    ...(await archivedImagePages(join(CORPUS, 'warc/netarchivesuite__solrwayback/IAH-20080430204825-00000-blackbook.warc.gz'))),
  ];
}

// ---------- documents ----------
export interface Page {
  stem: string;
  doc: Doc;
}

/**
 * Real readability pages with >= 1 image and >= 4 text segments, as documents (main content by
 * default: Readability's expected.html through the extract stage; source 'page' = the whole page).
 * half: 'fit' (even positions of the sorted real stems), 'heldout' (odd), 'all'.
 */
export function loadPages(source: 'main' | 'page', half: 'fit' | 'heldout' | 'all'): Page[] {
  const dir = join(CORPUS, 'html/readability');
  const index = readFileSync(join(CORPUS, 'html/INDEX.tsv'), 'utf8').split('\n').slice(1).map((l) => l.split('\t'));
  const real = index.filter((r) => r[0] === 'readability' && r[8] === 'False').map((r) => r[1]!).sort();
  const keep = new Set(real.filter((_, i) => half === 'all' || (i % 2 === 0) === (half === 'fit')));
  const out: Page[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.html') || f.endsWith('.expected.html')) continue;
    const stem = f.slice(0, -5);
    if (!keep.has(stem)) continue;
    const meta = JSON.parse(readFileSync(join(dir, `${stem}.expected-metadata.json`), 'utf8')) as { lang?: string; title?: string };
    const file = source === 'page' ? f : `${stem}.expected.html`;
    const ex = extractHtml(readFileSync(join(dir, file), 'utf8'), 'http://fakehost/test/page.html');
    const text = ex.segments.filter((s) => s.kind === 'text');
    const imgs = ex.segments.filter((s) => s.kind === 'image');
    if (imgs.length < 1 || text.length < 4) continue;
    out.push({
      stem,
      doc: {
        id: stem, url: `http://fakehost/${stem}`, domain: 'fakehost',
        // expected.html has no <title>; the page's title (as the pipeline would see it) is in the metadata.
        title: ex.title ?? meta.title ?? null, fetchedAt: null,
        source: { file: f, offset: 0, recordId: null, recordType: 'file' },
        // langid runs before coherence in the pipeline; here the page's declared language stands in.
        lang: meta.lang ? meta.lang.slice(0, 2).toLowerCase() : null,
        langScore: null, segments: ex.segments, signals: {},
      },
    });
  }
  return out;
}

export const clone = (d: Doc): Doc => ({ ...d, segments: d.segments.map((s) => ({ ...s })), signals: {} });

export function withVisuals(doc: Doc, imgs: RealImage[]): Doc {
  let k = 0;
  for (const s of doc.segments) {
    if (s.kind !== 'image') continue;
    const f = imgs[k++ % imgs.length]!;
    s.visual = { phash: f.phash, colorHist: f.colorHist };
    s.width = f.width;
    s.height = f.height;
  }
  return doc;
}

const textCount = (d: Doc) => d.segments.filter((s) => s.kind === 'text').length;

/** A block of the donor's paragraphs (share of the host's text segments, >= 1) inserted at a random place. */
export function spliced(rng: Rng, doc: Doc, donor: Doc, share: number): Doc {
  const out = clone(doc);
  const donorText = donor.segments.filter((s) => s.kind === 'text' && (s.text?.length ?? 0) > 0);
  const k = Math.min(donorText.length, Math.max(1, Math.round(share * textCount(out))));
  const start = rng.int(donorText.length - k + 1);
  const at = rng.int(out.segments.length + 1);
  out.segments.splice(at, 0, ...donorText.slice(start, start + k).map((s) => ({ ...s })));
  return out;
}

/** Replace a share of the images (at least one) with the donor page's images, in the donor's order. */
export function swapped(rng: Rng, doc: Doc, donor: Doc, share: number): Doc {
  const out = clone(doc);
  const donorImgs = donor.segments.filter((s) => s.kind === 'image');
  const mine = out.segments.flatMap((s, i) => (s.kind === 'image' ? [i] : []));
  const count = Math.max(1, Math.round(share * mine.length));
  const chosen = new Set(mine.map((i) => [rng.next(), i] as const).sort((a, b) => a[0] - b[0]).slice(0, count).map(([, i]) => i));
  let k = rng.int(donorImgs.length);
  out.segments = out.segments.map((s, i) => (chosen.has(i) ? { ...donorImgs[k++ % donorImgs.length]! } : s));
  return out;
}

export function shuffled(rng: Rng, doc: Doc): Doc {
  const out = clone(doc);
  const s = out.segments;
  for (let i = s.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  return out;
}

/** Corruption kinds, each a function of (rng, page index) -> corrupted document; donors from `pages` only. */
export function corruptions(pages: Page[], rng: Rng): Record<string, (i: number) => Doc> {
  const donorOf = (i: number) => pages[(i + 1 + rng.int(pages.length - 1)) % pages.length]!.doc;
  /** A donor with at least `share` of the host's paragraphs to give (else the page with the most). */
  const spliceDonor = (i: number, s: number): Doc => {
    const need = Math.round(s * textCount(pages[i]!.doc));
    const ok = pages.filter((p, j) => j !== i && textCount(p.doc) >= need);
    if (ok.length) return ok[rng.int(ok.length)]!.doc;
    return pages.filter((_, j) => j !== i).sort((a, b) => textCount(b.doc) - textCount(a.doc))[0]!.doc;
  };
  return {
    'spliced 25%': (i) => spliced(rng, pages[i]!.doc, spliceDonor(i, 0.25), 0.25),
    'spliced 10%': (i) => spliced(rng, pages[i]!.doc, spliceDonor(i, 0.1), 0.1),
    'spliced 50%': (i) => spliced(rng, pages[i]!.doc, spliceDonor(i, 0.5), 0.5),
    'swapped img 50%': (i) => swapped(rng, pages[i]!.doc, donorOf(i), 0.5),
    'swapped img all': (i) => swapped(rng, pages[i]!.doc, donorOf(i), 1),
    shuffled: (i) => shuffled(rng, pages[i]!.doc),
  };
}

// ---------- metrics ----------
/** ROC-AUC: probability that a random positive scores above a random negative (ties count half). */
export function auc(pos: number[], neg: number[]): number {
  let wins = 0;
  for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}
