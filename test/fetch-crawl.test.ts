/**
 * End to end: `corpus crawl` of a loopback site into a WARC, then `corpus run` of that WARC
 * (offline: images from the WARC's records), gives the same documents and images as `corpus run`
 * of the site's HTML files (images over HTTP from the same server).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WARCParser } from 'warcio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig, mergeConfig, type Config } from '../pipeline/config.ts';
import { runCorpus } from '../pipeline/run.ts';
import { queryCorpus } from '../pipeline/query.ts';
import { crawlCommand, crawlToWarc, parseUrlList } from '../pipeline/commands/crawl.ts';
import { makeImage, serve, startSite, type Site, type Handler } from './fetch-site.ts';

let site: Site;
let dir: string;
const pages: Record<string, string> = {};

/** Three distinct pages (near-duplicates would be dropped by dedup, differently per doc_id). */
const TEXTS: Record<number, [string, string, string]> = {
  1: [
    'Field notes from the river',
    'The river bank was covered in small stones and the water ran clear over them, cold and quick. It was the kind of morning when the light comes in low over the fields and everything seems to take its time.',
    'We walked back before dark, counting herons along the reeds, and wrote these notes by the fire while the kettle sang.',
  ],
  2: [
    'A visit to the old mill',
    'After breakfast we followed the path upstream to the old mill, where the wheel has not turned for years but the water still finds its way through the wooden channel and falls into a deep and quiet pool.',
    'The miller\'s house is empty now; swallows nest under the eaves and a fig tree has pushed its roots between the flagstones of the yard.',
  ],
  3: [
    'Market day in town',
    'On Saturday the square fills with stalls selling cheese, honey, bread still warm from the oven, and baskets of late plums that the farmers weigh on brass scales older than anyone can remember.',
    'By noon the church bell rings, the musicians pack their fiddles, and the smell of roasting chestnuts drifts down every narrow street toward the harbour.',
  ],
};

function page(origin: string, n: number, images: string[]): string {
  const [h1, p1, p2] = TEXTS[n]!;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Page ${n}</title>
<link rel="canonical" href="${origin}/p${n}.html"></head><body>
<h1>${h1}</h1>
<p>${p1}</p>
${images.map((src, i) => `<figure><img src="${src}" alt="picture ${n}.${i}"><figcaption>Photograph ${i + 1} of the ${h1.toLowerCase()}.</figcaption></figure>`).join('\n')}
<p>${p2}</p>
</body></html>`;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'crawl-e2e-'));
  const routes: Record<string, Handler> = { '/robots.txt': serve('User-agent: *\nDisallow: /private/\n', 'text/plain') };
  for (const [name, w, h, seed] of [['a', 400, 300, 21], ['b', 300, 300, 22], ['c', 500, 280, 23]] as const) {
    routes[`/img/${name}.jpg`] = serve(await makeImage(w, h, 'jpeg', seed), 'image/jpeg');
  }
  site = await startSite(routes);
  const layout: Record<number, string[]> = { 1: ['img/a.jpg', 'img/b.jpg'], 2: ['/img/b.jpg'], 3: ['img/c.jpg', 'img/a.jpg'] };
  mkdirSync(path.join(dir, 'html'));
  for (const [n, imgs] of Object.entries(layout)) {
    const html = page(site.origin, Number(n), imgs);
    pages[`/p${n}.html`] = html;
    routes[`/p${n}.html`] = serve(html, 'text/html; charset=utf-8');
    writeFileSync(path.join(dir, 'html', `p${n}.html`), html);
  }
  writeFileSync(path.join(dir, 'urls.txt'), `# test site\n${Object.keys(pages).map((p) => site.origin + p).join('\n')}\n${site.origin}/p1.html\n`);
});

afterAll(async () => {
  await site?.close();
  rmSync(dir, { recursive: true, force: true });
});

function config(images: Partial<Config['images']>): Config {
  return mergeConfig(defaultConfig, {
    images: { nsfw: false, ...images },
    fetch: { allowPrivateNetwork: true, perHostIntervalMs: 0 },
  });
}

