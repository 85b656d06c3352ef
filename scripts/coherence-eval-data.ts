/**
 * The coherence evaluation's real pages (scripts/eval-coherence.ts, scripts/fit-coherence.ts):
 *   - the development collection ../shared/corpus/html (html/DEVSETS.md: nine sets, 3,220 pages), each page
 *     through the extract stage; pages whose output has >= 8 paragraphs (text segments) are kept, except the
 *     19 whose gold does not match their HTML (audit coverage < 0.8);
 *   - the archived pages of the corpus WARCs that embed decoded images, through the extract stage, each
 *     image segment given the visual features (images stage definitions) of its real bytes.
 * Each page gets a site (registrable domain of its URL; the file name for pages without one) and a fixed
 * half by a hash of the site (stages/coherence/eval.ts: halfOf). Corruptions and fitting: eval.ts.
 *
 * Extraction takes ~40 s on the shared machine, so the documents are cached in the OS temp dir, keyed by
 * a hash of the extract stage's sources (EVAL_NO_CACHE=1 redoes it).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import sharp from 'sharp';
import type { Doc, Segment } from '../schemas/doc.ts';
import { WARCParser, records } from '../stages/lib/warc-parser.ts';
import { extractHtml } from '../stages/extract/index.ts';
import { halfOf, sampleSet, siteOf, type EvalPage, type Sample } from '../stages/coherence/eval.ts';
import { coherenceDefaults, type CoherenceConfig } from '../stages/coherence/index.ts';
import { currentDfTable } from '../stages/coherence/text.ts';
import { sharedCorpus } from './lib/shared-corpus.ts';

export const CORPUS = sharedCorpus();
export const MIN_PARAGRAPHS = 8;

export interface LoadedPage extends EvalPage {
  set: string;
  licence: string;
  half: 'fit' | 'check';
}

// ---------- visual features (same definitions as the images stage) ----------
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

interface RealImage {
  width: number;
  height: number;
  phash: string;
  colorHist: number[];
}

async function features(bytes: Uint8Array): Promise<RealImage | null> {
  try {
    const meta = await sharp(bytes, { animated: false }).metadata();
    const grey = await sharp(bytes).flatten({ background: '#ffffff' }).greyscale().resize(DCT_N, DCT_N, { fit: 'fill' }).raw().toBuffer();
    const rgb = await sharp(bytes).flatten({ background: '#ffffff' }).removeAlpha().resize(64, 64, { fit: 'fill' }).raw().toBuffer();
    const bins = new Array<number>(64).fill(0);
    for (let i = 0; i + 2 < rgb.length; i += 3) bins[((rgb[i]! >> 6) << 4) | ((rgb[i + 1]! >> 6) << 2) | (rgb[i + 2]! >> 6)]! += 1;
    const total = rgb.length / 3;
    return { width: meta.width!, height: meta.height!, phash: phashOfGrey(grey), colorHist: bins.map((c) => c / total) };
  } catch {
    return null; // undecodable (e.g. a tracking pixel answered with HTML)
  }
}

function docOf(id: string, url: string, title: string | null, lang: string | null, segments: Segment[], file: string): Doc {
  return {
    id, url, domain: siteOf(url), title, fetchedAt: null,
    source: { file, offset: 0, recordId: null, recordType: 'file' },
    // langid runs before coherence in the pipeline; here the page's declared language stands in.
    lang: lang ? lang.slice(0, 2).toLowerCase() : null,
    langScore: null, segments, signals: {},
  };
}

const paragraphs = (d: Doc) => d.segments.filter((s) => s.kind === 'text').length;

/** Archived HTML pages of the corpus WARCs that embed >= 1 decoded image, with those images' real features. */
async function warcPages(file: string): Promise<LoadedPage[]> {
  const imgs = new Map<string, RealImage>();
  const html: { url: string; html: string }[] = [];
  for await (const r of records(new WARCParser(createReadStream(file)))) {
    if (r.warcType !== 'response' && r.warcType !== 'resource') continue;
    const ct = r.httpHeaders?.headers.get('content-type') ?? '';
    const url = r.warcTargetURI ?? '';
    if (ct.startsWith('image/')) {
      const f = await features(await r.readFully());
      if (f) imgs.set(url, f);
    } else if (ct.startsWith('text/html')) html.push({ url, html: await r.contentText() });
  }
  const out: LoadedPage[] = [];
  for (const p of html) {
    const ex = extractHtml(p.html, p.url);
    let decoded = 0;
    for (const s of ex.segments) {
      const f = s.kind === 'image' ? imgs.get(s.url ?? '') : undefined;
      if (!f) continue;
      s.visual = { phash: f.phash, colorHist: f.colorHist };
      s.width = f.width;
      s.height = f.height;
      decoded++;
    }
    const doc = docOf(p.url, p.url, ex.title, ex.declaredLang, ex.segments, file);
    if (decoded < 1 || paragraphs(doc) < 4) continue;
    const site = siteOf(p.url);
    out.push({ id: `warc:${p.url}`, site, doc, set: 'warc', licence: 'see corpus/MANIFEST.tsv', half: halfOf(site) });
  }
  return out;
}

