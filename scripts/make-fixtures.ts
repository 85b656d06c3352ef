/**
 * Rebuilds test/fixtures/ (the files the test suite reads) from ../shared/corpus:
 *
 * - copies, byte for byte, the files the tests name whose source repository's licence allows
 *   redistribution (MIT, Apache-2.0, BSD, CC-BY, CC0), with the licence files of those sources;
 * - generates, with real warcio writing and real sharp images, an equivalent of each file a test needs
 *   whose licence does not (GPL): the same quirk, new bytes (warc/generated/, described below);
 * - writes test/fixtures/MANIFEST.tsv (file, source, commit, licence, tests that read it),
 *   warc/STATS.json (per-WARC record counts: the shared corpus's for copied files, what was written
 *   for generated ones) and html/INDEX.tsv (the shared index, rows of the copied pages).
 *
 * Usage: npx tsx scripts/make-fixtures.ts   (CORPUS_DIR=... to read the corpus from elsewhere)
 * Deterministic: the same corpus gives the same bytes (fixed dates, record ids and image seeds).
 */
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import * as cheerio from 'cheerio';
import sharp from 'sharp';
import { WARCParser, WARCRecord, WARCSerializer } from 'warcio';
import yazl from 'yazl';

const ROOT = new URL('..', import.meta.url).pathname;
const SHARED = process.env.CORPUS_DIR ?? join(ROOT, '../shared/corpus');
const OUT = join(ROOT, 'test/fixtures');

if (!existsSync(join(SHARED, 'MANIFEST.tsv'))) {
  console.error(`make-fixtures: the shared corpus is not at ${SHARED} (it lives in ../shared/corpus beside the repository; or set CORPUS_DIR)`);
  process.exit(2);
}

const PERMISSIVE = /^(MIT|Apache-2\.0|BSD|CC-BY|CC0)/;

/** Readability test pages the tests name (source.html only; expected.html where a test compares to it). */
const READABILITY = [
  '001', 'aclu', 'aktualne', 'ars-1', 'bbc-1', 'cnet-svg-classes', 'cnn', 'firefox-nightly-blog', 'folha',
  'gmw', 'heise', 'hukumusume', 'ietf-1', 'lazy-image-1', 'lemonde-1', 'liberation-1', 'lwn-1', 'medium-1',
  'nytimes-1', 'nytimes-2', 'nytimes-3', 'pixnet', 'qq', 'royal-road', 'wapo-1', 'wikipedia',
  'wikipedia-3', 'yahoo-4', 'youth',
];
// Left out to stay under 15 MB, the tests that named them now name pages above: guardian-1's source (1.2 MB; extract,
// dedup), nytimes-5 (0.9 MB; langid, quality: Spanish is covered by cnet-svg-classes and spanish_article)
// medium-3 (0.4 MB; dedup) and breitbart (0.85 MB; safety: ietf-1 alone has two author addresses).
const READABILITY_EXPECTED = ['nytimes-3', 'lwn-1', 'lazy-image-1', 'wikipedia-3', 'wikipedia'];
/** Pages coherence.test reads only as Readability's expected output (no source HTML). */
const READABILITY_EXPECTED_ONLY = ['ehow-1', 'engadget', 'guardian-1', 'toc-missing'];
/** Whole sets (small, multilingual; tests read every page of them). */
const WHOLE_SETS = ['newspaper4k', 'magic-html'];
/** Pages of the development collection v2 (DEVSETS-MANIFEST.tsv) the tests name. */
const DEVSET_PAGES = ['fundus/at_DerStandard_2024_05_03.html.gz', 'wcxb/dev-0661.html.gz'];

