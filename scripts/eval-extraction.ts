/**
 * Scores extraction (the code `corpus extract` runs: extractHtml) against the ground truth in
 * ../shared/corpus/html, per set:
 *   readability  text vs `expected.html` (Readability.js output) + images vs the <img> in it
 *   newspaper4k  text vs `expected.txt`
 *   magic-html   text vs the JSON `content`
 * Text: bag-of-words precision / recall / F1 per page (words are letter/digit runs, and
 * single characters in Chinese, Japanese, Thai, Burmese ...), averaged over the pages of a set.
 * Images: an extracted image matches a ground-truth <img> when its URL path is one of that <img>'s
 * candidates (src, srcset, data-src ...); images are counted once per page however often repeated.
 * Speed: pages/s of extractHtml over all pages, beside the htmlparser2 SAX-parse-only ceiling.
 *
 * plus the dev collection v2 (html/DEVSETS.md: wcxb, cleaneval, dragnet, l3s-gn1, fundus, googletrends-2017,
 * cleanportaleval, newspaper4k-extra, readability-php-extra) vs `<stem>.expected.txt`, and fundus's image
 * list (recall, precision, order). Every page falls in a fixed fit or check half by a hash of its site
 * (registered domain; set/stem for a page without a URL): choose on fit, report on check.
 *
 *   npx tsx scripts/eval-extraction.ts [--corpus DIR] [--set NAME] [--half fit|check] [--pages] [--passes N]
 *   npx tsx scripts/eval-extraction.ts --anchors   + resiliparse and readability-lxml on the check half
 *   npx tsx scripts/eval-extraction.ts --page STEM   what one page lost and gained, to study a failure
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { saxParseOnly } from '../stages/extract/parse.ts';
import { extractHtml, extractDefaults } from '../stages/extract/index.ts';
import {
  bagOfWords, defaultCorpus, fileName, half, loadCases, MIN_GOLD_COVERAGE, prf, skippedLowCoverage, type Case, type TruthImage,
} from './extraction-devset.ts';

const { values: args } = parseArgs({
  options: {
    corpus: { type: 'string', default: defaultCorpus },
    set: { type: 'string' },
    pages: { type: 'boolean', default: false },
    page: { type: 'string' },
    passes: { type: 'string', default: '1' },
    /** Only the fit or the check half. */
    half: { type: 'string' },
    /** Also run resiliparse and readability-lxml on the check half (scripts/extraction-anchors.py). */
    anchors: { type: 'boolean', default: false },
    'no-speed': { type: 'boolean', default: false },
    /** Extract config overrides as JSON, e.g. '{"climbTolerance":0.05}', to try a setting. */
    config: { type: 'string' },
  },
});
const corpus = process.env.CORPUS_HTML ?? args.corpus!;
const cfg = { ...extractDefaults, ...(args.config ? JSON.parse(args.config) : {}) };

interface Score {
  set: string;
  stem: string;
  half: 'fit' | 'check';
  p: number;
  r: number;
  f: number;
  /** No text extracted although the gold has >= 200 characters. */
  empty: boolean;
  imgTruth: number;
  imgPred: number;
  imgMatched: number;
  imgTruthFound: number;
  /** The same counted over every <img>, an image repeated on the page counting each time. */
  rawTruth: number;
  rawPred: number;
  rawMatched: number;
  rawTruthFound: number;
  /** fundus: pairs of found gold images in gold order / all such pairs. */
  orderPairs: number;
  orderOk: number;
}

const EMPTY_GOLD_CHARS = 200;

function scoreText(c: Case, text: string) {
  const { p, r, f } = prf(bagOfWords(text), bagOfWords(c.truthText));
  return { p, r, f, empty: !/\S/.test(text) && c.truthText.trim().length >= EMPTY_GOLD_CHARS };
}

