/**
 * `corpus crawl <urls.txt> --out crawl.warc.gz`: fetch pages (and with --images the images they
 * show) politely into a WARC file, request + response records with digests, so that a crawl is
 * reproducible and `corpus run` processes it like any dump. Redirect hops are recorded too.
 * Image URLs are found with the extract stage's own code, so `corpus run` looks up exactly them.
 */
import { readFile, rm } from 'node:fs/promises';
import { publishPath } from '../../stages/lib/atomic.ts';
import { STATUS_CODES } from 'node:http';
import PQueue from 'p-queue';
import { parse, UsageError } from '../args.ts';
import { loadConfig, type Config } from '../config.ts';
import { Fetcher, type Exchange, type FetchResult } from '../../stages/fetch/index.ts';
import { decodeHtml } from '../../stages/read/charset.ts';
import { extractHtml } from '../../stages/extract/index.ts';
import { WarcWriter } from '../../stages/lib/warc-writer.ts';

const PAGE_TYPES = ['text/html', 'application/xhtml+xml'];
const IMAGE_TYPES = ['image/', 'application/octet-stream', 'binary/octet-stream'];

export interface CrawlOptions {
  /** Also fetch the images of every page fetched. */
  images: boolean;
  log?: (line: string) => void;
}

export interface CrawlResult {
  pages: number;
  images: number;
  /** Failures by `page:<reason>` / `image:<reason>`. */
  failures: Record<string, number>;
  records: number;
}

/** URLs of a urls.txt: one per line; blank lines and # comments skipped; duplicates dropped. */
export function parseUrlList(text: string): string[] {
  const seen = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const u = line.trim();
    if (u && !u.startsWith('#')) seen.add(u);
  }
  return [...seen];
}

/** Headers as stored in the WARC: the body we hold is de-chunked, so say so. */
function storedHeaders(ex: Exchange): Record<string, string> {
  const h = { ...ex.headers };
  if (h['transfer-encoding']) {
    delete h['transfer-encoding'];
    h['content-length'] = String(ex.body.length);
  }
  return h;
}

export async function crawlToWarc(urls: string[], out: string, config: Config, opts: CrawlOptions): Promise<CrawlResult> {
  const log = opts.log ?? (() => {});
  const tmp = `${out}.tmp-${process.pid}`;
  const writer = await WarcWriter.open(tmp, { operator: 'corpus crawl', 'http-header-user-agent': config.fetch.userAgent });
  const fetcher = new Fetcher(config.fetch);
  const result: CrawlResult = { pages: 0, images: 0, failures: {}, records: 1 };
  // Records are appended one exchange at a time, in completion order.
  let writing: Promise<void> = Promise.resolve();
  const record = (res: FetchResult) => {
    for (const ex of res.exchanges) {
      writing = writing.then(() =>
        writer.writeExchange({
          url: ex.url,
          date: ex.date,
          status: ex.status,
          statusText: STATUS_CODES[ex.status] ?? '',
          headers: storedHeaders(ex),
          body: ex.body,
          requestHeaders: ex.requestHeaders,
        }),
      );
      result.records += 2;
    }
    return writing;
  };
  const fail = (key: string) => (result.failures[key] = (result.failures[key] ?? 0) + 1);
  const imagesSeen = new Set<string>();
  // Pages in flight: bounded so memory stays bounded by this many pages (plus their images).
  const pages = new PQueue({ concurrency: Math.max(1, config.fetch.concurrency) });

  const crawlPage = async (url: string) => {
    const res = await fetcher.fetch(url, { accept: PAGE_TYPES });
    await record(res);
    if (!res.ok) {
      fail(`page:${res.reason}`);
      log(`page ${url}: ${res.reason} (${res.detail})`);
      return;
    }
    result.pages++;
    if (!opts.images) return;
    const html = decodeHtml(res.body, { contentType: res.headers['content-type'] }).text;
    const imageUrls = extractHtml(html, res.url, config.extract)
      .segments.filter((s) => s.kind === 'image' && s.url && /^https?:/i.test(s.url))
      .map((s) => s.url!);
    await Promise.all(
      imageUrls.map(async (imageUrl) => {
        if (imagesSeen.has(imageUrl)) return;
        imagesSeen.add(imageUrl);
        const img = await fetcher.fetch(imageUrl, { accept: IMAGE_TYPES });
        await record(img);
        if (img.ok) result.images++;
        else {
          fail(`image:${img.reason}`);
          log(`image ${imageUrl}: ${img.reason}`);
        }
      }),
    );
  };

  try {
    await Promise.all(urls.map((u) => pages.add(() => crawlPage(u))));
    await writing;
    await writer.close();
    await publishPath(tmp, out);
  } catch (err) {
    await writer.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  } finally {
    await fetcher.close();
  }
  return result;
}

export async function crawlCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    out: { type: 'string', short: 'o' },
    images: { type: 'boolean' },
    'allow-private-network': { type: 'boolean' },
    'ignore-robots': { type: 'boolean' },
    config: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  });
  if (positionals.length !== 1) throw new UsageError('usage: corpus crawl <urls.txt> --out crawl.warc.gz [--images] [--allow-private-network]');
  if (!values.out) throw new UsageError('corpus crawl needs --out FILE.warc.gz');
  if (!/\.warc\.gz$/.test(values.out)) throw new UsageError(`--out should end in .warc.gz (records are gzipped one by one), got ${values.out}`);
  let text: string;
  try {
    text = await readFile(positionals[0]!, 'utf8');
  } catch {
    throw new UsageError(`cannot read the URL list ${positionals[0]}: check the path`);
  }
  const urls = parseUrlList(text);
  if (urls.length === 0) throw new UsageError(`${positionals[0]} has no URLs (one per line)`);
  const config = loadConfig(values.config);
  if (values['allow-private-network']) config.fetch.allowPrivateNetwork = true;
  if (values['ignore-robots']) config.fetch.robots = false;
  const started = Date.now();
  const res = await crawlToWarc(urls, values.out, config, {
    images: values.images ?? false,
    log: values.quiet ? undefined : (l) => process.stderr.write(`${l}\n`),
  });
  const failed = Object.entries(res.failures)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  process.stderr.write(
    `crawl: ${res.pages}/${urls.length} pages, ${res.images} images, ${res.records} records -> ${values.out} ` +
      `in ${((Date.now() - started) / 1000).toFixed(1)} s${failed ? `; failed: ${failed}` : ''}\n`,
  );
  return res.pages > 0 ? 0 : 1;
}