/** Tests that read every file of a folder (found by path, not by name). */
const FOLDER_READERS: [RegExp, string[]][] = [
  [/^warc\//, ['run.test', 'scale.test', 'images-nsfw.test']],
  [/^html\/(readability|newspaper4k|magic-html)\/[^/]+\.html$/, ['scale-kill.test']],
  [/^html\/(newspaper4k|magic-html)\//, ['safety.test', 'tokenize.test', 'langid.test']],
  [/^html\/magic-html\//, ['langid-filters-sql.test']],
  [/^html\/(fundus|wcxb|newspaper4k-extra|readability-php-extra)\/|^html\/DEVSETS-MANIFEST/, ['extract-robust.test']],
];

interface Row {
  file: string;
  repo: string;
  path: string;
  commit: string;
  licence: string;
  tests?: string[];
}
const rows: Row[] = [];

function tsv(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trim().split('\n').map((l) => l.split('\t'));
  return lines.map((l) => Object.fromEntries(head!.map((h, i) => [h, l[i] ?? ''])));
}

async function copy(rel: string, row: Omit<Row, 'file'>): Promise<void> {
  await mkdir(dirname(join(OUT, rel)), { recursive: true });
  await copyFile(join(SHARED, rel), join(OUT, rel));
  rows.push({ file: rel, ...row });
}

// ---- copies ---------------------------------------------------------------------------------------
// (test/fixtures/coherence/ is written by scripts/make-coherence-fixtures.ts and left alone here.)
for (const owned of ['warc', 'html', 'licenses', 'MANIFEST.tsv']) await rm(join(OUT, owned), { recursive: true, force: true });
const manifest = new Map(tsv(await readFile(join(SHARED, 'MANIFEST.tsv'), 'utf8')).map((r) => [r.file!, r]));
const fromManifest = (rel: string): Omit<Row, 'file'> => {
  const m = manifest.get(rel);
  if (!m) throw new Error(`${rel} is not in ${SHARED}/MANIFEST.tsv`);
  if (!PERMISSIVE.test(m.license!)) throw new Error(`${rel}: licence ${m.license} does not allow copying it into the repository`);
  return { repo: m.repo!, path: m.path!, commit: m.commit!, licence: m.license! };
};

const copiedWarcs: string[] = [];
for (const [rel, m] of manifest) {
  if (rel.startsWith('warc/') && PERMISSIVE.test(m.license!)) {
    await copy(rel, fromManifest(rel));
    copiedWarcs.push(rel);
  }
}
for (const stem of READABILITY) {
  await copy(`html/readability/${stem}.html`, fromManifest(`html/readability/${stem}.html`));
  if (READABILITY_EXPECTED.includes(stem)) await copy(`html/readability/${stem}.expected.html`, fromManifest(`html/readability/${stem}.expected.html`));
}
for (const stem of READABILITY_EXPECTED_ONLY) await copy(`html/readability/${stem}.expected.html`, fromManifest(`html/readability/${stem}.expected.html`));
for (const set of WHOLE_SETS) {
  for (const f of (await readdir(join(SHARED, 'html', set))).sort()) await copy(`html/${set}/${f}`, fromManifest(`html/${set}/${f}`));
}
// extract-robust.test reads the first three rows of each set of DEVSETS-MANIFEST.tsv: the fixture keeps
// those of the permissively licensed sets (and the pages named above), in the shared file's order.
const devsetsText = (await readFile(join(SHARED, 'html/DEVSETS-MANIFEST.tsv'), 'utf8')).trim().split('\n');
const devsets = tsv(devsetsText.join('\n'));
const perSet = new Map<string, number>();
const devKept: string[] = [devsetsText[0]!];
for (const [i, d] of devsets.entries()) {
  if (!PERMISSIVE.test(d.licence!)) continue;
  const rel = `${d.set}/${d.stem}.html.gz`;
  // (Pages over 200 KB gzipped are passed over: the fixtures stay under 15 MB.)
  const first = (perSet.get(d.set!) ?? 0) < 3 && Number(d.html_gz_bytes) <= 200_000;
  if (!first && !DEVSET_PAGES.includes(rel)) continue;
  perSet.set(d.set!, (perSet.get(d.set!) ?? 0) + 1);
  await copy(`html/${rel}`, { repo: d.repo!, path: d.path!, commit: d.commit!, licence: d.licence! });
  devKept.push(devsetsText[i + 1]!);
}
for (const rel of DEVSET_PAGES) if (!existsSync(join(OUT, 'html', rel))) throw new Error(`${rel}: not in DEVSETS-MANIFEST.tsv or not permissively licensed`);
await writeFile(join(OUT, 'html/DEVSETS-MANIFEST.tsv'), `${devKept.join('\n')}\n`);
rows.push({ file: 'html/DEVSETS-MANIFEST.tsv', repo: 'shared corpus', path: '../shared/corpus/html/DEVSETS-MANIFEST.tsv (rows of the copied pages)', commit: '-', licence: 'descriptive metadata' });

// ---- generated equivalents of GPL files --------------------------------------------------------------
const GEN = 'warc/generated';
await mkdir(join(OUT, GEN), { recursive: true });
const DATE = '2026-11-28T00:00:00Z';
let recordSeq = 0;
/** Deterministic record ids, so a rebuild gives the same bytes. */
const nextId = () => `<urn:uuid:00000000-0000-4000-8000-${String(++recordSeq).padStart(12, '0')}>`;

interface Stats {
  file: string;
  records: number;
  types: Record<string, number>;
  html_records: number;
  image_records: number;
  note: string;
}
const generatedStats: Stats[] = [];

async function* bodyOf(b: Uint8Array): AsyncGenerator<Uint8Array> {
  yield b;
}

/** A WARC written record by record through warcio (gzip per record, as crawlers write them). */
class Gen {
  private parts: Uint8Array[] = [];
  readonly stats: Stats;
  constructor(readonly rel: string, note: string) {
    this.stats = { file: rel, records: 0, types: {}, html_records: 0, image_records: 0, note };
  }

  async add(opts: { type: string; url?: string; status?: string; headers?: Record<string, string>; warcHeaders?: Record<string, string>; contentType?: string; body?: Uint8Array | string }): Promise<string> {
    const body = typeof opts.body === 'string' ? Buffer.from(opts.body) : (opts.body ?? new Uint8Array());
    const id = nextId();
    const http = opts.type === 'response' || opts.type === 'request' || opts.type === 'revisit';
    const record = WARCRecord.create(
      {
        url: opts.url,
        date: DATE,
        type: opts.type as 'response',
        warcVersion: 'WARC/1.0',
        ...(http && opts.status ? { statusline: opts.status, httpHeaders: opts.headers ?? {} } : {}),
        warcHeaders: { 'WARC-Record-ID': id, ...(opts.contentType ? { 'Content-Type': opts.contentType } : {}), ...opts.warcHeaders },
      },
      bodyOf(body),
    );
    this.parts.push(await WARCSerializer.serialize(record, { gzip: true }));
    this.stats.records++;
    this.stats.types[opts.type] = (this.stats.types[opts.type] ?? 0) + 1;
    const type = (opts.type === 'response' ? opts.headers?.['Content-Type'] : opts.type === 'resource' ? opts.contentType : '') ?? '';
    if (type.startsWith('text/html')) this.stats.html_records++;
    const ok = opts.type === 'resource' || /^HTTP\/1\.[01] 2/.test(opts.status ?? '');
    if (type.startsWith('image/') && ok) this.stats.image_records++;
    return id;
  }

  /** A request record and its response, as wget and Heritrix write them. */
  async exchange(url: string, status: string, headers: Record<string, string>, body: Uint8Array | string): Promise<void> {
    const id = await this.add({ type: 'response', url, status, headers, body });
    const u = new URL(url);
    await this.add({ type: 'request', url, status: `GET ${u.pathname}${u.search} HTTP/1.1`, headers: { Host: u.host, 'User-Agent': 'Wget/1.21' }, warcHeaders: { 'WARC-Concurrent-To': id } });
  }

  async warcinfo(): Promise<void> {
    await this.add({ type: 'warcinfo', contentType: 'application/warc-fields', body: 'software: interleaved-corpus scripts/make-fixtures.ts\r\nformat: WARC File Format 1.0\r\n' });
  }

  async close(): Promise<void> {
    await writeFile(join(OUT, this.rel), Buffer.concat(this.parts));
    generatedStats.push(this.stats);
  }
}

/** Every record of a WARC with its HTTP status, content type, body and the end offset of its gzip member. */
async function readWarc(path: string): Promise<{ type: string; url: string; status: number; contentType: string; body: Buffer; end: number }[]> {
  const parser = new WARCParser(createReadStream(path));
  const out: { type: string; url: string; status: number; contentType: string; body: Buffer; end: number }[] = [];
  for await (const r of parser) {
    const body = Buffer.from(await r.readFully(true));
    out.push({
      type: r.warcType ?? '',
      url: r.warcTargetURI ?? '',
      status: Number(r.httpHeaders?.statusCode ?? 0),
      contentType: (r.warcType === 'response' ? r.httpHeaders?.headers.get('content-type') : r.warcContentType) ?? '',
      body,
      end: parser.offset + parser.recordLength,
    });
  }
  return out;
}

const BLACKBOOK = 'warc/netarchivesuite__solrwayback/IAH-20080430204825-00000-blackbook.warc.gz';
const blackbookRow = fromManifest(BLACKBOOK);
const blackbook = await readWarc(join(OUT, BLACKBOOK));

// G1. The first 23 gzip members of the Heritrix archive.org crawl (WARC/0.17), cut at a member boundary:
// the same records as ukwa/webarchive-discovery's IAH-...-blackbook-truncated.warc.gz (GPL), taken here
// from the Apache-2.0 file they were cut from. Three small archive.org images (jpeg, gif, png).
{
  const rel = `${GEN}/blackbook-truncated.warc.gz`;
  const whole = await readFile(join(OUT, BLACKBOOK));
  await writeFile(join(OUT, rel), whole.subarray(0, blackbook[22]!.end));
  const kept = blackbook.slice(0, 23);
  const types: Record<string, number> = {};
  for (const r of kept) types[r.type] = (types[r.type] ?? 0) + 1;
  generatedStats.push({
    file: rel, records: 23, types,
    html_records: kept.filter((r) => r.type === 'response' && r.contentType.startsWith('text/html')).length,
    image_records: kept.filter((r) => r.type === 'response' && r.status < 300 && r.contentType.startsWith('image/')).length,
    note: 'first 23 gzip members of the blackbook WARC (byte-identical prefix)',
  });
  rows.push({ file: rel, repo: blackbookRow.repo, path: `${blackbookRow.path} (bytes 0..${blackbook[22]!.end}: its first 23 gzip members)`, commit: blackbookRow.commit, licence: blackbookRow.licence });
}

// G2. A wget crawl of archive.org (as ukwa's IAH-urls-wget.warc.gz, GPL): robots.txt and pages behind
// 301/302 redirects, the 2008 home page, its three images fetched from archive.org (not www.), an RSS
// feed, a 404, and wget's own resource records (manifest, arguments, log). Page and image bytes are
// records of the Apache-2.0 blackbook WARC.
{
  const rel = `${GEN}/wget-archive-org.warc.gz`;
  const g = new Gen(rel, 'wget-style crawl: redirects, a 404, three images, resource records');
  const pick = (url: string) => {
    const r = blackbook.find((x) => x.type === 'response' && x.url === url && x.status === 200);
    if (!r) throw new Error(`blackbook has no 200 response for ${url}`);
    return r;
  };
  const home = pick('http://www.archive.org/');
  const redirect = (to: string) => `<html><head><title>302 Found</title></head><body><p>The document has moved <a href="${to}">here</a>.</p></body></html>\n`;
  const html = { 'Content-Type': 'text/html; charset=UTF-8' };
  await g.warcinfo();
  await g.exchange('http://www.archive.org/robots.txt', 'HTTP/1.1 302 Moved Temporarily', { ...html, Location: 'http://archive.org/robots.txt' }, redirect('http://archive.org/robots.txt'));
  await g.exchange('http://archive.org/robots.txt', 'HTTP/1.1 200 OK', { 'Content-Type': 'text/plain' }, 'User-agent: *\nDisallow: /control/\n');
  await g.exchange('http://www.archive.org/', 'HTTP/1.1 302 Moved Temporarily', { ...html, Location: 'http://archive.org/index.php' }, redirect('http://archive.org/index.php'));
  await g.exchange('http://archive.org/index.php', 'HTTP/1.1 301 Moved Permanently', { ...html, Location: 'https://archive.org/' }, redirect('https://archive.org/'));
  await g.exchange('https://archive.org/', 'HTTP/1.1 200 OK', { 'Content-Type': home.contentType }, home.body);
  for (const img of ['logoc.jpg', 'go-button-gateway.gif', 'star.png']) {
    const r = pick(`http://www.archive.org/images/${img}`);
    await g.exchange(`http://www.archive.org/images/${img}`, 'HTTP/1.1 302 Moved Temporarily', { ...html, Location: `http://archive.org/images/${img}` }, redirect(`http://archive.org/images/${img}`));
    await g.exchange(`http://archive.org/images/${img}`, 'HTTP/1.1 200 OK', { 'Content-Type': r.contentType }, r.body);
  }
  await g.exchange('http://archive.org/no-such-page.html', 'HTTP/1.1 404 Not Found', html, '<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>\n');
  await g.exchange('http://archive.org/services/collection-rss.php', 'HTTP/1.1 200 OK', { 'Content-Type': 'text/xml' }, '<?xml version="1.0"?><rss version="2.0"><channel><title>Recent additions</title></channel></rss>\n');
  for (const [name, text] of [['MANIFEST.txt', 'wget_arguments.txt\nwget.log\n'], ['wget_arguments.txt', '"--warc-file=IAH-urls" "-i" "urls.txt"\n'], ['wget.log', 'Saving to: archive.org/index.html\n']] as const) {
    await g.add({ type: 'resource', url: `metadata://gnu.org/software/wget/warc/${name}`, contentType: 'text/plain', body: text });
  }
  await g.close();
  rows.push({ file: rel, repo: 'generated', path: `scripts/make-fixtures.ts (page and image bodies: records of ${BLACKBOOK})`, commit: blackbookRow.commit, licence: 'Apache-2.0 (bodies); structure written here' });
}

/** A picture-like image (smooth gradients and a few shapes, from a seed), so hashes and the NSFW model see real pixels. */
async function picture(width: number, height: number, seed: number, format: string): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const [a, b, c, d, e, f] = [rnd(), rnd(), rnd(), rnd() * 6, rnd() * 6, rnd() * 6];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const v = y / height;
      const i = 3 * (y * width + x);
      raw[i] = 255 * (0.5 + 0.5 * Math.sin(d * u + a * 6 + v * 2));
      raw[i + 1] = 255 * (0.5 + 0.5 * Math.sin(e * v + b * 6 + u * 3));
      raw[i + 2] = 255 * (0.5 + 0.5 * Math.sin(f * (u + v) + c * 6));
    }
  }
  const img = sharp(raw, { raw: { width, height, channels: 3 } });
  if (format === 'jpeg') return img.jpeg({ quality: 85 }).toBuffer();
  if (format === 'gif') return img.gif().toBuffer();
  return img.png().toBuffer();
}

