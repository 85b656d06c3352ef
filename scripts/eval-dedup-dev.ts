/**
 * Choosing the near-duplicate default on data: precision and recall of MinHash + LSH + signature
 * verification against the exact Jaccard similarity of 5-gram shingle sets, on the whole extraction
 * dev collection (../shared/corpus/html, every set; the gold text of each page) with a fixed fit/check
 * split by site (scripts/extraction-devset.ts). Every page gets copies with 1, 2, 3, 5, 10 and 20% of
 * its words replaced, its paragraphs shuffled, and boilerplate appended; copies of one page and any
 * other pages of the same half are all candidates of each other.
 *
 * Ground truth: a pair is a duplicate when its exact Jaccard is >= 0.7 (and, reported beside it,
 * >= 0.8). Candidate pairs for the exact computation come from a permissive LSH (64 bands x 2 rows:
 * P(candidate | J = 0.4) = 1 - 0.84^64 > 0.99999), so no pair with J >= 0.7 is missed without an
 * O(n^2) loop.
 *
 *   npx tsx scripts/eval-dedup-dev.ts [--pages N] [--json]
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { defaultConfig } from '../pipeline/config.ts';
import { candidateProbability, jaccardSorted, matchingPositions, MinHasher, minMatches, shingleHashes } from '../stages/dedup/minhash.ts';
import { defaultCorpus, half, loadCases } from './extraction-devset.ts';

const { values } = parseArgs({ options: { pages: { type: 'string' }, json: { type: 'boolean' } } });
if (!existsSync(defaultCorpus)) {
  console.error(`eval-dedup-dev: the dev collection is not at ${defaultCorpus} (it lives in ../shared/corpus/html beside the repository)`);
  process.exit(2);
}
const base = defaultConfig.dedup.nearDup;

let seed = 4242;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const KINDS = ['original', 'words1', 'words2', 'words3', 'words5', 'words10', 'words20', 'shuffled', 'boilerplate'] as const;
type Kind = (typeof KINDS)[number];
const BOILERPLATE = [
  'We use cookies to improve your experience on our site. By continuing to browse you agree to our use of cookies.',
  'Sign up for our newsletter and get the best stories delivered to your inbox every morning.',
  'Home | News | Sport | Business | Culture | Travel | Contact us | Privacy policy | Terms of use',
];

function variant(paras: string[], kind: Kind, vocab: string[]): string[] {
  const replace = (f: number) => paras.map((p) => p.replace(/\S+/g, (w) => (rand() < f ? vocab[Math.floor(rand() * vocab.length)]! : w)));
  if (kind.startsWith('words')) return replace(Number(kind.slice(5)) / 100);
  if (kind === 'shuffled') {
    const p = [...paras];
    for (let i = p.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [p[i], p[j]] = [p[j]!, p[i]!];
    }
    return p;
  }
  return kind === 'boilerplate' ? [...paras, ...BOILERPLATE] : paras;
}

interface EvalDoc {
  family: number;
  kind: Kind;
  shingles: Uint32Array;
}

const limit = values.pages ? Number(values.pages) : Infinity;
if (!(limit > 0)) {
  console.error(`eval-dedup-dev: --pages takes a positive number of pages per half, got ${values.pages}`);
  process.exit(2);
}
const cases = loadCases(defaultCorpus);
const halves: Record<'fit' | 'check', EvalDoc[]> = { fit: [], check: [] };
const pagesIn = { fit: 0, check: 0 };
const vocab = cases.slice(0, 400).flatMap((c) => c.truthText.split(/\s+/)).filter((w) => /^\p{L}{3,}$/u.test(w));
cases.forEach((c, family) => {
  const paras = c.truthText.split(/\n+/).map((p) => p.trim()).filter(Boolean);
  if (shingleHashes(paras.join('\n'), base.ngram).length < 50) return; // too short to have near-duplicates
  const h = half(c.site);
  if (pagesIn[h] >= limit) return;
  pagesIn[h]++;
  for (const kind of KINDS) halves[h].push({ family, kind, shingles: shingleHashes(variant(paras, kind, vocab).join('\n'), base.ngram) });
});

const key = (i: number, j: number) => (i < j ? i * 1_000_003 + j : j * 1_000_003 + i);

/** Exact Jaccard of every pair that a permissive LSH makes a candidate (all pairs with J >= 0.4, w.h.p.). */
function truthPairs(docs: EvalDoc[]): Map<number, number> {
  const wide = new MinHasher({ ngram: base.ngram, bands: 64, rowsPerBand: 2, seed: 99 });
  const sigs = docs.map((d) => wide.signatureOfShingles(d.shingles));
  const sims = new Map<number, number>();
  for (let b = 0; b < 64; b++) {
    const buckets = new Map<string, number[]>();
    sigs.forEach((s, i) => {
      if (!s) return;
      const k = `${s[2 * b]},${s[2 * b + 1]}`;
      (buckets.get(k) ?? buckets.set(k, []).get(k)!).push(i);
    });
    for (const m of buckets.values()) {
      if (m.length > 2000) continue; // a shingle-less or boilerplate-only bucket; such pairs are far below 0.7
      for (let x = 0; x < m.length; x++) {
        for (let y = x + 1; y < m.length; y++) {
          const k = key(m[x]!, m[y]!);
          if (!sims.has(k)) sims.set(k, jaccardSorted(docs[m[x]!]!.shingles, docs[m[y]!]!.shingles));
        }
      }
    }
  }
  return sims;
}

