/**
 * Does coherence_score separate real documents from broken ones? Real pages with images
 * (../shared/corpus/html/readability, the saved real pages, not the hand-made fixtures) are extracted
 * with the extract stage (data and corruptions: ./coherence-eval-data.ts); each gets corrupted versions:
 *   spliced   a block of paragraphs from another page inserted at a random place (10%, 25%, 50% of its paragraphs)
 *   swapped   half or all of its images replaced by another page's images (URL, alt, size, visual features)
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
 * The weights of coherence_score are fit on the FIT half of these pages (scripts/fit-coherence.ts), so the
 * default --half heldout evaluates on pages the defaults never saw (--half all: every page).
 *
 *   npx tsx scripts/eval-coherence.ts [--half heldout|fit|all] [--source main|page] [--seed 1] [--rounds 4] [--set JSON]
 *   EVAL_QUANTILES=1 also prints the quantiles of every signal per kind; EVAL_DUMP=file.json writes them all.
 */
import { parseArgs } from 'node:util';
import type { Doc } from '../schemas/doc.ts';
import { applyCoherence, coherenceDefaults, type CoherenceConfig } from '../stages/coherence/index.ts';
import { measureCoherence, type CoherenceSignals } from '../stages/coherence/signals.ts';
import { mergeConfig } from '../pipeline/config.ts';
import { visualFeatures, visualSimilarity } from '../stages/coherence/visual.ts';
import { Rng, auc, clone, corruptions, loadPages, swapped, visualPools, withVisuals, type RealImage } from './coherence-eval-data.ts';

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    half: { type: 'string', default: 'heldout' },
    // main: the page's main content (Readability's expected.html, what the extract stage aims for);
    // page: the whole page through the extract stage's walk, menus and footers included.
    source: { type: 'string', default: 'main' },
    rounds: { type: 'string', default: '4' },
    // JSON merged into the coherence config, to try thresholds: --set '{"splitSmoothing":0.02}'
    set: { type: 'string', default: '{}' },
  },
});
const rng = new Rng(Number(args.seed));

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
  const pools = await visualPools();
  // How much more alike are images of one archived page than images of two? (what the visual part can use)
  const feat = (f: RealImage) => visualFeatures({ kind: 'image', width: f.width, height: f.height, visual: { phash: f.phash, colorHist: f.colorHist } })!;
  const within: number[] = [];
  const across: number[] = [];
  pools.forEach((pa, a) => pools.forEach((pb, b) => {
    for (const x of pa) for (const y of pb) if (x !== y) (a === b ? within : across).push(visualSimilarity(feat(x), feat(y)).similarity);
  }));
  const avg = (xs: number[]) => xs.reduce((u, v) => u + v, 0) / xs.length;
  const pages = loadPages(args.source as 'main' | 'page', args.half as 'fit' | 'heldout' | 'all');
  pages.forEach((p, i) => withVisuals(p.doc, pools[i % pools.length]!));
  console.log(
    `pages: ${pages.length} real readability pages (${args.source}, ${args.half} half) with >= 1 image and >= 4 text segments; ` +
      `visual proxy: ${pools.length} archived pages with >= 2 decoded images (${pools.map((p) => p.length).join('/')} images); ` +
      `setup ${((performance.now() - t0) / 1000).toFixed(1)} s; seed ${args.seed}\n` +
      `visual similarity of two images of the same archived page: mean ${avg(within).toFixed(3)}; of two pages: ${avg(across).toFixed(3)} (AUC ${auc(within, across).toFixed(3)})`,
  );

  const orig = pages.map((p) => score(p.doc));
  // Each page is corrupted `rounds` times per kind (different donors and positions); paired
  // comparisons use round 0, AUCs all rounds.
  const rounds = Number(args.rounds);
  const makers = corruptions(pages, rng);
  const kinds: Record<string, CoherenceSignals[]> = {};
  for (const [kind, make] of Object.entries(makers)) {
    kinds[kind] = [];
    for (let r = 0; r < rounds; r++) pages.forEach((_, i) => kinds[kind]!.push(score(make(i))));
  }

  console.log('\nROC-AUC of coherence_score, original (positive) vs corrupted, pooled over pages; paired = share of pages whose original scores higher');
  console.log('kind               AUC    paired | text   image  align  | adjac  centr  unconn drift  split  order  | img_adj sites  anchor weight unanch');
  for (const [kind, corr] of Object.entries(kinds)) {
    const pairs = orig.map((o, i) => [o.coherence_score ?? 0, corr[i]!.coherence_score ?? 0] as const);
    const paired = pairs.filter(([a, b]) => a > b).length / pairs.length;
    console.log(
      `${kind.padEnd(18)} ${signalAuc(orig, corr, 'coherence_score')}  ${paired.toFixed(2)}   | ` +
        `${signalAuc(orig, corr, 'coh_text_score')}  ${signalAuc(orig, corr, 'coh_image_score')}  ${signalAuc(orig, corr, 'coh_align_score')}  | ` +
        `${signalAuc(orig, corr, 'coh_text_adjacent')}  ${signalAuc(orig, corr, 'coh_text_centroid')}  ${signalAuc(orig, corr, 'coh_text_unconnected', true)}  ${signalAuc(orig, corr, 'coh_text_drift', true)}  ${signalAuc(orig, corr, 'coh_text_split')}  ${signalAuc(orig, corr, 'coh_text_order')}  | ` +
        `${signalAuc(orig, corr, 'coh_image_adjacent')}   ${signalAuc(orig, corr, 'coh_image_sites', true)}  ${signalAuc(orig, corr, 'coh_align_anchor')}  ${signalAuc(orig, corr, 'coh_align_weighted')}  ${signalAuc(orig, corr, 'coh_align_unanchored', true)}`,
    );
  }

  // Swapped images without the visual proxy: what the real text side (alt, file names, URLs, positions) gives alone.
  const noVisual = (d: Doc) => {
    const c = clone(d);
    for (const s of c.segments) if (s.kind === 'image') s.visual = null;
    return c;
  };
  const origNV = pages.map((p) => score(noVisual(p.doc)));
  const swapNV: CoherenceSignals[] = [];
  for (let r = 0; r < rounds; r++) pages.forEach((_, i) => swapNV.push(score(noVisual(swapped(rng, pages[i]!.doc, pages[(i + 1 + rng.int(pages.length - 1)) % pages.length]!.doc, 0.5)))));
  console.log(`swapped img 50%, visual features removed: AUC ${signalAuc(origNV, swapNV, 'coherence_score')}`);

  if (process.env.EVAL_DUMP) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(process.env.EVAL_DUMP, JSON.stringify({ orig, ...kinds }));
  }
  if (process.env.EVAL_QUANTILES) {
    const keys: Key[] = ['coh_text_order', 'coh_text_adjacent', 'coh_text_centroid', 'coh_text_unconnected', 'coh_text_split', 'coh_text_drift', 'coh_image_adjacent', 'coh_image_outliers', 'coh_image_sites', 'coh_align_anchor', 'coh_align_weighted', 'coh_align_unanchored', 'coh_align_text_distance', 'coh_text_score', 'coh_image_score', 'coh_align_score'];
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