// G3. A Wikipedia article of 2013 with its images (as ukwa's flashfrozen-jwat-recompressed.warc.gz, GPL):
// the same <img> tags in the same order (src, srcset with 1.5x/2x candidates the crawl did not archive,
// width, height, alt) and image records at the same URLs, sizes and formats; the pixels are generated
// here (sharp) and the text is written here, about what each image shows (paragraph i comes before <img> i),
// so the page is coherent: an article about something else would be, rightly, dropped by the coherence
// filter, and tests that need kept documents with images (train-rows, report) would have none.
const MONA_LISA_TEXT = [
  'The Mona Lisa is a half-length portrait painted by the Italian artist Leonardo da Vinci. It is one of the most famous paintings in the world and hangs in the Louvre in Paris.',
  'The painting shows a seated woman, thought to be Lisa Gherardini, the wife of the Florentine silk merchant Francesco del Giocondo, with her hands folded and a faint smile, in front of a distant landscape.',
  'Leonardo began the portrait in Florence around 1503. A note written that year in the margin of a printed book by the Florentine official Agostino Vespucci says that Leonardo was working on a head of Lisa del Giocondo.',
  'The portrait is painted in oil on a poplar wood panel. Leonardo used sfumato, soft transitions of tone without sharp outlines, which gives the face and the smile of the Mona Lisa their famous ambiguity.',
  'Leonardo da Vinci, painter, engineer and scientist, kept the Mona Lisa with him for the rest of his life and took the portrait to France, where he worked for King Francis I until his death in 1519.',
  'After the death of Leonardo the painting entered the French royal collection. The Mona Lisa hung at Fontainebleau and Versailles before it was moved to the Louvre after the French Revolution.',
  'On 21 August 1911 the Mona Lisa was stolen from the Louvre. The empty wall where the portrait had hung was photographed, and the theft made the painting famous around the world.',
  'The thief, Vincenzo Peruggia, an Italian who had worked at the Louvre, hid the painting in his room for two years. He was caught in Florence in 1913 when he tried to sell the portrait, and the Mona Lisa returned to the Louvre.',
  'Behind the sitter, the landscape of the Mona Lisa shows winding roads, a bridge, rivers and rocky mountains fading into a blue haze. The horizon on the right side of the painting is higher than on the left.',
  'Leonardo painted the landscape of the Mona Lisa with aerial perspective: the distant mountains of the background become paler and bluer, as they appear through air.',
  'The hands of the Mona Lisa rest on the arm of her chair, the right hand over the left. Painters and historians admire the soft modelling of the fingers, painted with the same sfumato as the face.',
  'The painting is small, 77 by 53 centimetres. The varnish of the Mona Lisa has yellowed with age, and the poplar panel has warped and cracked over the centuries.',
  'Today the Mona Lisa hangs in the Salle des Etats of the Louvre behind bulletproof glass. Millions of visitors come to the museum every year, and crowds gather in front of the portrait.',
  'The Louvre keeps the painting in a case at a constant temperature and humidity to protect the fragile wood panel of the Mona Lisa.',
  'In 1963 the Louvre lent the Mona Lisa to the United States. The painting was shown at the National Gallery of Art in Washington and at the Metropolitan Museum of Art in New York, where more than a million people saw the portrait.',
  'In 1974 the Mona Lisa travelled again, to Tokyo and Moscow, before returning to the Louvre in Paris, where the painting has stayed since.',
  'Artists have copied and parodied the Mona Lisa for more than a century. In 1883 the French artist Sapeck drew the Mona Lisa smoking a pipe, a humorous version of the famous portrait.',
  'In 1919 Marcel Duchamp drew a moustache and a goatee on a cheap postcard of the Mona Lisa and called it L.H.O.O.Q., one of the best known parodies of the painting by Leonardo.',
];
{
  const rel = `${GEN}/wikipedia-article-images.warc.gz`;
  const original = await readWarc(join(SHARED, 'warc/ukwa__webarchive-discovery/flashfrozen-jwat-recompressed.warc.gz'));
  const article = original.find((r) => r.type === 'response' && r.status === 200 && r.contentType.startsWith('text/html') && r.url.includes('/wiki/'));
  if (!article) throw new Error('no article page in the Wikipedia WARC');
  const $orig = cheerio.load(article.body.toString('utf8'));
  const tags = $orig('img').toArray().map((el) => {
    const a = $orig(el).attr();
    const keep = ['src', 'srcset', 'width', 'height', 'alt'].filter((k) => a?.[k] !== undefined);
    return `<img ${keep.map((k) => `${k}="${escapeHtml(a![k]!).replace(/"/g, '&quot;')}"`).join(' ')}>`;
  });
  const paragraphs = MONA_LISA_TEXT;
  const body: string[] = [];
  const n = Math.max(tags.length, paragraphs.length);
  for (let i = 0; i < n; i++) {
    if (i < paragraphs.length) body.push(`<p>${escapeHtml(paragraphs[i]!)}</p>`);
    if (i < tags.length) body.push(`<div class="thumb">${tags[i]}</div>`);
  }
  const page = `<!DOCTYPE html>\n<html lang="en" dir="ltr"><head><meta charset="UTF-8"><title>Mona Lisa - Wikipedia, the free encyclopedia</title></head>\n<body><div id="content"><h1 id="firstHeading">Mona Lisa</h1>\n<div id="mw-content-text">\n${body.join('\n')}\n</div></div></body></html>\n`;
  const g = new Gen(rel, 'one article page with srcset images; image records at the src URLs, pixels generated');
  await g.warcinfo();
  await g.exchange(article.url, 'HTTP/1.1 200 OK', { 'Content-Type': 'text/html; charset=UTF-8' }, page);
  let seed = 1;
  for (const r of original) {
    const ok = (r.type === 'response' && r.status === 200) || r.type === 'resource';
    if (!ok || !r.contentType.startsWith('image/')) continue;
    if (r.body.length === 0) {
      // The crawl archived an empty image/png (a tracking pixel URL): so does the fixture.
      await g.exchange(r.url, 'HTTP/1.1 200 OK', { 'Content-Type': r.contentType }, new Uint8Array());
      continue;
    }
    const meta = await sharp(r.body).metadata();
    const format = meta.format === 'jpeg' ? 'jpeg' : meta.format === 'gif' ? 'gif' : 'png';
    await g.exchange(r.url, 'HTTP/1.1 200 OK', { 'Content-Type': r.contentType }, await picture(meta.width!, meta.height!, seed++, format));
  }
  await g.close();
  rows.push({ file: rel, repo: 'generated', path: 'scripts/make-fixtures.ts (text written here; <img> tags as in the 2013 Wikipedia crawl; image pixels generated)', commit: '-', licence: 'written here (this repository)' });
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// G4. Revisit records (as pywb's dupes.warc.gz, GPL): one page, a redirect, and nine revisits of
// resources and of the page itself, each with its request.
{
  const rel = `${GEN}/revisits.warc.gz`;
  const g = new Gen(rel, 'one page, a 302, nine revisit records');
  await g.warcinfo();
  const page = '<!doctype html><html><head><title>Example Domain</title></head><body><div><h1>Example Domain</h1><p>This domain is for use in illustrative examples in documents. You may use this domain in literature without prior coordination or asking for permission.</p></div></body></html>\n';
  await g.exchange('http://example.com/', 'HTTP/1.1 200 OK', { 'Content-Type': 'text/html' }, page);
  await g.exchange('http://iana.org/', 'HTTP/1.0 302 Found', { Location: 'http://www.iana.org/' }, '');
  const revisit = async (url: string, type: string) => {
    const id = await g.add({
      type: 'revisit', url, status: 'HTTP/1.1 200 OK', headers: { 'Content-Type': type },
      warcHeaders: { 'WARC-Profile': 'http://netpreserve.org/warc/1.0/revisit/identical-payload-digest', 'WARC-Refers-To-Target-URI': url, 'WARC-Refers-To-Date': '2026-11-27T00:00:00Z' },
    });
    const u = new URL(url);
    await g.add({ type: 'request', url, status: `GET ${u.pathname} HTTP/1.1`, headers: { Host: u.host }, warcHeaders: { 'WARC-Concurrent-To': id } });
  };
  for (const [path, type] of [
    ['/', 'text/html'], ['/_css/2013.1/screen.css', 'text/css'], ['/_js/2013.1/jquery.js', 'application/x-javascript'],
    ['/_css/2013.1/print.css', 'text/css'], ['/_img/2013.1/icann-logo.svg', 'image/svg+xml'], ['/_img/2013.1/iana-logo-homepage.png', 'image/png'],
    ['/_css/2013.1/fonts/OpenSans-Regular.ttf', 'application/octet-stream'], ['/_css/2013.1/fonts/OpenSans-Bold.ttf', 'application/octet-stream'],
  ] as const) await revisit(`http://www.iana.org${path}`, type);
  await revisit('http://example.com/', 'text/html');
  await g.close();
  rows.push({ file: rel, repo: 'generated', path: 'scripts/make-fixtures.ts', commit: '-', licence: 'written here (this repository)' });
}

