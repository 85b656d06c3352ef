/**
 * WARC / WARC.gz -> RawPage, through warcio (per-record gzip, whole-file gzip, members split across
 * records, chunked bodies and gzip Content-Encoding are handled by warcio; brotli bodies here).
 * Every record is counted by type; HTML response/resource records that do not become pages go to
 * rejects with a reason; a parse error ends the file (counted) without losing what was read.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { WARCParser, parseRecord, type WARCRecord } from '../lib/warc-parser.ts';
import { parseHttpBlock } from '../lib/http-block.ts';
import { recordHeadAt } from '../lib/archive-head.ts';
import type { RawPage } from '../../schemas/doc.ts';
import { shellDoc } from '../../schemas/ids.ts';
import type { ReadContext } from './config.ts';
import { decodeHtml } from './charset.ts';
import { decodeHttpBody } from '../lib/http-body.ts';

export type ArchiveFormat = 'warc' | 'arc' | 'wacz' | 'unknown';

/** Sniff the container from its first bytes (names lie: a ".warc" may be gzip). */
export async function sniffArchive(path: string): Promise<ArchiveFormat> {
  const fh = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(512), 0, 512, 0);
    const head = buffer.subarray(0, bytesRead);
    if (head[0] === 0x50 && head[1] === 0x4b) return 'wacz'; // zip
    let text: string;
    if (head[0] === 0x1f && head[1] === 0x8b) {
      const { gunzipSync } = await import('node:zlib');
      try {
        text = gunzipSync(head, { finishFlush: 2 /* Z_SYNC_FLUSH */ }).subarray(0, 64).toString('latin1');
      } catch {
        text = '';
      }
      if (!text) return 'warc'; // let the parser decide and report
    } else text = head.subarray(0, 64).toString('latin1');
    if (text.startsWith('WARC/')) return 'warc';
    if (text.startsWith('filedesc://')) return 'arc';
    return 'unknown';
  } finally {
    await fh.close();
  }
}

async function isGzipFile(path: string, at = 0): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const { buffer } = await fh.read(Buffer.alloc(2), 0, 2, at);
    return buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

function isHtml(contentType: string | null | undefined, htmlTypes: string[]): boolean {
  const ct = (contentType ?? '').toLowerCase();
  return htmlTypes.some((t) => ct.includes(t));
}

/**
 * The record's WARC-Type. After a record whose Content-Length is too small, warcio starts the next
 * record a few bytes late and reads "RC-Type: response" as its version line: recover the type from
 * that line, else from the msgtype of an application/http block.
 */
function recordType(r: WARCRecord, counters: ReadContext['counters']): string {
  if (r.warcType) return r.warcType;
  const line = (r.warcHeaders as unknown as { statusline?: string }).statusline ?? '';
  const m = /Type:\s*(\w+)/i.exec(line) ?? /msgtype=(\w+)/.exec(r.warcHeaders.headers.get('content-type') ?? '');
  if (m) counters.add('warning:recovered_record_type');
  return m ? m[1]!.toLowerCase() : 'unknown';
}

/**
 * Skip the rest of a record. Not warcio's skipFully: it loops forever when the file ends before the
 * record's Content-Length (a record claiming 10 GB in a small file); iterating stops at the end.
 */
async function skipRecord(r: WARCRecord, counters: ReadContext['counters']): Promise<void> {
  for await (const _chunk of r.reader as AsyncIterable<Uint8Array>) {
    // discard
  }
  (r as unknown as { consumed: string }).consumed = 'skipped'; // so the parser does not skip it again
  countShortRecord(r, counters);
}

/** A record whose data ended before its Content-Length swallowed the rest of the file: count it. */
function countShortRecord(r: WARCRecord, counters: ReadContext['counters']): void {
  const left = (r as unknown as { _reader?: { limit?: number } })._reader?.limit ?? 0;
  if (left > 0) counters.add('error:truncated_record');
}

function header(r: WARCRecord, name: string): string | null {
  return r.httpHeaders?.headers.get(name) ?? null;
}

/**
 * Is there a record start at byte `offset` of the file: a gzip member whose text begins with "WARC/",
 * or "WARC/" itself in an uncompressed file? Checked before reading resumes from an offset.
 */
export async function isRecordStartAt(path: string, offset: number): Promise<boolean> {
  const { head } = await recordHeadAt(path, offset, 512);
  return head.subarray(0, 5).toString('latin1') === 'WARC/';
}

/**
 * Did the archive end cleanly after the record at `lastOffset`? warcio ends quietly on a cut gzip
 * member (an interrupted download) and after a corrupt one (it stops finding records), so the
 * records that were lost would go uncounted. Gzip: the members from `lastOffset` on must inflate
 * to the end of the file. Returns the problem (an error kind), or null.
 */