function score(c: Case): Score {
  const ex = extractHtml(c.html, c.url, cfg);
  const text = ex.segments.filter((s) => s.kind === 'text').map((s) => s.text).join('\n');
  const s: Score = {
    ...{ set: c.set, stem: c.stem, half: half(c.site), ...scoreText(c, text) },
    ...{ imgTruth: 0, imgPred: 0, imgMatched: 0, imgTruthFound: 0, rawTruth: 0, rawPred: 0, rawMatched: 0, rawTruthFound: 0 },
    ...{ orderPairs: 0, orderOk: 0 },
  };
  const images = ex.segments.filter((x) => x.kind === 'image');
  if (c.truthImages) {
    // Ground-truth images known only by a data: URI (placeholders) cannot be matched by URL: not counted.
    const truth = c.truthImages.filter((t) => t.names.size > 0);
    const predNames = images.map((x) => fileName(x.url ?? ''));
    const count = (t: TruthImage[], pn: (string | null)[]): [number, number, number, number] => [
      t.length,
      pn.length,
      pn.filter((n) => n && t.some((x) => x.names.has(n))).length,
      t.filter((x) => pn.some((n) => n && x.names.has(n))).length,
    ];
    [s.rawTruth, s.rawPred, s.rawMatched, s.rawTruthFound] = count(truth, predNames);
    // Distinct images: an icon repeated 110 times in a table is one image (the images table is
    // content-addressed too).
    const distinctTruth = truth.filter((t, i) => !truth.slice(0, i).some((u) => [...t.names].some((n) => u.names.has(n))));
    [s.imgTruth, s.imgPred, s.imgMatched, s.imgTruthFound] = count(distinctTruth, [...new Set(predNames)]);
  }
  if (c.goldImages) {
    // fundus: a gold image matches an image segment when its URL path is the segment's URL or one of its
    // alternates (the same picture in another size is often another path: only exact paths count).
    const gold = c.goldImages.map((g) => ({ name: fileName(g.url), position: g.position })).filter((g) => g.name);
    const predSets = images.map((x) => new Set([x.url, ...(x.alternates ?? [])].map((u) => fileName(u ?? '')).filter(Boolean)));
    const at = gold.map((g) => predSets.findIndex((ps) => ps.has(g.name)));
    s.imgTruth = gold.length;
    s.imgPred = images.length;
    s.imgTruthFound = at.filter((i) => i >= 0).length;
    s.imgMatched = predSets.filter((ps) => gold.some((g) => ps.has(g.name))).length;
    const found = gold.map((g, i) => ({ pos: g.position, at: at[i]! })).filter((x) => x.at >= 0);
    for (let i = 0; i < found.length; i++)
      for (let j = i + 1; j < found.length; j++) {
        if (found[i]!.pos === found[j]!.pos || found[i]!.at === found[j]!.at) continue;
        s.orderPairs++;
        if (found[i]!.pos < found[j]!.pos === found[i]!.at < found[j]!.at) s.orderOk++;
      }
  }
  return s;
}

/** Print the extracted document and the words it missed or added against the ground truth. */
function explain(c: Case) {
  const ex = extractHtml(c.html, c.url, cfg);
  const s = score(c);
  console.log(`== ${c.set}/${c.stem} (${s.half}, ${c.site})  P ${f3(s.p)} R ${f3(s.r)} F1 ${f3(s.f)}  region <${ex.contentTag}>  ` +
    `images truth/ours/matched ${s.imgTruth}/${s.imgPred}/${s.imgMatched}  dropped ${JSON.stringify(ex.imagesDropped)}`);
  for (const seg of ex.segments)
    console.log(seg.kind === 'text' ? `  [${seg.tag}] ${seg.text!.slice(0, 110).replace(/\n/g, ' / ')}` : `  [IMG] ${seg.url}`);
  const text = ex.segments.filter((x) => x.kind === 'text').map((x) => x.text).join('\n');
  const pred = bagOfWords(text);
  const truth = bagOfWords(c.truthText);
  const diff = (a: Map<string, number>, b: Map<string, number>) =>
    [...a].map(([w, n]) => [w, n - (b.get(w) ?? 0)] as const).filter(([, d]) => d > 0).sort((x, y) => y[1] - x[1]);
  const fmt = (d: (readonly [string, number])[]) => `${d.reduce((a, x) => a + x[1], 0)} words: ` + d.slice(0, 40).map(([w, n]) => `${w}×${n}`).join(' ');
  console.log(`  missing ${fmt(diff(truth, pred))}`);
  console.log(`  extra   ${fmt(diff(pred, truth))}`);
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '  -  ');
const OLD_SETS = new Set(['readability', 'newspaper4k', 'magic-html']);

type TextScore = { set: string; p: number; r: number; f: number; empty: boolean };

