/**
 * `corpus extract`: what the extract stage makes of pages, without writing a corpus. Reads inputs the
 * way `corpus run` does (HTML files, .html.gz, directories recursively, archives) in one process and
 * prints one JSON line (or a Markdown / plain-text document) per page. A page that cannot be read or
 * extracted is reported on stderr and the command goes on; the exit code says whether any failed.
 */
import { parse, UsageError } from '../args.ts';
import { loadConfig } from '../config.ts';
import { Counters } from '../stats.ts';
import { standaloneContext, type RunContext } from '../context.ts';
import { expandInputs, readUnit, type Unit } from '../../stages/read/index.ts';
import { extractHtml } from '../../stages/extract/index.ts';
import { markdown, plainText } from '../../stages/extract/render.ts';
import type { RawPage } from '../../schemas/doc.ts';

const FORMATS = ['jsonl', 'markdown', 'text'] as const;
type Format = (typeof FORMATS)[number];

/** Exit code when some pages failed (user mistakes exit 2). */
const SOME_FAILED = 1;

/** stdout in ~1 MB writes; stops quietly when the reader goes away (`corpus extract … | head`). */
class Out {
  private parts: string[] = [];
  private size = 0;
  closed = false;
  constructor() {
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      this.closed = true;
    });
  }
  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 1 << 20) this.flush();
  }
  flush(): void {
    if (this.parts.length && !this.closed) process.stdout.write(this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

function pageUrl(page: RawPage): string | null {
  return /^https?:/i.test(page.url) ? page.url : null;
}

export async function extractCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    url: { type: 'string' },
    format: { type: 'string', short: 'f' },
    limit: { type: 'string' },
    config: { type: 'string' },
    /** Say which site rule or which scored region chose each page's content: a jsonl field, or a
     * `corpus extract: explain <page>: …` line on stderr for text and Markdown. */
    explain: { type: 'boolean', default: false },
  });
  if (positionals.length === 0) {
    throw new UsageError('usage: corpus extract <page.html|page.html.gz|dir|file.warc.gz…> [--format jsonl|markdown|text] [--url U] [--limit N] [--explain]');
  }
  const format = (values.format ?? 'jsonl') as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`--format is jsonl, markdown or text, got ${values.format}`);
  let limit = Infinity;
  if (values.limit !== undefined) {
    limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit takes a whole number ≥ 1, got ${values.limit}`);
  }
  if (values.url !== undefined && !/^https?:\/\/\S+$/i.test(values.url)) throw new UsageError(`--url takes an http(s) URL, got ${values.url}`);
  const config = loadConfig(values.config);
  const units = await expandInputs(positionals);
  // Plain text of several pages: a `==> file <==` line before each (as `head` does).
  const headed = format !== 'jsonl' && (units.length > 1 || units[0]!.kind === 'archive' || units[0]!.files.length > 1);

  const out = new Out();
  const counters = new Counters();
  let pages = 0; // pages read (extracted or not)
  let failed = 0; // pages that could not be read, or read and not extracted
  let unread = 0;
  const fail = (where: string, why: string) => {
    failed++;
    process.stderr.write(`corpus extract: failed ${where}: ${why.split('\n')[0]}\n`);
  };
  for (const unit of units) {
    if (pages >= limit || out.closed) break;
    const ctx = unitContext(unit, config, counters, (where, reason, detail) => {
      const why = `${reason}${detail ? ` (${detail})` : ''}`;
      if (reason === 'too_large' || reason.startsWith('error:')) {
        unread++;
        fail(where, why);
      } else process.stderr.write(`corpus extract: skipped ${where}: ${why}\n`); // e.g. an HTTP 404 record
    });
    try {
      for await (const page of readUnit(unit, ctx)) {
        if (pages >= limit || out.closed) break;
        pages++;
        const where = page.source.recordType === 'file' ? page.source.file : `${page.source.file}@${page.source.offset}`;
        let ex: ReturnType<typeof extractHtml>;
        try {
          ex = extractHtml(page.html, values.url ?? page.url, config.extract);
        } catch (e) {
          fail(where, `extraction error: ${(e as Error).message}`);
          continue;
        }
        const url = values.url ?? pageUrl(page);
        if (format === 'jsonl') {
          const images = ex.segments.filter((s) => s.kind === 'image').map((s) => ({ url: s.url, alt: s.alt, width: s.width, height: s.height }));
          out.write(
            JSON.stringify({
              input: page.source.file,
              offset: page.source.recordType === 'file' ? null : page.source.offset,
              url,
              title: ex.title,
              text: plainText(ex.segments),
              images,
              segments: ex.segments,
              ...(values.explain ? { explain: ex.explain } : {}),
            }) + '\n',
          );
        } else {
          if (values.explain) {
            out.flush(); // the explain line goes to stderr next to the page it is about
            const e = ex.explain;
            process.stderr.write(`corpus extract: explain ${where}: ${e.chosenBy}${e.empty ? `; empty: ${e.empty}` : ''}\n`);
          }
          if (headed) out.write(`==> ${where} <==\n`);
          out.write(format === 'markdown' ? markdown(ex.title, url, ex.segments) : plainText(ex.segments) + '\n');
          if (headed) out.write('\n');
        }
      }
    } catch (e) {
      // The unit itself could not be read on (a file gone, an archive the reader gave up on).
      unread++;
      fail(unit.key, `read error: ${(e as Error).message}`);
    }
    out.flush();
  }
  out.flush();
  if (failed > 0) {
    process.stderr.write(`corpus extract: ${failed} of ${pages + unread} pages failed (see the lines above); the others were printed\n`);
    return SOME_FAILED;
  }
  return 0;
}

function unitContext(
  unit: Unit,
  config: ReturnType<typeof loadConfig>,
  counters: Counters,
  onReject: (where: string, reason: string, detail: string | null) => void,
): RunContext {
  return standaloneContext({
    config,
    counters,
    unit: unit.key,
    onReject: (doc, reason, detail) =>
      onReject(doc.source.recordType === 'file' ? doc.source.file : `${doc.source.file}@${doc.source.offset}`, reason, detail),
    log: (m) => process.stderr.write(`${m}\n`),
  });
}