/** Pairs the dedup edge test finds: a shared band, then >= minMatches(threshold) agreeing positions. */
function detect(docs: EvalDoc[], bands: number, rows: number, threshold: number): Set<number> {
  const hasher = new MinHasher({ ngram: base.ngram, bands, rowsPerBand: rows, seed: base.seed });
  const sigs = docs.map((d) => hasher.signatureOfShingles(d.shingles));
  const need = minMatches(threshold, hasher.k);
  const found = new Set<number>();
  for (let b = 0; b < bands; b++) {
    const buckets = new Map<string, number[]>();
    sigs.forEach((s, i) => {
      if (!s) return;
      const k = Array.from(s.subarray(b * rows, (b + 1) * rows)).join(',');
      (buckets.get(k) ?? buckets.set(k, []).get(k)!).push(i);
    });
    for (const m of buckets.values()) {
      for (let x = 0; x < m.length; x++) {
        for (let y = x + 1; y < m.length; y++) {
          const k = key(m[x]!, m[y]!);
          if (!found.has(k) && matchingPositions(sigs[m[x]!]!, sigs[m[y]!]!) >= need) found.add(k);
        }
      }
    }
  }
  return found;
}

const SETTINGS = [
  { bands: 16, rows: 7 }, // today's default
  { bands: 14, rows: 8 }, // datatrove / FineWeb
  { bands: 20, rows: 5 },
  { bands: 28, rows: 4 },
];
const THRESHOLDS = [0.65, 0.7, 0.75, 0.8];
const TRUTH_AT = [0.7, 0.8];

interface Row {
  half: 'fit' | 'check';
  setting: string;
  threshold: number;
  truthAt: number;
  precision: number;
  recall: number;
  f1: number;
  /** Share of each copy kind detected as a duplicate of its own original. */
  perKind: Record<string, number>;
}
const rows: Row[] = [];
for (const h of ['fit', 'check'] as const) {
  const docs = halves[h];
  const sims = truthPairs(docs);
  const originalOf = (i: number) => i - KINDS.indexOf(docs[i]!.kind);
  for (const s of SETTINGS) {
    for (const t of THRESHOLDS) {
      const found = detect(docs, s.bands, s.rows, t);
      const perKind: Record<string, number> = {};
      for (const kind of KINDS.slice(1)) {
        const idx = docs.map((d, i) => (d.kind === kind ? i : -1)).filter((i) => i >= 0);
        perKind[kind] = idx.filter((i) => found.has(key(originalOf(i), i))).length / idx.length;
      }
      for (const ta of TRUTH_AT) {
        let tp = 0;
        let pos = 0;
        for (const [k, j] of sims) {
          if (j < ta) continue;
          pos++;
          if (found.has(k)) tp++;
        }
        const precision = found.size ? [...found].filter((k) => (sims.get(k) ?? 0) >= ta).length / found.size : 1;
        const recall = pos ? tp / pos : 1;
        rows.push({ half: h, setting: `${s.bands}x${s.rows}`, threshold: t, truthAt: ta, precision, recall, f1: (2 * precision * recall) / (precision + recall || 1), perKind });
      }
    }
  }
}

// Meanwhile the mean exact Jaccard of each copy kind with its original (what "3% of words" means).
const meanJ: Record<string, number> = {};
for (const kind of KINDS.slice(1)) {
  const docs = halves.fit;
  const js = docs.flatMap((d, i) => (d.kind === kind ? [jaccardSorted(docs[i - KINDS.indexOf(kind)]!.shingles, d.shingles)] : []));
  meanJ[kind] = js.reduce((a, b) => a + b, 0) / js.length;
}

if (values.json) {
  console.log(JSON.stringify({ pages: pagesIn, docs: { fit: halves.fit.length, check: halves.check.length }, meanJ, rows }, null, 2));
} else {
  console.log(`dev collection: ${pagesIn.fit} fit + ${pagesIn.check} check pages (gold text, >= 50 shingles) x ${KINDS.length} variants`);
  console.log(`mean exact Jaccard with the original (fit): ${Object.entries(meanJ).map(([k, j]) => `${k} ${j.toFixed(3)}`).join(', ')}`);
  for (const s of SETTINGS) {
    const p = (x: number) => candidateProbability(x, s.bands, s.rows).toFixed(3);
    console.log(`  ${s.bands}x${s.rows}: P(candidate) at J=0.7 ${p(0.7)}, 0.75 ${p(0.75)}, 0.8 ${p(0.8)}`);
  }
  console.log('\nhalf   banding threshold | truth J>=0.7: P     R     F1   | truth J>=0.8: P     R     F1   | detected: words1 words2 words3 words5 words10');
  for (const h of ['fit', 'check'] as const) {
    for (const s of SETTINGS) {
      for (const t of THRESHOLDS) {
        const at = (ta: number) => rows.find((r) => r.half === h && r.setting === `${s.bands}x${s.rows}` && r.threshold === t && r.truthAt === ta)!;
        const a = at(0.7);
        const b = at(0.8);
        const pk = ['words1', 'words2', 'words3', 'words5', 'words10'].map((k) => (100 * a.perKind[k]!).toFixed(0).padStart(5)).join('  ');
        console.log(
          `${h.padEnd(6)} ${a.setting.padEnd(7)} ${t.toFixed(2).padEnd(9)} |  ${a.precision.toFixed(3)} ${a.recall.toFixed(3)} ${a.f1.toFixed(3)} |  ${b.precision.toFixed(3)} ${b.recall.toFixed(3)} ${b.f1.toFixed(3)} | ${pk}`,
        );
      }
    }
  }
}
