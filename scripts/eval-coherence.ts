/**
 * Does coherence_score separate real documents from broken ones? Real pages with images
 * (../shared/corpus/html/readability, the saved real pages, not the hand-made fixtures) are extracted
 * with the extract stage; each gets three corrupted versions:
 *   spliced   a block of paragraphs from another page inserted at a random place (share --splice, default 25%)
 *   swapped   every image replaced by another page's images (URL, alt, size, visual features)
 *   shuffled  segment order randomly permuted
 * and the script prints the ROC-AUC of coherence_score (original = positive) per corruption kind,
 * pooled over all pages, plus the paired win rate (original scores higher than its own corruption),
 * the AUC of each component signal, and the coherence stage's throughput.
 *
 * Visual features: the HTML pages come without image bytes, so images get the features of real
 * decoded images from WARC records of real archived pages (the Wikipedia Mona Lisa article, 2013,
 * and archive.org pages crawled in 2008): each HTML page borrows the image list of one archived page
 * (round-robin), its k-th image the features of that page's k-th image (cycling). The image-sequence
 * part therefore measures whether images of one real page look more alike than images of two real
 * pages; alt text, file names and positions stay the HTML page's own, so image-text alignment is
 * measured on real data. Features follow the images stage's definitions (64-bit DCT pHash of a 32x32
 * greyscale, 4x4x4 RGB histogram) computed with sharp here.
 *
 * Documents are the pages' main content by default (Readability's expected.html run through the
 * extract stage: what a main-content extractor outputs); --source page uses the whole page.
 *
 *   npx tsx scripts/eval-coherence.ts [--source main|page] [--seed 1] [--splice 0.25] [--rounds 4] [--set JSON]
 *   EVAL_QUANTILES=1 also prints the quantiles of every signal per kind; EVAL_DUMP=file.json writes them all.
 */
import { readFileSync, readdirSync, createReadStream } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { WARCParser } from 'warcio';
import type { Doc, Segment } from '../schemas/doc.ts';
import { extractHtml } from '../stages/extract/index.ts';
import { applyCoherence, coherenceDefaults, type CoherenceConfig } from '../stages/coherence/index.ts';
import { measureCoherence, type CoherenceSignals } from '../stages/coherence/signals.ts';
import { mergeConfig } from '../pipeline/config.ts';
import { visualFeatures, visualSimilarity } from '../stages/coherence/visual.ts';

const CORPUS = process.env.CORPUS_DIR ?? new URL('../../shared/corpus', import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    splice: { type: 'string', default: '0.25' },
    // main: the page's main content (Readability's expected.html, what the extract stage aims for);
    // page: the whole page through the extract stage's walk, menus and footers included.
    source: { type: 'string', default: 'main' },
    rounds: { type: 'string', default: '4' },
    // JSON merged into the coherence config, to try thresholds: --set '{"splitSmoothing":0.02}'
    set: { type: 'string', default: '{}' },
  },
});

// ---------- deterministic randomness ----------
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(Number(args.seed));
const randInt = (n: number) => Math.floor(rand() * n);

