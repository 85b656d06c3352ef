/**
 * Near-duplicate detection, measured on an evaluation set generated from the real pages of
 * ../shared/corpus (readability, newspaper4k and magic-html pages; synthetic fixtures left out):
 * every page plus copies with 0%, 5%, 20%, 50% of its words replaced, its paragraphs shuffled, and
 * boilerplate appended. Ground truth is the exact Jaccard similarity of the shingle sets, computed
 * for every pair; a pair is a duplicate when it is >= the configured threshold.
 *
 * Detection is the edge test of the dedup stage and of `corpus dedup`: the pair shares an LSH band
 * and at least minMatches(threshold, k) signature positions agree. Also printed: how each kind of
 * copy fares, other bandings for comparison, and what the in-run stage drops in one pass.
 *
 *   npx tsx scripts/eval-dedup.ts [--threshold 0.8] [--json]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultConfig, mergeConfig } from '../pipeline/config.ts';
import { standaloneContext } from '../pipeline/context.ts';
import type { Doc } from '../schemas/doc.ts';
import { extractHtml } from '../stages/extract/index.ts';
import { dedupStage, describeBanding, type DedupConfig } from '../stages/dedup/index.ts';
import { bandEqual, jaccardSorted, matchingPositions, MinHasher, minMatches, shingleHashes } from '../stages/dedup/minhash.ts';
import { sharedCorpus } from './lib/shared-corpus.ts';

const CORPUS = `${sharedCorpus('html')}/`;
const { values } = parseArgs({ options: { threshold: { type: 'string' }, json: { type: 'boolean' } } });
const cfg: DedupConfig = mergeConfig(defaultConfig.dedup, values.threshold ? { nearDup: { threshold: Number(values.threshold) } } : {});
const T = cfg.nearDup.threshold;

// ---------- the evaluation set ----------
function realPages(): { name: string; paras: string[] }[] {
  const index = readFileSync(join(CORPUS, 'INDEX.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  const out: { name: string; paras: string[] }[] = [];
  for (const [set, stem, , , , , , , synthetic] of index) {
    if (synthetic === 'True') continue;
    const file = join(CORPUS, set!, `${stem}.html`);
    let html: string;
    try {
      html = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const paras = extractHtml(html, 'http://fakehost/page.html').segments.flatMap((s) => (s.kind === 'text' && s.text ? [s.text] : []));
    if (shingleHashes(paras.join('\n'), cfg.nearDup.ngram).length >= 50) out.push({ name: `${set}/${stem}`, paras });
  }
  return out;
}

let seed = 12345;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);

const BOILERPLATE = [
  'We use cookies to improve your experience on our site. By continuing to browse you agree to our use of cookies.',
  'Sign up for our newsletter and get the best stories delivered to your inbox every morning.',
  'Home | News | Sport | Business | Culture | Travel | Contact us | Privacy policy | Terms of use',
  'Copyright 2024 Example Media Group. All rights reserved. Reproduction without permission is prohibited.',
];

const KINDS = ['original', 'copy', 'words5', 'words20', 'words50', 'shuffled', 'boilerplate'] as const;
type Kind = (typeof KINDS)[number];

function variant(paras: string[], kind: Kind, vocab: string[]): string[] {
  const replace = (f: number) => paras.map((p) => p.replace(/\S+/g, (w) => (rand() < f ? vocab[Math.floor(rand() * vocab.length)]! : w)));
  switch (kind) {
    case 'original':
    case 'copy':
      return paras;
    case 'words5':
      return replace(0.05);
    case 'words20':
      return replace(0.2);
    case 'words50':
      return replace(0.5);
    case 'shuffled': {
      const p = [...paras];
      for (let i = p.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [p[i], p[j]] = [p[j]!, p[i]!];
      }
      return p;
    }
    case 'boilerplate':
      return [...paras, ...BOILERPLATE];
  }
}

interface EvalDoc {
  family: number;
  kind: Kind;
  text: string;
  shingles: Uint32Array;
}

const pages = realPages();
const vocab = pages.flatMap((p) => p.paras.join(' ').split(/\s+/)).filter((w) => /^\p{L}{3,}$/u.test(w)).slice(0, 50_000);
const docs: EvalDoc[] = [];
pages.forEach((p, family) => {
  for (const kind of KINDS) {
    const text = variant(p.paras, kind, vocab).join('\n');
    docs.push({ family, kind, text, shingles: shingleHashes(text, cfg.nearDup.ngram) });
  }
});

// ---------- ground truth: exact Jaccard of every pair (size bound first: J <= min/max) ----------
const truth = new Map<string, number>();
const pairKey = (i: number, j: number) => `${Math.min(i, j)},${Math.max(i, j)}`;
const simOf = new Map<string, number>();
for (let i = 0; i < docs.length; i++) {
  for (let j = i + 1; j < docs.length; j++) {
    const a = docs[i]!.shingles.length;
    const b = docs[j]!.shingles.length;
    if (Math.min(a, b) / Math.max(a, b) < Math.min(T, 0.5)) continue;
    const sim = jaccardSorted(docs[i]!.shingles, docs[j]!.shingles);
    simOf.set(pairKey(i, j), sim);
    if (sim >= T) truth.set(pairKey(i, j), sim);
  }
}
const exactSim = (i: number, j: number) => simOf.get(pairKey(i, j)) ?? jaccardSorted(docs[i]!.shingles, docs[j]!.shingles);

// ---------- detection: LSH candidates (shared band) verified on the signature ----------
function detect(nd: DedupConfig['nearDup']): Set<string> {
  const hasher = new MinHasher(nd);
  const sigs = docs.map((d) => hasher.signatureOfShingles(d.shingles)!);
  const need = minMatches(nd.threshold, hasher.k);
  const found = new Set<string>();
  for (let b = 0; b < nd.bands; b++) {
    const buckets = new Map<string, number[]>();
    sigs.forEach((s, i) => {
      const key = Array.from(s.subarray(b * nd.rowsPerBand, (b + 1) * nd.rowsPerBand)).join(',');
      (buckets.get(key) ?? buckets.set(key, []).get(key)!).push(i);
    });
    for (const members of buckets.values()) {
      for (let x = 0; x < members.length; x++) {
        for (let y = x + 1; y < members.length; y++) {
          const i = members[x]!;
          const j = members[y]!;
          if (bandEqual(sigs[i]!, sigs[j]!, b, nd.rowsPerBand) && matchingPositions(sigs[i]!, sigs[j]!) >= need) found.add(pairKey(i, j));
        }
      }
    }
  }
  return found;
}

function score(found: Set<string>) {
  let tp = 0;
  for (const k of found) if (truth.has(k)) tp++;
  return { detected: found.size, truePairs: truth.size, tp, precision: found.size ? tp / found.size : 1, recall: truth.size ? tp / truth.size : 1 };
}

const main = score(detect(cfg.nearDup));
const found = detect(cfg.nearDup);

// Per kind of copy: mean exact Jaccard with its original, share that is truly >= T, share detected.
const perKind = KINDS.filter((k) => k !== 'original').map((kind) => {
  let n = 0, sumJ = 0, isDup = 0, det = 0;
  docs.forEach((d, i) => {
    if (d.kind !== kind) return;
    const o = i - KINDS.indexOf(kind); // the original of the family
    const j = exactSim(o, i);
    n++;
    sumJ += j;
    if (j >= T) isDup++;
    if (found.has(pairKey(o, i))) det++;
  });
  return { kind, n, meanJaccard: sumJ / n, shareTrulyDup: isDup / n, shareDetected: det / n };
});

// Other bandings over the same signatures length, for comparison.
const alternatives = [
  { name: 'datatrove 14x8', bands: 14, rowsPerBand: 8 },
  { name: '20x5', bands: 20, rowsPerBand: 5 },
  { name: '9x13 (117)', bands: 9, rowsPerBand: 13 },
].map((a) => ({ ...a, ...score(detect({ ...cfg.nearDup, bands: a.bands, rowsPerBand: a.rowsPerBand })) }));

// ---------- the in-run stage, one pass: originals first, then every copy ----------
async function inRun() {
  const config = mergeConfig(defaultConfig, { dedup: { ...cfg, paragraphs: { ...cfg.paragraphs, enabled: false } } });
  const ctx = standaloneContext({ config, unit: 'eval' });
  const order = docs.map((_, i) => i).sort((a, b) => (docs[a]!.kind === 'original' ? 0 : 1) - (docs[b]!.kind === 'original' ? 0 : 1) || a - b);
  const evalDocs: Doc[] = order.map((i) => ({
    id: String(i).padStart(6, '0'),
    url: `https://eval.example/${i}`,
    domain: 'eval.example',
    title: null,
    fetchedAt: '2020-01-01T00:00:00Z',
    source: { file: 'eval', offset: i, recordId: null, recordType: 'file' },
    lang: null,
    langScore: null,
    segments: docs[i]!.text.split('\n').map((t) => ({ kind: 'text' as const, text: t })),
    signals: {},
  }));
  const kept = new Set<string>();
  async function* gen() {
    yield* evalDocs;
  }
  for await (const d of dedupStage.transform(gen(), ctx)) kept.add(d.id);
  return KINDS.filter((k) => k !== 'original').map((kind) => {
    const idx = docs.map((d, i) => (d.kind === kind ? i : -1)).filter((i) => i >= 0);
    return { kind, dropped: idx.filter((i) => !kept.has(String(i).padStart(6, '0'))).length / idx.length };
  });
}
const inRunDrops = await inRun();

const originalsDropped = docs.filter((d) => d.kind === 'original').length;
if (values.json) {
  console.log(JSON.stringify({ pages: pages.length, docs: docs.length, threshold: T, banding: describeBanding(cfg.nearDup), ...main, perKind, alternatives, inRunDrops }, null, 2));
} else {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(`eval set: ${pages.length} real pages of shared/corpus (synthetic fixtures excluded) x ${KINDS.length} variants = ${docs.length} docs (${originalsDropped} originals)`);
  console.log(`config: ngram ${cfg.nearDup.ngram}; ${describeBanding(cfg.nearDup)}`);
  console.log(`ground truth: exact Jaccard of ${cfg.nearDup.ngram}-word shingle sets >= ${T}: ${main.truePairs} pairs`);
  console.log(`\nPAIRS at threshold ${T}: detected ${main.detected}, correct ${main.tp}; precision ${main.precision.toFixed(4)}, recall ${main.recall.toFixed(4)}\n`);
  console.log('copy kind     mean J   truly >= T   detected (pair with its original)   in-run stage drops');
  for (const k of perKind) {
    const ir = inRunDrops.find((x) => x.kind === k.kind)!;
    console.log(`${k.kind.padEnd(12)}  ${k.meanJaccard.toFixed(3)}    ${pct(k.shareTrulyDup).padStart(6)}       ${pct(k.shareDetected).padStart(6)}                              ${pct(ir.dropped).padStart(6)}`);
  }
  console.log('\nother bandings (same threshold, verification on the signature):');
  for (const a of alternatives) console.log(`  ${a.name.padEnd(16)} precision ${a.precision.toFixed(4)}  recall ${a.recall.toFixed(4)}  (${a.detected} detected)`);
}
