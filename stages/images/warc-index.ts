/**
 * Image records inside WARC (and ARC) files, indexed by URL: a Common Crawl WARC has no images, but a
 * site crawl (Heritrix, wget --warc, `corpus crawl --images`, the Internet Archive's ARC crawls) has
 * them next to the pages. Scanning reads only headers (bodies are skipped); bytes are read on demand
 * by seeking to the record's offset.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { WARCParser, parseRecord, records, type WARCRecord } from '../lib/warc-parser.ts';
import { arcRecords, isArcFile } from '../lib/arc-parser.ts';
import { parseHttpBlock } from '../lib/http-block.ts';
import { waczWarcEntries } from '../lib/zip.ts';
import { decodeHttpBody } from '../lib/http-body.ts';
import { readGzipMember } from '../lib/gzip-member.ts';

/** Largest gzip member inflated whole by the native scan; a file with a larger one is scanned by warcio. */
const MAX_MEMBER_BYTES = 64 * 1024 * 1024;

export interface WarcImageRef {
  file: string;
  /** Offset of the record (compressed offset for per-record gzip; byte offset for plain WARC). */
  offset: number;
  contentType: string;
  /** Declared WARC Content-Length (HTTP headers included): a cheap upper bound of the body size. */
  length: number;
  /** End of the record's own gzip member (per-record gzip WARC): the record is read by one native inflate. */
  end?: number;
}

/** A WARC record in memory: its WARC headers (lower-cased names, first value wins) and its block. */
interface RecordBytes {
  headers: Record<string, string>;
  block: Buffer;
  /** Bytes after the block and its CRLF CRLF: another record in the same gzip member. */
  rest: number;
}

/** Split one uncompressed WARC record (the inflated member of a per-record WARC.gz); null if it is not one. */
function splitRecord(data: Buffer): RecordBytes | null {
  if (data.subarray(0, 5).toString('latin1') !== 'WARC/') return null;
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const headers: Record<string, string> = {};
  for (const l of data.subarray(0, end).toString('utf8').split('\r\n').slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] ??= l.slice(i + 1).trim();
  }
  const length = Number(headers['content-length']);
  if (!Number.isInteger(length) || length < 0 || end + 4 + length > data.length) return null;
  const block = data.subarray(end + 4, end + 4 + length);
  return { headers, block, rest: Math.max(0, data.length - (end + 4 + length) - 4) };
}

/** Content types indexed: images, plus the generic binary type many servers send for them. */
function isImageType(type: string): boolean {
  return type.startsWith('image/') || type === 'application/octet-stream';
}

/** The key a URL is stored under: no angle brackets (WARC/0.17), no fragment, WHATWG-normalised. */
export function urlKey(url: string): string {
  const raw = url.trim().replace(/^<|>$/g, '');
  try {
    const u = new URL(raw);
    u.hash = '';
    return u.href;
  } catch {
    return raw;
  }
}

const isWaczFile = (file: string) => /\.wacz$/i.test(file);

/** An archive whose image records can be indexed: WARC or ARC (plain or gzip), or WACZ. */
export function isWarcFile(file: string): boolean {
  return /\.warc(\.gz)?$/i.test(file) || isArcFile(file) || isWaczFile(file);
}

export class WarcImageIndex {
  private readonly byUrl = new Map<string, WarcImageRef>();
  private readonly scans = new Map<string, Promise<void>>();
  /** Files whose offsets cannot be sought (one gzip member for the whole file): read by scanning. */
  private readonly unseekable = new Set<string>();

  get size(): number {
    return this.byUrl.size;
  }

  /** Index one file (once; later calls wait for the same scan). A damaged file is indexed up to the damage. */
  addFile(file: string): Promise<void> {
    let scan = this.scans.get(file);
    if (!scan) {
      scan = this.scan(file);
      this.scans.set(file, scan);
    }
    return scan;
  }

  private async scan(file: string): Promise<void> {
    if (isArcFile(file)) return this.scanArc(file);
    if (isWaczFile(file)) {
      // The WARCs stored in the ZIP, each a byte range of it: offsets stay offsets in the .wacz.
      const { stored } = await waczWarcEntries(file).catch(() => ({ stored: [] }));
      for (const e of stored) await this.scanWarc(file, e.dataStart, e.dataStart + e.compressedSize);
      return;
    }
    return this.scanWarc(file);
  }