// Kept and rejected documents alike (the text filters decide on identical text either way).
const USABLE = 'len(list_filter(segments, s -> s.image_id IS NOT NULL))::INT';
const DOC_SQL = `SELECT 'kept' AS kind, NULL AS reason, url, title, to_json(segments) AS segments, ${USABLE} AS usable_images FROM docs
  UNION ALL SELECT 'rejected', stage || ':' || reason, url, title, to_json(segments), ${USABLE} FROM rejects
  ORDER BY url`;
const IMG_SQL = `SELECT image_id, url, width, height, format, phash, md5(bytes) AS bytes_md5 FROM images ORDER BY image_id`;

describe('crawl -> WARC -> run equals run on the HTML files', () => {
  it('writes request + response records with digests, and the same documents come out', async () => {
    expect(parseUrlList('# c\n\nhttp://a/\nhttp://a/\n http://b/ \n')).toEqual(['http://a/', 'http://b/']);

    const outHtml = path.join(dir, 'out-html');
    const runHtml = await runCorpus({ inputs: [path.join(dir, 'html')], out: outHtml, config: config({}), progress: false, log: () => {} });
    expect(runHtml.docs + runHtml.rejects).toBe(3);

    const warc = path.join(dir, 'crawl.warc.gz');
    const crawl = await crawlToWarc(parseUrlList(`${site.origin}/p1.html\n${site.origin}/p2.html\n${site.origin}/p3.html`), warc, config({}), {
      images: true,
    });
    expect(crawl).toMatchObject({ pages: 3, images: 3, failures: {} });
    const types: string[] = [];
    for await (const r of new WARCParser(createReadStream(warc))) {
      types.push(r.warcType);
      if (r.warcType === 'response') expect(r.warcPayloadDigest).toMatch(/^sha256:/);
    }
    expect(types.filter((t) => t === 'response')).toHaveLength(6);
    expect(types.filter((t) => t === 'request')).toHaveLength(6);
    expect(types[0]).toBe('warcinfo');

    const outWarc = path.join(dir, 'out-warc');
    const runWarc = await runCorpus({ inputs: [warc], out: outWarc, config: config({ offline: true }), progress: false, log: () => {} });
    expect(runWarc.docs).toBe(runHtml.docs);

    // V2PE's per-image delta is sampled per document, seeded by doc_id, and doc_id names the source
    // file (an HTML file vs a WARC record): it is the one field allowed to differ.
    const withoutDelta = (rows: Record<string, unknown>[]): Record<string, unknown>[] =>
      rows.map((r) => ({ ...r, segments: (JSON.parse(String(r.segments)) as Record<string, unknown>[]).map(({ delta: _d, ...s }) => s) }));
    const docsHtml = withoutDelta(await queryCorpus(outHtml, DOC_SQL));
    const docsWarc = withoutDelta(await queryCorpus(outWarc, DOC_SQL));
    expect(docsWarc).toEqual(docsHtml);
    expect(docsHtml.map((d) => d.usable_images)).toEqual([2, 1, 2]);
    const imgsHtml = await queryCorpus(outHtml, IMG_SQL);
    expect(imgsHtml).toHaveLength(3);
    expect(await queryCorpus(outWarc, IMG_SQL)).toEqual(imgsHtml);
    // Same images, different provenance.
    expect((await queryCorpus(outHtml, 'SELECT DISTINCT source FROM images')).map((r) => r.source)).toEqual(['http']);
    expect((await queryCorpus(outWarc, 'SELECT DISTINCT source FROM images')).map((r) => r.source)).toEqual(['warc']);
  });

  it('the CLI command crawls a URL list and reports failures by reason', async () => {
    const out = path.join(dir, 'cli.warc.gz');
    writeFileSync(path.join(dir, 'urls2.txt'), `${site.origin}/p1.html\n${site.origin}/missing.html\n${site.origin}/private/x.html\n`);
    const code = await crawlCommand([path.join(dir, 'urls2.txt'), '--out', out, '--allow-private-network', '--quiet']);
    expect(code).toBe(0);
    const urls: string[] = [];
    for await (const r of new WARCParser(createReadStream(out))) if (r.warcType === 'response') urls.push(r.warcTargetURI!);
    // The 404 page is archived as received; the robots-disallowed one never requested.
    expect(urls.sort()).toEqual([`${site.origin}/missing.html`, `${site.origin}/p1.html`]);
    expect(site.log).not.toContain('/private/x.html');
  });
});
