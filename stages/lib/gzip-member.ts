/**
 * One gzip member of a file, inflated by Node's zlib (native), with where it ends: a WARC.gz holds
 * one member per record, so the member's end is the next record's offset. Used where a record's
 * bytes are needed whole (image records): warcio inflates in JavaScript (pako), about 3x the CPU.
 *
 * The member framing (RFC 1952: 10-byte header, optional fields, deflate data, 8-byte trailer) is
 * read here; the deflate data is zlib's. inflateRawSync stops at the end of the deflate stream and
 * reports how many input bytes it used (engine.bytesWritten), which gives the member's length.
 */
import type { FileHandle } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';

export interface Member {
  /** The member's inflated bytes. */
  data: Buffer;
  /** Offset just past the member (its trailer included). */
  end: number;
}

/** Length of the gzip header at the start of `b` (null: not a gzip member, or cut short). */
function headerLength(b: Buffer): number | null {
  if (b.length < 10 || b[0] !== 0x1f || b[1] !== 0x8b || b[2] !== 8) return null;
  const flags = b[3]!;
  let i = 10;
  if (flags & 4) {
    if (i + 2 > b.length) return null;
    i += 2 + b.readUInt16LE(i); // FEXTRA
  }
  for (const bit of [8, 16]) {
    // FNAME, FCOMMENT: zero-terminated
    if (flags & bit) {
      const z = b.indexOf(0, i);
      if (z < 0) return null;
      i = z + 1;
    }
  }
  if (flags & 2) i += 2; // FHCRC
  return i <= b.length ? i : null;
}

/**
 * The gzip member starting at `offset` of the open file `fh` (size `size`), reading at most
 * `maxCompressed` bytes of it; null when no member starts there or it does not end within the limit.
 */
export async function readGzipMember(fh: FileHandle, offset: number, size: number, maxCompressed: number, hint = 256 * 1024): Promise<Member | null> {
  let want = Math.min(Math.max(hint, 1024), size - offset);
  for (;;) {
    const buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await fh.read(buf, 0, want, offset);
    const b = buf.subarray(0, bytesRead);
    const h = headerLength(b);
    if (h === null) return null;
    try {
      const { buffer, engine } = inflateRawSync(b.subarray(h), { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
      const end = offset + h + engine.bytesWritten + 8;
      if (end > offset + bytesRead) throw new Error('trailer cut');
      return { data: buffer, end };
    } catch (err) {
      // The member goes on past what was read: read more, up to the limit and the end of the file.
      const cut = (err as { code?: string }).code === 'Z_BUF_ERROR' || (err as Error).message === 'trailer cut';
      if (!cut || bytesRead < want || want >= maxCompressed || offset + want >= size) return null;
      want = Math.min(want * 4, maxCompressed, size - offset);
    }
  }
}
