/**
 * ARC records, for the reader (stages/read/arc.ts) and the images stage's archive index. ARC is the
 * Internet Archive's container before WARC (crawls of 1996–2009 are still stored in it). A record is
 * one header line
 *   URL IP-address Archive-date Content-type [Result-code Checksum Location Offset Filename] Archive-length
 * (version 1 has the five fields, version 2 the ten), then Archive-length bytes, then a newline; for an
 * http(s) URL the bytes are the whole HTTP response. The first record (filedesc://) describes the file.
 * In .arc.gz every record is its own gzip member.
 *
 * Bytes come through warcio's AsyncIterReader (the reader under its WARCParser: gzip members inflated
 * one by one, compressed offsets kept), so a record's offset is its gzip member's, as for WARC, and
 * reading can start again at any record.
 */
import { createReadStream } from 'node:fs';
import { AsyncIterReader } from './warc-parser.ts';
import { recordHeadAt } from './archive-head.ts';

export interface ArcHeader {
  url: string;
  /** 14 digits, YYYYMMDDhhmmss (UTC). */
  date: string;
  /** The crawler's MIME type of the record. */
  contentType: string;
  /** Bytes of the record's block. */
  length: number;
}

export interface ArcRecord extends ArcHeader {
  /** Byte offset of the record: its gzip member (.arc.gz) or its header line (plain .arc). */
  offset: number;
  /** The block (shorter than `length` when the file ends inside it). Call at most once, or skip(). */
  read(): Promise<Uint8Array>;
  /** Skip the block; returns the bytes skipped (fewer than `length` when the file ends inside it). */
  skip(): Promise<number>;
}

/** Why iteration stopped: the end of the file, or a line that is not an ARC header (nothing after it is read). */
export type ArcEnd = { end: 'eof' } | { end: 'malformed'; offset: number; line: string };

/** One ARC header line, or null when the line is not one. */
export function parseArcHeader(line: string): ArcHeader | null {
  const f = line.trim().split(/\s+/);
  if (f.length !== 5 && f.length !== 10) return null;
  const length = Number(f[f.length - 1]);
  if (!Number.isSafeInteger(length) || length < 0 || !/^\d{8,14}$/.test(f[2]!)) return null;
  return { url: f[0]!, date: f[2]!, contentType: f[3]!, length };
}

/** ARC's 14-digit date as ISO 8601, as WARC-Date would give it. */
export function arcDate(d: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?$/.exec(d);
  if (!m) return null;
  const [, y, mo, da, h = '00', mi = '00', s = '00'] = m;
  return `${y}-${mo}-${da}T${h}:${mi}:${s}Z`;
}

export function isArcFile(file: string): boolean {
  return /\.arc(\.gz)?$/i.test(file);
}

const latin1 = new TextDecoder('latin1');

/** The records of an ARC file from byte `start` (a record offset). A block not read or skipped is skipped. */
export async function* arcRecords(path: string, start = 0): AsyncGenerator<ArcRecord, ArcEnd> {
  const stream = createReadStream(path, { start });
  const reader = new AsyncIterReader(stream);
  try {
    for (;;) {
      // Gzip: the member offset, taken before the next line is inflated (warcio advances it per member).
      const memberOffset = reader.compressed ? reader.getRawOffset() : -1;
      let raw: Uint8Array | null;
      do raw = await reader.readlineRaw(64 * 1024);
      while (raw && raw.length <= 2 && latin1.decode(raw).trim() === '');
      if (!raw) return { end: 'eof' };
      const line = latin1.decode(raw);
      const offset = start + (reader.compressed ? memberOffset : reader.getReadOffset() - raw.length);
      const head = parseArcHeader(line);
      if (!head) return { end: 'malformed', offset, line };
      let consumed = false;
      const once = () => {
        if (consumed) throw new Error('ARC record block already consumed');
        consumed = true;
      };
      yield {
        ...head,
        offset,
        read: async () => {
          once();
          return reader.readSize(head.length);
        },
        skip: async () => {
          once();
          return reader.skipSize(head.length);
        },
      };
      if (!consumed) await reader.skipSize(head.length);
    }
  } finally {
    stream.destroy();
  }
}

/** Does an ARC record start at byte `offset` (a gzip member, or a plain line, beginning with a header)? */
export async function isArcRecordStartAt(path: string, offset: number): Promise<boolean> {
  const { head, gzip, before } = await recordHeadAt(path, offset);
  // Plain text: a record starts a line (else any line tail, "ttp://x/ ...", would pass for a header).
  if (!gzip && before !== null && before !== 0x0a) return false;
  const nl = head.indexOf(0x0a);
  return nl > 0 && parseArcHeader(head.subarray(0, nl).toString('latin1')) !== null;
}