// G5. HTTP bodies with Content-Encoding gzip and br (as ukwa's transfer_compression_*.warc.gz, GPL).
for (const [enc, compress] of [['gzip', gzipSync], ['brotli', brotliCompressSync]] as const) {
  const rel = `${GEN}/transfer_compression_${enc}.warc.gz`;
  const g = new Gen(rel, `HTTP body is Content-Encoding: ${enc === 'brotli' ? 'br' : 'gzip'}`);
  await g.warcinfo();
  const page = `<!DOCTYPE html>\n<html><head><title>Simple page</title></head><body><h1>Simple page</h1><p>Simple page, sent with Content-Encoding ${enc === 'brotli' ? 'br' : 'gzip'} and archived as sent.</p></body></html>\n`;
  await g.exchange(`http://localhost:8080/${enc}.html`, 'HTTP/1.1 200 OK', { 'Content-Type': 'text/html; charset=utf-8', 'Content-Encoding': enc === 'brotli' ? 'br' : 'gzip' }, compress(Buffer.from(page)));
  await g.add({ type: 'metadata', url: `http://localhost:8080/${enc}.html`, contentType: 'application/warc-fields', body: 'fetchTimeMs: 3\r\n' });
  await g.add({ type: 'resource', url: 'metadata://crawler/log', contentType: 'text/plain', body: `GET http://localhost:8080/${enc}.html 200\n` });
  await g.close();
  rows.push({ file: rel, repo: 'generated', path: 'scripts/make-fixtures.ts', commit: '-', licence: 'written here (this repository)' });
}