/** Per-set and macro P/R/F1 (macro = mean of the per-set means), and empty outputs. */
function textTable(title: string, scores: TextScore[]) {
  console.log(`\n${title}\n| set | pages | text P | text R | text F1 | empty (gold >= ${EMPTY_GOLD_CHARS} chars) |\n|---|---|---|---|---|---|`);
  const rows: { set: string; p: number; r: number; f: number }[] = [];
  for (const set of [...new Set(scores.map((s) => s.set))]) {
    const ss = scores.filter((s) => s.set === set);
    const row = { set, p: mean(ss.map((s) => s.p)), r: mean(ss.map((s) => s.r)), f: mean(ss.map((s) => s.f)) };
    rows.push(row);
    console.log(`| ${set} | ${ss.length} | ${f3(row.p)} | ${f3(row.r)} | ${f3(row.f)} | ${ss.filter((s) => s.empty).length} |`);
  }
  const macro = (rs: typeof rows, name: string) => {
    if (!rs.length) return;
    const n = scores.filter((s) => rs.some((r) => r.set === s.set));
    console.log(
      `| **${name}** (${rs.length} sets) | ${n.length} | ${f3(mean(rs.map((r) => r.p)))} | ${f3(mean(rs.map((r) => r.r)))} ` +
        `| **${f3(mean(rs.map((r) => r.f)))}** | ${n.filter((s) => s.empty).length} |`,
    );
  };
  macro(rows.filter((r) => !OLD_SETS.has(r.set)), 'macro, dev sets v2');
  macro(rows, 'macro, all sets');
}

const cases = loadCases(corpus, args.set).filter((c) => !args.half || half(c.site) === args.half);
if (!cases.length) {
  console.error(`no pages under ${corpus}: pass --corpus DIR (the corpus/html folder of ../shared)`);
  process.exit(1);
}
if (args.page) {
  for (const c of cases.filter((x) => x.stem.startsWith(args.page!))) explain(c);
  process.exit(0);
}
const scores = cases.map(score);
if (args.pages) {
  console.log('set\tpage\thalf\tP\tR\tF1\timg truth/pred/matched');
  for (const s of scores)
    console.log(
      `${s.set}\t${s.stem}\t${s.half}\t${f3(s.p)}\t${f3(s.r)}\t${f3(s.f)}` +
        (s.imgTruth || s.imgPred ? `\t${s.imgTruth}/${s.imgPred}/${s.imgMatched}` : ''),
    );
  console.log();
}

console.log(
  `${cases.length} pages (${skippedLowCoverage} left out: gold token coverage < ${MIN_GOLD_COVERAGE}); ` +
    `split by site: fit ${scores.filter((s) => s.half === 'fit').length}, check ${scores.filter((s) => s.half === 'check').length}`,
);
for (const h of ['fit', 'check'] as const) textTable(`**${h} half** (extractHtml)`, scores.filter((s) => s.half === h));

{
  const sum = (ss: Score[], k: keyof Score) => ss.reduce((a, s) => a + (s[k] as number), 0);
  const imgRow = (name: string, ss: Score[]) => {
    if (!ss.length) return;
    const order = sum(ss, 'orderPairs') ? ` | ${f3(sum(ss, 'orderOk') / sum(ss, 'orderPairs'))} (${sum(ss, 'orderOk')}/${sum(ss, 'orderPairs')})` : ' | -';
    console.log(
      `| ${name} | ${ss.length} | ${f3(sum(ss, 'imgTruthFound') / sum(ss, 'imgTruth'))} (${sum(ss, 'imgTruthFound')}/${sum(ss, 'imgTruth')}) ` +
        `| ${f3(sum(ss, 'imgMatched') / sum(ss, 'imgPred'))} (${sum(ss, 'imgMatched')}/${sum(ss, 'imgPred')})${order} |`,
    );
  };
  const rd = scores.filter((x) => x.set === 'readability');
  const fu = scores.filter((x) => x.set === 'fundus');
  if (rd.length || fu.length) {
    console.log('\nimages | pages | recall | precision | order (pairs in gold order) |\n|---|---|---|---|---|');
    imgRow('readability, all pages', rd);
    imgRow('readability, check', rd.filter((s) => s.half === 'check'));
    imgRow('fundus, all pages', fu);
    imgRow('fundus, check', fu.filter((s) => s.half === 'check'));
    console.log(
      'readability: distinct images per page (URL path) vs the <img> of expected.html, summed over the set.\n' +
        'fundus: the json\'s article images (cover too) vs our image segments (URL or an alternate, same path);\n' +
        'order = pairs of found images in the same order as fundus\'s document positions.\n' +
        `readability counting every <img> (repeats too): recall ${f3(sum(rd, 'rawTruthFound') / sum(rd, 'rawTruth'))}, ` +
        `precision ${f3(sum(rd, 'rawMatched') / sum(rd, 'rawPred'))}.`,
    );
  }
}