// ---------- visual features (same definitions as the images stage) ----------
interface RealImage {
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
    const img = sharp(bytes, { animated: false }).flatten({ background: '#ffffff' });
    const meta = await img.metadata();
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

/** Real archived pages with the decoded images they embed, from a WARC. */
async function archivedImagePages(file: string): Promise<RealImage[][]> {
  const images = new Map<string, RealImage>();
  const pages: { url: string; html: string }[] = [];
  const origLog = console.log; // warcio reports WARC/0.17 length quirks on stdout
  console.log = () => {};
  try {
    for await (const r of new WARCParser(createReadStream(file))) {
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
  } finally {
    console.log = origLog;
  }
  // Each image goes to the first archived page that embeds it: site chrome shared by many pages
  // (logos, buttons) would be removed by image dedup before coherence runs, and must not make two
  // pages' images look alike here.
  const out: RealImage[][] = [];
  const used = new Set<string>();
  for (const p of pages) {
    const urls = extractHtml(p.html, p.url).segments.filter((s) => s.kind === 'image').map((s) => s.url!);
    const found = [...new Set(urls)].filter((u) => !used.has(u)).map((u) => images.get(u)).filter((x): x is RealImage => !!x);
    if (found.length >= 2) {
      for (const f of found) used.add(f.url);
      out.push(found);
    }
  }
  return out;
}

// ---------- documents ----------
function loadPages(): { stem: string; doc: Doc }[] {
  const dir = join(CORPUS, 'html/readability');
  const index = readFileSync(join(CORPUS, 'html/INDEX.tsv'), 'utf8').split('\n').slice(1).map((l) => l.split('\t'));
  const real = new Set(index.filter((r) => r[0] === 'readability' && r[8] === 'False').map((r) => r[1]!));
  const out: { stem: string; doc: Doc }[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.html') || f.endsWith('.expected.html')) continue;
    const stem = f.slice(0, -5);
    if (!real.has(stem)) continue;
    const meta = JSON.parse(readFileSync(join(dir, `${stem}.expected-metadata.json`), 'utf8')) as { lang?: string };
    const file = args.source === 'page' ? f : `${stem}.expected.html`;
    const ex = extractHtml(readFileSync(join(dir, file), 'utf8'), 'http://fakehost/test/page.html');
    const text = ex.segments.filter((s) => s.kind === 'text');
    const imgs = ex.segments.filter((s) => s.kind === 'image');
    if (imgs.length < 1 || text.length < 4) continue;
    out.push({
      stem,
      doc: {
        id: stem, url: `http://fakehost/${stem}`, domain: 'fakehost', title: ex.title, fetchedAt: null,
        source: { file: f, offset: 0, recordId: null, recordType: 'file' },
        // langid runs before coherence in the pipeline; here the page's declared language stands in.
        lang: meta.lang ? meta.lang.slice(0, 2).toLowerCase() : null,
        langScore: null, segments: ex.segments, signals: {},
      },
    });
  }
  return out;
}

const clone = (d: Doc): Doc => ({ ...d, segments: d.segments.map((s) => ({ ...s })), signals: {} });

function withVisuals(doc: Doc, imgs: RealImage[]): Doc {
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

function spliced(doc: Doc, donor: Doc, share: number): Doc {
  const out = clone(doc);
  const donorText = donor.segments.filter((s) => s.kind === 'text' && (s.text?.length ?? 0) > 0);
  const nText = out.segments.filter((s) => s.kind === 'text').length;
  const k = Math.min(donorText.length, Math.max(1, Math.round(share * nText)));
  const start = randInt(donorText.length - k + 1);
  const at = randInt(out.segments.length + 1);
  out.segments.splice(at, 0, ...donorText.slice(start, start + k).map((s) => ({ ...s })));
  return out;
}

/** Replace a share of the images (at least one) with the donor page's images, in the donor's order. */
function swapped(doc: Doc, donor: Doc, share: number): Doc {
  const out = clone(doc);
  const donorImgs = donor.segments.filter((s) => s.kind === 'image');
  const mine = out.segments.flatMap((s, i) => (s.kind === 'image' ? [i] : []));
  const count = Math.max(1, Math.round(share * mine.length));
  const chosen = new Set(mine.map((i) => [rand(), i] as const).sort((a, b) => a[0] - b[0]).slice(0, count).map(([, i]) => i));
  let k = randInt(donorImgs.length);
  out.segments = out.segments.map((s, i) => (chosen.has(i) ? { ...donorImgs[k++ % donorImgs.length]! } : s));
  return out;
}

function shuffled(doc: Doc): Doc {
  const out = clone(doc);
  const s = out.segments;
  for (let i = s.length - 1; i > 0; i--) {
    const j = randInt(i + 1);
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  return out;
}

// ---------- metrics ----------
/** ROC-AUC: probability that a random positive scores above a random negative (ties count half). */
function auc(pos: number[], neg: number[]): number {
  let wins = 0;
  for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

type Key = keyof CoherenceSignals;
const measureCfg: CoherenceConfig = mergeConfig(coherenceDefaults, JSON.parse(args.set!));

function score(doc: Doc): CoherenceSignals {
  return measureCoherence(doc, measureCfg).signals;
}

/** AUC of one signal (higher = coherent unless `lowerIsCoherent`); null values are skipped. */
function signalAuc(orig: CoherenceSignals[], corr: CoherenceSignals[], key: Key, lowerIsCoherent = false): string {
  const pick = (xs: CoherenceSignals[]) =>
    xs.map((x) => x[key]).filter((v): v is number => typeof v === 'number').map((v) => (lowerIsCoherent ? -v : v));
  const p = pick(orig);
  const n = pick(corr);
  return p.length && n.length ? auc(p, n).toFixed(3) : '  -  ';
}

async function main() {
  const t0 = performance.now();
  const pools = [
    ...(await archivedImagePages(join(CORPUS, 'warc/ukwa__webarchive-discovery/flashfrozen-jwat-recompressed.warc.gz'))),
    ...(await archivedImagePages(join(CORPUS, 'warc/netarchivesuite__solrwayback/IAH-20080430204825-00000-blackbook.warc.gz'))),
  ];
  // How much more alike are images of one archived page than images of two? (what the visual part can use)
  const feat = (f: RealImage) => visualFeatures({ kind: 'image', width: f.width, height: f.height, visual: { phash: f.phash, colorHist: f.colorHist } })!;
  const within: number[] = [];
  const across: number[] = [];
  pools.forEach((pa, a) => pools.forEach((pb, b) => {
    for (const x of pa) for (const y of pb) if (x !== y) (a === b ? within : across).push(visualSimilarity(feat(x), feat(y)).similarity);
  }));
  const avg = (xs: number[]) => xs.reduce((u, v) => u + v, 0) / xs.length;
  const pages = loadPages();
  pages.forEach((p, i) => withVisuals(p.doc, pools[i % pools.length]!));
  console.log(
    `pages: ${pages.length} real readability pages (${args.source}) with >= 1 image and >= 4 text segments; ` +
      `visual proxy: ${pools.length} archived pages with >= 2 decoded images (${pools.map((p) => p.length).join('/')} images); ` +
      `setup ${((performance.now() - t0) / 1000).toFixed(1)} s\n` +
      `visual similarity of two images of the same archived page: mean ${avg(within).toFixed(3)}; of two pages: ${avg(across).toFixed(3)} (AUC ${auc(within, across).toFixed(3)})`,
  );

  const share = Number(args.splice);
  const donorOf = (i: number) => (i + 1 + randInt(pages.length - 1)) % pages.length;
  const textCount = (d: Doc) => d.segments.filter((s) => s.kind === 'text').length;
  /** A donor with at least `share` of the host's paragraphs to give (else the page with the most). */
  const spliceDonor = (i: number, s: number): Doc => {
    const need = Math.round(s * textCount(pages[i]!.doc));
    const ok = pages.filter((p, j) => j !== i && textCount(p.doc) >= need);
    if (ok.length) return ok[randInt(ok.length)]!.doc;
    return pages.filter((_, j) => j !== i).sort((a, b) => textCount(b.doc) - textCount(a.doc))[0]!.doc;
  };
  const orig = pages.map((p) => score(p.doc));
  // Each page is corrupted `rounds` times per kind (different donors and positions); paired
  // comparisons use round 0, AUCs all rounds.
  const rounds = Number(args.rounds);
  const repeat = (make: (i: number) => Doc) => {
    const out: CoherenceSignals[] = [];
    for (let r = 0; r < rounds; r++) pages.forEach((_, i) => out.push(score(make(i))));
    return out;
  };
  const kinds: Record<string, CoherenceSignals[]> = {
    [`spliced ${Math.round(share * 100)}%`]: repeat((i) => spliced(pages[i]!.doc, spliceDonor(i, share), share)),
    'spliced 10%': repeat((i) => spliced(pages[i]!.doc, spliceDonor(i, 0.1), 0.1)),
    'spliced 50%': repeat((i) => spliced(pages[i]!.doc, spliceDonor(i, 0.5), 0.5)),
    'swapped img 50%': repeat((i) => swapped(pages[i]!.doc, pages[donorOf(i)]!.doc, 0.5)),
    'swapped img all': repeat((i) => swapped(pages[i]!.doc, pages[donorOf(i)]!.doc, 1)),
    shuffled: repeat((i) => shuffled(pages[i]!.doc)),
  };

  console.log('\nROC-AUC of coherence_score, original (positive) vs corrupted, pooled over pages; paired = share of pages whose original scores higher');
  console.log('kind               AUC    paired | text   image  align  | adjac  centr  unconn drift  split  order  | img_adj outl  anchor unanch');
  for (const [kind, corr] of Object.entries(kinds)) {
    const pairs = orig.map((o, i) => [o.coherence_score ?? 0, corr[i]!.coherence_score ?? 0] as const);
    const paired = pairs.filter(([a, b]) => a > b).length / pairs.length;
    console.log(
      `${kind.padEnd(18)} ${signalAuc(orig, corr, 'coherence_score')}  ${paired.toFixed(2)}   | ` +
        `${signalAuc(orig, corr, 'coh_text_score')}  ${signalAuc(orig, corr, 'coh_image_score')}  ${signalAuc(orig, corr, 'coh_align_score')}  | ` +
        `${signalAuc(orig, corr, 'coh_text_adjacent')}  ${signalAuc(orig, corr, 'coh_text_centroid')}  ${signalAuc(orig, corr, 'coh_text_unconnected', true)}  ${signalAuc(orig, corr, 'coh_text_drift', true)}  ${signalAuc(orig, corr, 'coh_text_split')}  ${signalAuc(orig, corr, 'coh_text_order')}  | ` +
        `${signalAuc(orig, corr, 'coh_image_adjacent')}   ${signalAuc(orig, corr, 'coh_image_outliers', true)}  ${signalAuc(orig, corr, 'coh_align_anchor')}  ${signalAuc(orig, corr, 'coh_align_unanchored', true)}`,
    );
  }

  // Swapped images without the visual proxy: what the real text side (alt, file names, positions) gives alone.
  const noVisual = (d: Doc) => {
    const c = clone(d);
    for (const s of c.segments) if (s.kind === 'image') s.visual = null;
    return c;
  };
  const origNV = pages.map((p) => score(noVisual(p.doc)));
  const swapNV = repeat((i) => noVisual(swapped(pages[i]!.doc, pages[donorOf(i)]!.doc, 0.5)));
  console.log(`swapped img 50%, alignment only (visual features removed): AUC ${signalAuc(origNV, swapNV, 'coherence_score')}`);

  if (process.env.EVAL_DUMP) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(process.env.EVAL_DUMP, JSON.stringify({ orig, ...kinds }));
  }
  if (process.env.EVAL_QUANTILES) {
    const keys: Key[] = ['coh_text_order', 'coh_text_adjacent', 'coh_text_centroid', 'coh_text_unconnected', 'coh_text_split', 'coh_text_drift', 'coh_image_adjacent', 'coh_image_outliers', 'coh_align_anchor', 'coh_align_unanchored', 'coh_align_text_distance', 'coh_text_score', 'coh_image_score', 'coh_align_score'];
    const qs = (xs: CoherenceSignals[], k: Key) => {
      const v = xs.map((x) => x[k]).filter((x): x is number => typeof x === 'number').sort((a, b) => a - b);
      return [0.05, 0.1, 0.25, 0.5, 0.75, 0.9].map((p) => (v.length ? v[Math.floor(p * v.length)]!.toFixed(3) : '-')).join(' ');
    };
    for (const k of keys) {
      console.log(`${k.padEnd(24)} orig ${qs(orig, k)}`);
      for (const [kind, corr] of Object.entries(kinds)) console.log(`${''.padEnd(24)} ${kind.slice(0, 8)} ${qs(corr, k)}`);
    }
  }
  const scores = orig.map((o) => o.coherence_score).filter((v): v is number => v !== null).sort((a, b) => a - b);
  const q = (p: number) => scores[Math.min(scores.length - 1, Math.floor(p * scores.length))]!.toFixed(3);
  console.log(`\noriginal coherence_score: min ${q(0)} p02 ${q(0.02)} p10 ${q(0.1)} median ${q(0.5)} max ${q(1)}`);
  const below = orig.filter((o) => o.coherence_score !== null && o.coherence_score < coherenceDefaults.minScore).length;
  console.log(`originals below minScore ${coherenceDefaults.minScore}: ${below}/${orig.length}; corrupted below: ` +
    Object.entries(kinds).map(([k, c]) => `${k} ${c.filter((o) => o.coherence_score !== null && o.coherence_score < coherenceDefaults.minScore).length}`).join(', '));

  // Throughput of the stage's work (measure + segment drops + decision) on the original documents.
  const docs = pages.map((p) => p.doc);
  const segs = docs.reduce((n, d) => n + d.segments.length, 0);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < 3000) for (const d of docs) (applyCoherence(clone(d), measureCfg), n++);
  const secs = (performance.now() - start) / 1000;
  console.log(`\nthroughput: ${(n / secs).toFixed(0)} docs/s (${((n / secs) * segs / docs.length).toFixed(0)} segments/s; mean ${Math.round(segs / docs.length)} segments/doc), one core of a shared 2-core machine`);
}

await main();