// G6. A WACZ (as pywb's valid_example_1.wacz, GPL): a ZIP (stored entries, written by yazl) holding one
// WARC with one page, datapackage.json and pages.jsonl.
{
  const rel = `${GEN}/example.wacz`;
  const g = new Gen(`${GEN}/.wacz-inner.warc.gz`, '');
  await g.warcinfo();
  await g.exchange('http://www.example.com/', 'HTTP/1.1 200 OK', { 'Content-Type': 'text/html; charset=UTF-8' }, '<!doctype html><html><head><title>Example Domain</title></head><body><h1>Example Domain</h1><p>This domain is for use in illustrative examples in documents.</p></body></html>\n');
  await g.close();
  generatedStats.pop();
  const inner = join(OUT, `${GEN}/.wacz-inner.warc.gz`);
  const zip = new yazl.ZipFile();
  const mtime = new Date(DATE);
  zip.addBuffer(await readFile(inner), 'archive/data.warc.gz', { compress: false, mtime });
  zip.addBuffer(Buffer.from('{"format":"jsonl-1.0","id":"pages","title":"All Pages"}\n{"url":"http://www.example.com/","ts":"2026-11-28T00:00:00Z"}\n'), 'pages/pages.jsonl', { compress: false, mtime });
  zip.addBuffer(Buffer.from(JSON.stringify({ profile: 'data-package', wacz_version: '1.1.1', resources: [{ name: 'data.warc.gz', path: 'archive/data.warc.gz' }] }, null, 2)), 'datapackage.json', { compress: false, mtime });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  await writeFile(join(OUT, rel), Buffer.concat(chunks));
  await rm(inner);
  generatedStats.push({ file: rel, records: 3, types: { warcinfo: 1, response: 1, request: 1 }, html_records: 1, image_records: 0, note: 'WACZ (zip) containing a WARC; counted inside' });
  rows.push({ file: rel, repo: 'generated', path: 'scripts/make-fixtures.ts', commit: '-', licence: 'written here (this repository)' });
}