  private async scanWarc(file: string, start = 0, end?: number): Promise<void> {
    if (await this.scanMembers(file, start, end)) return;
    const stream = createReadStream(file, { start, end: end !== undefined ? end - 1 : undefined });
    const parser = new WARCParser(stream);
    try {
      for (;;) {
        const record = await parseRecord(parser);
        if (!record) break;
        const ref = this.imageRef(record, file, start + parser.offset);
        // The first capture of a URL wins (a crawl records the same image once per visit).
        if (ref && !this.byUrl.has(ref.key)) this.byUrl.set(ref.key, ref.ref);
        // Drain the body by iterating: warcio's skipFully() hangs at a truncated gzip member
        // (corpus file chatnoir clipped.warc.gz); iterating ends cleanly there, in bounded memory.
        for await (const _chunk of record) void _chunk;
      }
    } catch {
      // Truncated / corrupt input: keep what was indexed before the damage (the reader counts the error).
    } finally {
      stream.destroy();
    }
  }

  /**
   * Per-record gzip WARC: walk its members with native zlib, taking each record's headers and end.
   * False (nothing indexed) when the file is not one record per member, or has a damaged or huge
   * member: warcio then scans it (and reads its records) as before.
   */
  private async scanMembers(file: string, start: number, end?: number): Promise<boolean> {
    const fh = await open(file, 'r');
    const found: { key: string; ref: WarcImageRef }[] = [];
    try {
      const size = end ?? (await fh.stat()).size;
      let offset = start;
      let hint = 64 * 1024;
      while (offset < size) {
        const member = await readGzipMember(fh, offset, size, MAX_MEMBER_BYTES, hint);
        if (!member) return false;
        const rec = splitRecord(member.data);
        if (!rec || rec.rest > 0) return false;
        const ref = this.memberRef(rec, file, offset, member.end);
        if (ref) found.push(ref);
        hint = Math.max(64 * 1024, member.end - offset + 1024);
        offset = member.end;
      }
    } finally {
      await fh.close();
    }
    // The first capture of a URL wins (a crawl records the same image once per visit).
    for (const f of found) if (!this.byUrl.has(f.key)) this.byUrl.set(f.key, f.ref);
    return true;
  }

  /** The index entry of an image record read from its bytes (same rules as imageRef). */
  private memberRef(rec: RecordBytes, file: string, offset: number, end: number): { key: string; ref: WarcImageRef } | null {
    const type = rec.headers['warc-type'];
    if (type !== 'response' && type !== 'resource') return null;
    const url = rec.headers['warc-target-uri'];
    if (!url) return null;
    let contentType: string;
    if (type === 'response') {
      const http = parseHttpBlock(rec.block);
      const status = http?.status ?? 0;
      if (status < 200 || status >= 300) return null;
      contentType = http!.headers['content-type'] ?? '';
    } else {
      contentType = rec.headers['content-type'] ?? '';
    }
    contentType = contentType.split(';')[0]!.trim().toLowerCase();
    if (!isImageType(contentType)) return null;
    return { key: urlKey(url), ref: { file, offset, contentType, length: rec.block.length, end } };
  }

  /** The payload of a record indexed by scanMembers: one native inflate of its member. */
  private async readMember(ref: WarcImageRef & { end: number }, key: string): Promise<Buffer | null> {
    const fh = await open(ref.file, 'r');
    let data: Buffer;
    try {
      const member = await readGzipMember(fh, ref.offset, ref.end, MAX_MEMBER_BYTES, ref.end - ref.offset);
      if (!member || member.end !== ref.end) return null;
      data = member.data;
    } finally {
      await fh.close();
    }
    const rec = splitRecord(data);
    if (!rec || urlKey(rec.headers['warc-target-uri'] ?? '') !== key) return null;
    if (rec.headers['warc-type'] === 'resource') return rec.block;
    const http = parseHttpBlock(rec.block);
    if (!http || http.status === null || http.status < 200 || http.status >= 300) return null;
    return Buffer.from(decodeHttpBody(http.body, http.headers).body);
  }

