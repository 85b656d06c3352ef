/**
 * The image index's fast path for per-record gzip WARCs (each record its own gzip member, as Common
 * Crawl and most crawlers write them): members are inflated by zlib (native) instead of warcio's
 * pako (JavaScript), which on a WARC of JPEGs cost ~7 ms of CPU per 330 KB record for the index pass
 * and ~9 ms more to read the record again (scripts/profile-images.ts). Each member is inflated whole
 * and its end found from what zlib consumed, so a record's bytes are read again by offset and length
 * alone. Anything this scan does not expect (not gzip, a member larger than MAX_MEMBER, a damaged
 * member, a header it cannot read) makes it give up on the file: warcio then scans it as before.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import { parseHttpBlock } from '../lib/http-block.ts';
import { decodeHttpBody } from '../lib/http-body.ts';

/** Members inflating to more than this are left to warcio (it streams them). */
const MAX_MEMBER = 64 * 1024 * 1024;
const READ_CHUNK = 4 * 1024 * 1024;

export interface MemberRecord {
  /** Offset of the gzip member holding the record, and where the member ends. */
  offset: number;
  end: number;
  /** Records before this one in the same member (0 for one record per member). */
  nth: number;
  warcType: string;
  url: string;
  /** WARC Content-Type (resource records). */
  warcContentType: string;
  warcContentLength: number;
  /** The record block (valid during the callback only: it is a view of the inflated member). */
  block: Buffer;
}

/** Length of the gzip header at `buf[0]`, or null when it is not one (RFC 1952 §2.3). */
function gzipHeaderLength(buf: Buffer): number | null {
  if (buf.length < 10 || buf[0] !== 0x1f || buf[1] !== 0x8b || buf[2] !== 8) return null;
  const flags = buf[3]!;
  let n = 10;
  if (flags & 4) {
    if (buf.length < n + 2) return null;
    n += 2 + buf.readUInt16LE(n);
  }
  for (const bit of [8, 16]) {
    if (flags & bit) {
      const z = buf.indexOf(0, n);
      if (z < 0) return null;
      n = z + 1;
    }
  }
  if (flags & 2) n += 2;
  return n <= buf.length ? n : null;
}

/** Inflate the member at `buf[0]`: its records' bytes and its compressed length, or null (incomplete or not a member). */
function inflateMember(buf: Buffer): { data: Buffer; length: number } | null {
  const h = gzipHeaderLength(buf);
  if (h === null) return null;
  try {
    const { buffer, engine } = inflateRawSync(buf.subarray(h), { info: true, maxOutputLength: MAX_MEMBER }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    const length = h + engine.bytesWritten + 8; // + CRC32 and ISIZE
    return length <= buf.length ? { data: buffer, length } : null;
  } catch {
    return null;
  }
}

/** The records of one inflated member; null when it does not hold well-formed WARC records. */
function recordsOf(data: Buffer, offset: number, end: number): MemberRecord[] | null {
  const out: MemberRecord[] = [];
  let p = 0;
  while (p < data.length) {
    if (data.subarray(p, p + 5).toString('latin1') !== 'WARC/') return null;
    const headEnd = data.indexOf('\r\n\r\n', p);
    if (headEnd < 0) return null;
    const headers = new Map<string, string>();
    for (const line of data.subarray(p, headEnd).toString('utf8').split('\r\n').slice(1)) {
      const i = line.indexOf(':');
      if (i <= 0) return null;
      const name = line.slice(0, i).trim().toLowerCase();
      if (!headers.has(name)) headers.set(name, line.slice(i + 1).trim());
    }
    const length = Number(headers.get('content-length'));
    const blockStart = headEnd + 4;
    if (!Number.isInteger(length) || length < 0 || blockStart + length > data.length) return null;
    out.push({
      offset,
      end,
      nth: out.length,
      warcType: headers.get('warc-type') ?? '',
      url: (headers.get('warc-target-uri') ?? '').replace(/^<|>$/g, ''),
      warcContentType: headers.get('content-type') ?? '',
      warcContentLength: length,
      block: data.subarray(blockStart, blockStart + length),
    });
    p = blockStart + length;
    while (p < data.length && (data[p] === 0x0d || data[p] === 0x0a)) p++;
  }
  return out.length > 0 ? out : null;
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

/**
 * Every record of the per-record gzip WARC bytes [start, end) of `file`, member by member, to
 * `onRecord`; false when the file is not such a WARC or something in it is unexpected (the caller
 * then discards what it was given and falls back to warcio).
 */
export async function scanGzipMembers(file: string, onRecord: (r: MemberRecord) => void, start = 0, end?: number): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const stop = end ?? (await fh.stat()).size;
    let bufStart = start;
    let buf = await readAt(fh, start, Math.min(READ_CHUNK, stop - start));
    let pos = start;
    while (pos < stop) {
      let member = inflateMember(buf.subarray(pos - bufStart));
      while (!member) {
        // The member goes past what is buffered: read on from pos with more room, unless at the end.
        const have = bufStart + buf.length - pos;
        if (bufStart + buf.length >= stop || have >= MAX_MEMBER) return false;
        buf = await readAt(fh, pos, Math.min(Math.max(READ_CHUNK, 2 * have), stop - pos));
        bufStart = pos;
        member = inflateMember(buf);
      }
      const records = recordsOf(member.data, pos, pos + member.length);
      if (!records) return false;
      for (const r of records) onRecord(r);
      pos += member.length;
    }
    return true;
  } finally {
    await fh.close();
  }
}

/** The URL and payload of the nth record of the member [offset, end) (HTTP chunking and Content-Encoding undone); null if it is not there. */
export async function readMemberPayload(file: string, offset: number, end: number, nth: number): Promise<{ url: string; payload: Buffer } | null> {
  const fh = await open(file, 'r');
  let raw: Buffer;
  try {
    raw = await readAt(fh, offset, end - offset);
  } finally {
    await fh.close();
  }
  const member = inflateMember(raw);
  const record = member ? recordsOf(member.data, offset, end)?.[nth] : undefined;
  if (!record) return null;
  if (record.warcType !== 'response') return { url: record.url, payload: Buffer.from(record.block) }; // resource: the block is the payload
  const http = parseHttpBlock(record.block);
  if (!http) return null;
  return { url: record.url, payload: Buffer.from(decodeHttpBody(http.body, http.headers).body) };
}