// ---- metadata: STATS.json, INDEX.tsv, licences --------------------------------------------------------
const sharedStats = JSON.parse(await readFile(join(SHARED, 'warc/STATS.json'), 'utf8')) as { file: string }[];
const stats = [...sharedStats.filter((s) => copiedWarcs.includes(s.file)), ...generatedStats.map((s) => ({ ...s, file: s.file }))];
await writeFile(join(OUT, 'warc/STATS.json'), `${JSON.stringify(stats, null, 1)}\n`);
rows.push({ file: 'warc/STATS.json', repo: 'shared corpus + generated', path: '../shared/corpus/warc/STATS.json (rows of the copied files) and the counts of what this script wrote', commit: '-', licence: 'descriptive metadata' });

const index = (await readFile(join(SHARED, 'html/INDEX.tsv'), 'utf8')).trim().split('\n');
const present = new Set(rows.map((r) => r.file));
const kept = index.filter((l, i) => {
  const [set, stem] = l.split('\t');
  return i === 0 || present.has(`html/${set}/${stem}.html`);
});
await writeFile(join(OUT, 'html/INDEX.tsv'), `${kept.join('\n')}\n`);
rows.push({ file: 'html/INDEX.tsv', repo: 'shared corpus', path: '../shared/corpus/html/INDEX.tsv (rows of the copied pages)', commit: '-', licence: 'descriptive metadata' });