if (args.anchors) anchors(cases.filter((c) => half(c.site) === 'check'));

/**
 * Side-by-side anchors on the same check pages with the same scorer: resiliparse (main_content=True)
 * and readability-lxml, run by scripts/extraction-anchors.py; pages/s is that script's CPU time per
 * extractor. Outputs are cached in the OS temp dir by a hash of the pages.
 */
function anchors(check: Case[]) {
  const key = createHash('sha1').update(check.map((c) => `${c.set}/${c.stem}`).join('\n')).digest('hex').slice(0, 12);
  const dir = os.tmpdir();
  const outFile = join(dir, `extraction-anchors-${key}.json`);
  if (!existsSync(outFile)) {
    const inFile = join(dir, `extraction-anchors-${key}.in.jsonl`);
    writeFileSync(inFile, check.map((c, i) => JSON.stringify({ id: i, url: c.url, html: c.html })).join('\n'));
    const script = new URL('./extraction-anchors.py', import.meta.url).pathname;
    const r = spawnSync(process.env.PYTHON ?? 'python3', [script, inFile, outFile], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.error || r.status !== 0) {
      console.log(`\nanchors: not run (${r.error?.message ?? `exit ${r.status}`}); see the message above for what to install.`);
      return;
    }
  }
  const out = JSON.parse(readFileSync(outFile, 'utf8')) as {
    extractors: Record<string, { cpu_seconds: number; texts: (string | null)[]; failed: number }>;
  };
  for (const [name, res] of Object.entries(out.extractors)) {
    const ss = check.map((c, i) => ({ set: c.set, ...scoreText(c, res.texts[i] ?? '') }));
    textTable(`**check half, ${name}** (${(check.length / res.cpu_seconds).toFixed(0)} pages per CPU-second; ${res.failed} pages failed)`, ss);
  }
}

if (!args['no-speed']) {
  const passes = Math.max(1, Number(args.passes));
  const sp = cases.filter((c) => half(c.site) === 'check');
  const htmls = sp.map((c) => c.html);
  const urls = sp.map((c) => c.url);
  const mb = htmls.reduce((a, h) => a + Buffer.byteLength(h), 0) / 1e6;
  // Wall time and CPU time of this process: on a shared machine CPU time is what one core of our
  // own costs (other processes' load inflates wall time, not our CPU seconds).
  const timeIt = (fn: (i: number) => void) => {
    for (let i = 0; i < htmls.length; i++) fn(i); // warm-up
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < passes; r++) {
      const t = performance.now();
      const c = process.cpuUsage();
      for (let i = 0; i < htmls.length; i++) fn(i);
      const dc = process.cpuUsage(c);
      wall.push((performance.now() - t) / 1000);
      cpu.push((dc.user + dc.system) / 1e6);
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return { wall: median(wall), cpu: median(cpu) };
  };
  const tSax = timeIt((i) => saxParseOnly(htmls[i]!));
  const tEx = timeIt((i) => extractHtml(htmls[i]!, urls[i]!, cfg));
  const rate = (t: number) => `${(htmls.length / t).toFixed(0)} pages/s, ${(mb / t).toFixed(1)} MB/s`;
  console.log(`\nspeed on the ${htmls.length} check pages (${mb.toFixed(1)} MB), one thread, median of ${passes} passes:`);
  console.log(`  extractHtml                      per CPU-second ${rate(tEx.cpu)}; wall clock ${rate(tEx.wall)}`);
  console.log(`  htmlparser2 SAX parse (ceiling)  per CPU-second ${rate(tSax.cpu)}; wall clock ${rate(tSax.wall)}`);
  console.log(`  extract / ceiling = ${(tSax.cpu / tEx.cpu).toFixed(2)} (CPU), ${(tSax.wall / tEx.wall).toFixed(2)} (wall)`);
  console.log(`  load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);
  console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}