  /** ARC: the crawler's MIME type is on the header line, so blocks are skipped unread; status is checked on read. */
  private async scanArc(file: string): Promise<void> {
    try {
      for await (const r of arcRecords(file)) {
        const contentType = r.contentType.split(';')[0]!.trim().toLowerCase();
        if (!/^https?:/i.test(r.url) || !isImageType(contentType)) continue;
        const key = urlKey(r.url);
        if (!this.byUrl.has(key)) this.byUrl.set(key, { file, offset: r.offset, contentType, length: r.length });
      }
    } catch {
      // Truncated / corrupt input: keep what was indexed before the damage (the reader counts the error).
    }
  }

  /** The image bytes of the ARC record at ref.offset (the HTTP head removed; a non-2xx response is an error). */
  private async readArc(ref: WarcImageRef, key: string): Promise<Buffer> {
    for await (const r of arcRecords(ref.file, ref.offset)) {
      if (urlKey(r.url) !== key) break;
      const block = await r.read();
      const http = parseHttpBlock(block);
      if (!http) throw new Error(`ARC record of ${r.url} has no HTTP response head`);
      if (http.status === null || http.status < 200 || http.status >= 300) throw new Error(`ARC record of ${r.url}: HTTP ${http.status}`);
      return Buffer.from(decodeHttpBody(http.body, http.headers).body); // chunked / Content-Encoding undone, as warcio does for WARC
    }
    throw new Error(`record of ${key} not found again in ${ref.file}`);
  }

  private imageRef(record: WARCRecord, file: string, offset: number): { key: string; ref: WarcImageRef } | null {
    const type = record.warcType;
    if (type !== 'response' && type !== 'resource') return null;
    const url = record.warcTargetURI;
    if (!url) return null;
    let contentType: string;
    if (type === 'response') {
      const status = Number(record.httpHeaders?.statusCode ?? 0);
      if (status < 200 || status >= 300) return null;
      contentType = record.httpHeaders?.headers.get('content-type') ?? '';
    } else {
      contentType = record.warcContentType ?? '';
    }
    contentType = contentType.split(';')[0]!.trim().toLowerCase();
    if (!isImageType(contentType)) return null;
    return { key: urlKey(url), ref: { file, offset, contentType, length: record.warcContentLength } };
  }

  get(url: string): WarcImageRef | undefined {
    return this.byUrl.get(urlKey(url));
  }

  /** The payload of an indexed record (HTTP chunking and Content-Encoding removed). */
  async read(ref: WarcImageRef, url: string): Promise<Buffer> {
    const key = urlKey(url);
    if (isArcFile(ref.file)) return this.readArc(ref, key);
    if (ref.end !== undefined) {
      const bytes = await this.readMember({ ...ref, end: ref.end }, key).catch(() => null);
      if (bytes) return bytes;
    }
    if (!this.unseekable.has(ref.file)) {
      const stream = createReadStream(ref.file, { start: ref.offset });
      try {
        const record = await parseRecord(new WARCParser(stream));
        if (record && urlKey(record.warcTargetURI ?? '') === key) return Buffer.from(await record.readFully(true));
      } catch {
        // fall through to a scan
      } finally {
        stream.destroy();
      }
      this.unseekable.add(ref.file);
    }
    // Whole-file gzip: offsets are not member boundaries; find the record from the start.
    const stream = createReadStream(ref.file);
    try {
      for await (const record of records(new WARCParser(stream))) {
        if (record.warcType === 'response' || record.warcType === 'resource') {
          if (urlKey(record.warcTargetURI ?? '') === key) return Buffer.from(await record.readFully(true));
        }
      }
    } finally {
      stream.destroy();
    }
    throw new Error(`record of ${url} not found again in ${ref.file}`);
  }
}

/** Index the image records of several WARC / ARC files (other paths are ignored). */
export async function buildWarcImageIndex(files: string[]): Promise<WarcImageIndex> {
  const index = new WarcImageIndex();
  for (const f of files) if (isWarcFile(f)) await index.addFile(f);
  return index;
}