await mkdir(join(OUT, 'licenses'), { recursive: true });
const licenceFiles = await readdir(join(SHARED, 'licenses'));
for (const repo of new Set(rows.map((r) => r.repo).filter((r) => r.includes('/')))) {
  for (const f of licenceFiles.filter((f) => f.startsWith(`${repo.replace('/', '__')}`))) await copyFile(join(SHARED, 'licenses', f), join(OUT, 'licenses', f));
}

// ---- MANIFEST.tsv: which tests read each file ---------------------------------------------------------
const testDir = join(ROOT, 'test');
const tests = new Map<string, string>();
// (coherence-eval.test gets its own fixtures in test/fixtures/coherence/.)
for (const f of await readdir(testDir)) if (f.endsWith('.test.ts') && !f.startsWith('coherence-eval.')) tests.set(f.replace(/\.ts$/, ''), await readFile(join(testDir, f), 'utf8'));
for (const r of rows) {
  const base = r.file.split('/').pop()!;
  const stem = base.replace(/(\.expected)?\.(html|txt|json|warc|arc|wacz)(\.gz)?$/, '');
  // Named as a whole file name, or as a page stem in a list ('stem') or a map (stem: / 'stem':).
  const named = new RegExp(`(['\`]${stem.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}['\`])|([ {]${stem.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}: )`);
  const users = new Set([...tests].filter(([, src]) => src.includes(`/${base}`) || named.test(src)).map(([t]) => t));
  for (const [re, readers] of FOLDER_READERS) if (re.test(r.file)) for (const t of readers) users.add(t);
  r.tests = [...users].sort();
}
rows.sort((a, b) => (a.file < b.file ? -1 : 1));
const lines = ['file\tsource_repo\tsource_path\tcommit\tlicence\ttests', ...rows.map((r) => [r.file, r.repo, r.path, r.commit, r.licence, r.tests!.join(',')].join('\t'))];
await writeFile(join(OUT, 'MANIFEST.tsv'), `${lines.join('\n')}\n`);

let total = 0;
for (const r of rows) total += (await stat(join(OUT, r.file))).size;
console.log(`make-fixtures: ${rows.length} files, ${(total / 1e6).toFixed(2)} MB in ${relative(ROOT, OUT)}/`);