export async function archiveEndProblem(path: string, lastOffset: number, gzip: boolean, end?: number): Promise<string | null> {
  const fh = await open(path, 'r');
  let head: Buffer;
  let size: number;
  try {
    size = end ?? (await fh.stat()).size;
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, lastOffset);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (gzip) {
    // warcio moves the offset on only when a member ended cleanly: at the end of the file, all did.
    if (lastOffset >= size) return null;
    if (head[0] !== 0x1f || head[1] !== 0x8b) return 'corrupt_gzip';
    const { createGunzip } = await import('node:zlib');
    const { Writable } = await import('node:stream');
    const { pipeline } = await import('node:stream/promises');
    const discard = new Writable({ write: (_chunk, _enc, done) => done() });
    try {
      await pipeline(createReadStream(path, { start: lastOffset, end: size - 1 }), createGunzip(), discard);
      return null;
    } catch (err) {
      return (err as { code?: string }).code === 'Z_BUF_ERROR' ? 'truncated_archive' : 'corrupt_gzip';
    }
  }
  // Uncompressed: a short last record is counted as it is read (error:truncated_record); here, a last
  // header block that never ends (CR CR LF line ends, a cut header).
  return head.indexOf('\r\n\r\n') < 0 && head.indexOf('\n\n') < 0 ? 'malformed_record' : null;
}

export interface WarcRange {
  /** Byte offset to start reading at: 0, or a record start (see isRecordStartAt). */
  start?: number;
  /**
   * Stop before the first record that starts at or after this offset at a point where reading can
   * resume (a gzip member or uncompressed record starting with "WARC/"); the generator then returns
   * that record's offset. The records of a whole-file gzip share offsets (warcio moves its offset on at
   * member ends only), so such a file has no resume point and is read whole.
   */
  stopAfter?: number;
  /**
   * The archive is the bytes [origin, end) of the file rather than the whole file: a WARC stored in a
   * WACZ (ZIP). Offsets stay offsets in the file.
   */
  origin?: number;
  end?: number;
}

/**
 * Read one WARC file. `ctx.counters`: records:<type>, html, skipped:<why>, error:<kind>.
 * Returns the offset it stopped at (see WarcRange.stopAfter), or null at the end of the file.
 */
export async function* readWarc(path: string, ctx: ReadContext, range: WarcRange = {}): AsyncGenerator<RawPage, number | null> {
  const format = await sniffArchive(path);
  if (format !== 'warc') {
    ctx.counters.add(`error:unsupported_format_${format}`);
    ctx.log(`${path}: ${format === 'unknown' ? 'not a WARC file' : `${format.toUpperCase()} files are not read here`}; skipped`);
    return null;
  }
  return yield* readWarcRecords(path, ctx, range);
}

