/**
 * ARC / ARC.gz -> RawPage (records from ../lib/arc-parser.ts). Counters as for WARC: records:arc_<kind>
 * (filedesc, response, other), html, skipped:<why>, error:<kind>; non-2xx HTML responses go to
 * rejects as http_status_NNN, oversized ones as too_large. `source_offset` is the record's gzip member
 * (or line) offset, and a run can stop and resume at any record.
 */
import type { RawPage } from '../../schemas/doc.ts';
import { shellDoc } from '../../schemas/ids.ts';
import type { ReadContext } from './config.ts';
import { arcDate, arcRecords } from '../lib/arc-parser.ts';
import { parseHttpBlock } from '../lib/http-block.ts';
import { httpPage, type WarcRange } from './warc.ts';

/**
 * Read one ARC file; `range` as for WARC (start at a record offset, stop at the first record at or after
 * `stopAfter`, returning its offset). Returns null at the end of the file.
 */
export async function* readArc(path: string, ctx: ReadContext, range: WarcRange = {}): AsyncGenerator<RawPage, number | null> {
  const cfg = ctx.config.read;
  const records = arcRecords(path, range.start ?? 0);
  let previousOffset = -1;
  try {
    for (;;) {
      const next = await records.next();
      if (next.done) {
        const end = next.value;
        if (end.end === 'malformed') {
          ctx.counters.add('error:malformed_record');
          ctx.log(`${path}: not an ARC record header at byte ${end.offset} (${JSON.stringify(end.line.slice(0, 80))}); later records are lost`);
        }
        return null;
      }
      const r = next.value;
      // Every record starts its own gzip member (or line): a resume point, unless records share a
      // member (one gzip stream for the whole file), which have one offset.
      if (range.stopAfter !== undefined && r.offset >= range.stopAfter && r.offset !== previousOffset) return r.offset;
      previousOffset = r.offset;
      const kind = r.url.startsWith('filedesc:') ? 'filedesc' : /^https?:/i.test(r.url) ? 'response' : 'other';
      ctx.counters.add(`records:arc_${kind}`);
      const source = { file: path, offset: r.offset, recordId: null, recordType: 'arc' };
      const fetchedAt = arcDate(r.date);
      const htmlByHeader = cfg.htmlContentTypes.some((t) => r.contentType.toLowerCase().includes(t));
      if (kind === 'response' && r.length > cfg.maxHtmlBytes) {
        if ((await r.skip()) < r.length) return truncated(path, r.offset, ctx);
        if (htmlByHeader) {
          ctx.counters.add('html');
          ctx.reject(shellDoc(r.url, source, fetchedAt), 'too_large', `${r.length} bytes > read.maxHtmlBytes`);
        } else ctx.counters.add('skipped:not_html');
        continue;
      }
      if (kind !== 'response') {
        if ((await r.skip()) < r.length) return truncated(path, r.offset, ctx);
        continue;
      }
      const block = await r.read();
      if (block.length < r.length) return truncated(path, r.offset, ctx);
      const http = parseHttpBlock(block);
      const contentType = http?.headers['content-type'] ?? r.contentType;
      if (!cfg.htmlContentTypes.some((t) => contentType.toLowerCase().includes(t))) {
        ctx.counters.add('skipped:not_html');
        continue;
      }
      ctx.counters.add('html');
      if (!http) {
        ctx.reject(shellDoc(r.url, source, fetchedAt), 'http_status_missing', 'ARC record without an HTTP response head');
        continue;
      }
      if (http.status === null || http.status < 200 || http.status >= 300) {
        ctx.reject(shellDoc(r.url, source, fetchedAt), `http_status_${http.status}`, null);
        continue;
      }
      yield httpPage({ url: r.url, fetchedAt, source, status: http.status, headers: http.headers, body: http.body }, ctx);
    }
  } catch (err) {
    // A corrupt gzip member (warcio's inflater throws): what was read before it stands, the rest of
    // the file is lost, counted.
    ctx.counters.add('error:arc_parse');
    ctx.log(`${path}: ARC read error after the record at byte ${previousOffset}: ${(err as Error).message}; later records are lost`);
    return null;
  } finally {
    await records.return({ end: 'eof' });
  }
}

function truncated(path: string, offset: number, ctx: ReadContext): null {
  ctx.counters.add('error:truncated_record');
  ctx.log(`${path}: the record at byte ${offset} is cut short (the file ends inside it)`);
  return null;
}
