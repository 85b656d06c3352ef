/**
 * Writes test/fixtures/coherence/: a small set of real pages for test/coherence-eval.test.ts, so the test runs
 * without ../shared. Pages: eval pages (./coherence-eval-data.ts: extract stage output, >= 8 paragraphs) of the
 * CHECK half (split by site, never fitted on) from the sets whose licence allows redistribution with attribution
 * (html/DEVSETS.md: fundus MIT, wcxb CC-BY-4.0, newspaper4k-extra MIT, readability-php-extra Apache-2.0; the
 * two synthetic readability-php pages left out). A fixed choice: pages sorted by a hash of their id, the first
 * `--per-set` of each set, pages with images first. Each page keeps only what the coherence stage reads (title,
 * language, segments: kind, text, tag, url, alt) and its attribution (set, source repository, commit, licence, URL).
 *
 *   npx tsx scripts/make-coherence-fixtures.ts [--per-set 40]
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { CORPUS, loadEvalPages } from './coherence-eval-data.ts';

const { values: args } = parseArgs({ options: { 'per-set': { type: 'string', default: '40' } } });
const PERMISSIVE = ['fundus', 'wcxb', 'newspaper4k-extra', 'readability-php-extra'];
const OUT = new URL('../test/fixtures/coherence/', import.meta.url).pathname;

const manifest = new Map(
  readFileSync(join(CORPUS, 'html/DEVSETS-MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1)
    .map((l) => l.split('\t')).map((r) => [`${r[0]}/${r[1]}`, { repo: r[3]!, path: r[4]!, commit: r[5]!, licence: r[6]!, type: r[13] ?? '' }]),
);
const synthetic = (id: string) => (JSON.parse(readFileSync(join(CORPUS, 'html', `${id}.json`), 'utf8')) as { synthetic_fixture?: boolean }).synthetic_fixture === true;
const hash = (s: string) => createHash('sha256').update(s).digest('hex');
const pages = (await loadEvalPages()).filter((p) => p.half === 'check' && PERMISSIVE.includes(p.set) && !synthetic(p.id));
const hasImages = (p: (typeof pages)[number]) => p.doc.segments.some((s) => s.kind === 'image');
const chosen = PERMISSIVE.flatMap((set) =>
  pages.filter((p) => p.set === set && (set !== 'wcxb' || manifest.get(p.id)?.type === 'article'))
    .sort((a, b) => Number(hasImages(b)) - Number(hasImages(a)) || (hash(a.id) < hash(b.id) ? -1 : 1))
    .slice(0, Number(args['per-set'])),
);
const out = chosen.map((p) => {
  const m = manifest.get(p.id)!;
  return {
    id: p.id, site: p.site, url: p.doc.url, title: p.doc.title, lang: p.doc.lang,
    source: { set: p.set, repo: m.repo, path: m.path, commit: m.commit, licence: m.licence },
    segments: p.doc.segments.map((s) => (s.kind === 'image' ? { kind: 'image', url: s.url ?? null, alt: s.alt ?? null } : { kind: s.kind, text: s.text ?? '', tag: s.tag ?? null })),
  };
});
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'pages.json.gz'), gzipSync(JSON.stringify(out), { level: 9 }));
const rows = out.map((p) => `| ${p.id} | ${p.url} | ${p.source.repo} @ ${p.source.commit.slice(0, 7)} (${p.source.path}) | ${p.source.licence} |`);
writeFileSync(join(OUT, 'README.md'), `# Coherence test pages

\`pages.json.gz\`: ${out.length} real pages for \`test/coherence-eval.test.ts\`, written by
\`npx tsx scripts/make-coherence-fixtures.ts\` from the development collection (\`../shared/corpus/html\`,
DEVSETS.md). Each is the extract stage's output of the page (title, language, text and image segments:
text, tag, image URL and alt), no HTML. Only pages of the **check half** (split by a hash of the site:
\`stages/coherence/eval.ts\`, never used for fitting) and only from sets whose licence allows
redistribution with attribution: fundus (MIT), WCXB (CC-BY-4.0), newspaper4k (MIT), readability.php
(Apache-2.0). The page texts belong to their publishers; these sets redistribute them as test data under
the licences named, and so do we, with the attribution below (licence texts: the source repositories).

| page | URL | source (repository @ commit, path) | licence |
|---|---|---|---|
${rows.join('\n')}
`);
const sets = new Map<string, number>();
for (const p of out) sets.set(p.source.set, (sets.get(p.source.set) ?? 0) + 1);
console.log(`${out.length} pages (${[...sets].map(([k, v]) => `${k} ${v}`).join(', ')}; ${out.filter((p) => p.segments.some((s) => s.kind === 'image')).length} with images, ${new Set(out.map((p) => p.site)).size} sites) -> ${OUT}`);