function devPages(): LoadedPage[] {
  const dir = join(CORPUS, 'html');
  const rows = readFileSync(join(dir, 'DEVSETS-MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  const out: LoadedPage[] = [];
  for (const r of rows) {
    const [set, stem, url, , , , licence] = r as string[];
    const coverage = Number(r[14]);
    if (Number.isFinite(coverage) && coverage < 0.8) continue;
    const meta = JSON.parse(readFileSync(join(dir, set!, `${stem}.json`), 'utf8')) as { detected_encoding?: string; html_lang?: string; title?: string };
    const bytes = gunzipSync(readFileSync(join(dir, set!, `${stem}.html.gz`)));
    let html: string;
    try {
      html = new TextDecoder(meta.detected_encoding || 'utf-8').decode(bytes);
    } catch {
      html = new TextDecoder('utf-8').decode(bytes);
    }
    const pageUrl = url || `http://${set}.invalid/${stem}`;
    const ex = extractHtml(html, pageUrl);
    const doc = docOf(`${set}/${stem}`, pageUrl, ex.title ?? meta.title ?? null, meta.html_lang || ex.declaredLang, ex.segments, `${set}/${stem}.html.gz`);
    if (paragraphs(doc) < MIN_PARAGRAPHS) continue;
    const site = url ? siteOf(url) : `${set}/${stem}`;
    out.push({ id: doc.id, site, doc, set: set!, licence: licence!, half: halfOf(site) });
  }
  return out;
}

function sourcesHash(): string {
  const h = createHash('sha256');
  for (const d of ['stages/extract', 'stages/lib']) {
    const abs = new URL(`../${d}/`, import.meta.url).pathname;
    for (const f of readdirSync(abs).sort()) if (f.endsWith('.ts')) h.update(readFileSync(join(abs, f)));
  }
  h.update(readFileSync(new URL(import.meta.url).pathname));
  return h.digest('hex').slice(0, 16);
}

/** Every eval page (both halves), from the cache when the extractor has not changed. */
export async function loadEvalPages(): Promise<LoadedPage[]> {
  const cache = join(tmpdir(), `coherence-eval-${sourcesHash()}.json.gz`);
  if (!process.env.EVAL_NO_CACHE && existsSync(cache)) return JSON.parse(gunzipSync(readFileSync(cache)).toString('utf8')) as LoadedPage[];
  const pages = [
    ...devPages(),
    ...(await warcPages(join(CORPUS, 'warc/ukwa__webarchive-discovery/flashfrozen-jwat-recompressed.warc.gz'))),
    ...(await warcPages(join(CORPUS, 'warc/netarchivesuite__solrwayback/IAH-20080430204825-00000-blackbook.warc.gz'))),
  ];
  writeFileSync(cache, gzipSync(JSON.stringify(pages)));
  return pages;
}

/** The measure settings (not the score) of a config: what the signal columns depend on. */
const measureKey = (cfg: CoherenceConfig) => {
  const { score: _s, combine: _c, minScore: _m, ...rest } = cfg;
  return JSON.stringify(rest);
};

/**
 * The sources the signals come from, read when this module is loaded (with the stage's modules, before any
 * measuring): a source edited while a long eval runs must not give that run's samples the new source's key.
 * Every file of stages/coherence but index.ts (config and fitted weights: scores are recomputed from the
 * signals) and onnx.ts (the model scorer, not used here), and stages/lib (words, stopwords).
 */
const MEASURE_SOURCES = ['coherence', 'lib']
  .flatMap((d) => {
    const dir = new URL(`../stages/${d}/`, import.meta.url).pathname;
    return readdirSync(dir).sort().filter((f) => f.endsWith('.ts') && !(d === 'coherence' && (f === 'index.ts' || f === 'onnx.ts'))).map((f) => readFileSync(join(dir, f), 'utf8'));
  })
  .join('\0');

/**
 * sampleSet of one half and seed, cached in the OS temp dir: measuring ~11,000 documents takes minutes on the
 * shared machine, and refits or rescoring (scores are recomputed from the signal columns) need no new measure.
 * Keyed by the sources the signals depend on (MEASURE_SOURCES), the document-frequency
 * table IN USE (currentDfTable: fit-coherence measures with the df of the fit half it has just counted, not
 * term-df.json on disk; keying by the file let a fit read samples measured with another table, and an eval
 * read samples a fit had measured with its own), the half and the seed; only with the default measure settings (else measured afresh). EVAL_NO_CACHE=1 re-measures.
 */
export function halfSamples(all: LoadedPage[], half: 'fit' | 'check' | 'all', seed: number, cfg: CoherenceConfig): Sample[] {
  const pages = all.filter((p) => half === 'all' || p.half === half);
  const h = createHash('sha256').update(MEASURE_SOURCES);
  h.update(JSON.stringify(currentDfTable()));
  const dir = join(tmpdir(), 'coh');
  const file = join(dir, `samples-${h.digest('hex').slice(0, 10)}-${half}-${seed}.json.gz`);
  const cacheable = !process.env.EVAL_NO_CACHE && measureKey(cfg) === measureKey(coherenceDefaults);
  if (cacheable && existsSync(file)) return JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as Sample[];
  const samples = sampleSet(pages, seed, cfg);
  if (cacheable) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, gzipSync(JSON.stringify(samples)));
  }
  return samples;
}