/** The records of a WARC, whole file or a window of it (range.origin / range.end), without sniffing. */
export async function* readWarcRecords(path: string, ctx: ReadContext, range: WarcRange = {}): AsyncGenerator<RawPage, number | null> {
  const cfg = ctx.config.read;
  const origin = range.origin ?? 0;
  const start = Math.max(range.start ?? 0, origin);
  // warcio warns about a Content-Length that is too small while finding the next record: count it,
  // and remember it (the record after one is not a clean resume point).
  let lengthMismatch = false;
  const onWarning = (msg: string) => {
    if (msg.includes('Content-Length')) {
      ctx.counters.add('warning:content_length_mismatch');
      lengthMismatch = true;
    } else ctx.log(`${path}: warcio: ${msg.slice(0, 300)}`);
  };
  const stream = createReadStream(path, { start, end: range.end !== undefined ? range.end - 1 : undefined });
  const parser = new WARCParser(stream);
  let previousOffset = -1;
  let lastOffset = start;
  let parsedAny = false;
  try {
    let record: WARCRecord | null;
    for (;;) {
      try {
        record = await parseRecord(parser, onWarning);
      } catch (err) {
        ctx.counters.add('error:warc_parse');
        ctx.log(`${path}: WARC parse error after offset ${start + parser.offset}: ${(err as Error).message}`);
        return null;
      }
      if (!record) {
        const gzip = await isGzipFile(path, origin);
        // After a corrupt member warcio goes on reading the rest of the file as plain bytes (its
        // reader's `compressed` drops to null): records after it are lost.
        const wentRaw = gzip && (parser as unknown as { _reader?: { compressed?: unknown } })._reader?.compressed === null;
        const problem = !parsedAny ? 'no_warc_records' : wentRaw ? 'corrupt_gzip' : await archiveEndProblem(path, lastOffset, gzip, range.end);
        if (problem) {
          ctx.counters.add(`error:${problem}`);
          ctx.log(`${path}: ${problem.replace(/_/g, ' ')}${parsedAny ? ` after the record at byte ${lastOffset}; later records are lost` : ''}`);
        }
        return null;
      }
      const offset = start + parser.offset;
      lastOffset = offset;
      parsedAny = true;
      // A resume point is a record read cleanly from its own start: the first record of its gzip member
      // (records inside one member share its offset), not one read after a Content-Length mismatch
      // (warcio then starts a few bytes late; a fresh reader at that offset would read it differently).
      const versionLine = (record.warcHeaders as unknown as { statusline?: string }).statusline ?? '';
      const clean = !lengthMismatch && versionLine.startsWith('WARC/') && offset !== previousOffset;
      lengthMismatch = false;
      if (range.stopAfter !== undefined && offset >= range.stopAfter && clean && (await isRecordStartAt(path, offset))) {
        return offset;
      }
      previousOffset = offset;
      const type = recordType(record, ctx.counters);
      ctx.counters.add(`records:${type}`);
      if (type !== 'response' && type !== 'resource') {
        await skipRecord(record, ctx.counters);
        continue;
      }
      const url = record.warcTargetURI ?? '';
      if (type === 'response' && !record.httpHeaders) {
        // A recovered record: warcio did not parse its HTTP head, so do it from the block.
        yield* recoveredResponse(record, url, offset, path, ctx);
        continue;
      }
      const contentType = type === 'response' ? header(record, 'content-type') : record.warcContentType;
      if (!isHtml(contentType, cfg.htmlContentTypes)) {
        ctx.counters.add('skipped:not_html');
        await skipRecord(record, ctx.counters);
        continue;
      }
      ctx.counters.add('html');
      const source = {
        file: path,
        offset,
        recordId: record.warcHeader('WARC-Record-ID') ?? null,
        recordType: type,
      };
      const fetchedAt = record.warcDate ?? null;
      const status = type === 'response' ? Number(record.httpHeaders?.statusCode ?? NaN) : null;
      if (status !== null && !(status >= 200 && status < 300)) {
        await skipRecord(record, ctx.counters);
        ctx.reject(shellDoc(url, source, fetchedAt), Number.isFinite(status) ? `http_status_${status}` : 'http_status_missing', null);
        continue;
      }
      if (record.warcContentLength > cfg.maxHtmlBytes) {
        await skipRecord(record, ctx.counters);
        ctx.reject(shellDoc(url, source, fetchedAt), 'too_large', `${record.warcContentLength} bytes > read.maxHtmlBytes`);
        continue;
      }
      const headers: Record<string, string> = {};
      if (record.httpHeaders) for (const [k, v] of record.httpHeaders.headers) headers[k.toLowerCase()] ??= v;
      let raw: Uint8Array;
      try {
        // Raw payload, decoded by us: warcio's own decoding gives nothing for a cut gzip body.
        raw = await record.readFully(false);
        countShortRecord(record, ctx.counters);
      } catch (err) {
        ctx.counters.add('error:body_read');
        ctx.reject(shellDoc(url, source, fetchedAt), 'error:body_read', (err as Error).message);
        return null; // the stream is in an unknown state after a failed body read
      }
      yield httpPage({ url, fetchedAt, source, status: Number.isFinite(status) ? status : null, headers, body: raw }, ctx, {
        contentType,
        hint: record.warcHeader('WARC-Identified-Content-Charset') ?? null,
      });
    }
  } finally {
    stream.destroy(); // also when the consumer stops early (a page limit, a checkpoint): no open file left behind
  }
}

async function* recoveredResponse(record: WARCRecord, url: string, offset: number, path: string, ctx: ReadContext): AsyncGenerator<RawPage> {
  const http = parseHttpBlock(await record.readFully(false));
  if (!http || !isHtml(http.headers['content-type'], ctx.config.read.htmlContentTypes)) {
    ctx.counters.add('skipped:not_html');
    return;
  }
  ctx.counters.add('html');
  const source = { file: path, offset, recordId: record.warcHeader('WARC-Record-ID') ?? null, recordType: 'response' };
  const fetchedAt = record.warcDate ?? null;
  if (http.status === null || http.status < 200 || http.status >= 300) {
    ctx.reject(shellDoc(url, source, fetchedAt), `http_status_${http.status}`, 'record recovered after a Content-Length mismatch');
    return;
  }
  yield httpPage({ url, fetchedAt, source, status: http.status, headers: http.headers, body: http.body }, ctx);
}

/**
 * A page from an HTTP response of an archive record: the body's transfer and content encodings
 * undone (warnings counted), then its charset found and decoded (counted by where it came from).
 * `headers` are lower-cased; `charset.contentType` defaults to the response's own Content-Type.
 */
export function httpPage(
  r: { url: string; fetchedAt: string | null; source: RawPage['source']; status: number | null; headers: Record<string, string>; body: Uint8Array },
  ctx: ReadContext,
  charset: { contentType?: string | null; hint?: string | null } = {},
): RawPage {
  const { body, warnings } = decodeHttpBody(r.body, r.headers);
  for (const w of warnings) ctx.counters.add(`warning:${w}`);
  const decoded = decodeHtml(body, { contentType: charset.contentType ?? r.headers['content-type'] ?? null, hint: charset.hint ?? null });
  ctx.counters.add(`charset:${decoded.source}`);
  return {
    url: r.url,
    fetchedAt: r.fetchedAt,
    status: r.status,
    headers: r.headers,
    html: decoded.text,
    charset: decoded.charset,
    charsetSource: decoded.source,
    bytes: body.length,
    source: r.source,
  };
}
