/**
 * Parts of a large archive: a per-record-gzip WARC (Common Crawl's format, each record its own gzip
 * member) is cut into byte ranges of about `partBytes` at record starts, so that one big file can be
 * worked on by several workers (or ranks) at once. Where the cuts fall depends only on the file and
 * `partBytes`, never on the number of workers: the rows of a run do not depend on how its parts were
 * scheduled.
 *
 * A cut is the first gzip member at or after k * partBytes that inflates to a record head ("WARC/");
 * a part reads exactly the bytes [start, end) of the file, so every record is read by one part, as a
 * whole-file read would read it. Whole-file gzip, uncompressed WARC, ARC and WACZ files have no cut
 * that can be found without reading everything before it, and stay one unit.
 */
import { open } from 'node:fs/promises';
import { isRecordStartAt, sniffArchive } from './warc.ts';

export interface ArchivePart {
  start: number;
  end: number;
}

const GZIP_MAGIC = [0x1f, 0x8b, 0x08] as const;
/** How far past a grid point to look for a member start (a record larger than this is rare). */
const SCAN_CHUNK = 1024 * 1024;

/** Offset of the first gzip member at or after `from` (and before `limit`) that starts a WARC record; null if none. */
export async function recordStartAtOrAfter(path: string, from: number, limit: number): Promise<number | null> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(SCAN_CHUNK + GZIP_MAGIC.length - 1);
    for (let pos = from; pos < limit; pos += SCAN_CHUNK) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      const chunk = buf.subarray(0, bytesRead);
      for (let i = chunk.indexOf(GZIP_MAGIC[0]); i >= 0 && i < SCAN_CHUNK && pos + i < limit; i = chunk.indexOf(GZIP_MAGIC[0], i + 1)) {
        if (chunk[i + 1] === GZIP_MAGIC[1] && chunk[i + 2] === GZIP_MAGIC[2] && (await isRecordStartAt(path, pos + i))) return pos + i;
      }
      if (bytesRead < buf.length) break;
    }
    return null;
  } finally {
    await fh.close();
  }
}

/**
 * The parts of an archive of `bytes` bytes: one [0, bytes) when it is not larger than 1.5 partBytes
 * (0 = never cut), not a gzip WARC, or has no member start to cut at.
 */
export async function archiveParts(path: string, bytes: number, partBytes: number): Promise<ArchivePart[]> {
  const whole = [{ start: 0, end: bytes }];
  if (!(partBytes > 0) || bytes <= 1.5 * partBytes) return whole;
  const head = Buffer.alloc(2);
  const fh = await open(path, 'r');
  try {
    await fh.read(head, 0, 2, 0);
  } finally {
    await fh.close();
  }
  if (head[0] !== 0x1f || head[1] !== 0x8b || (await sniffArchive(path)) !== 'warc') return whole;
  // Whole-file gzip has no member start after the first: no cut is found and the file stays whole.
  const n = Math.round(bytes / partBytes);
  const cuts: number[] = [];
  for (let k = 1; k < n; k++) {
    const grid = Math.round((k * bytes) / n);
    const cut = await recordStartAtOrAfter(path, grid, Math.round(((k + 1) * bytes) / n));
    if (cut !== null && cut > (cuts.at(-1) ?? 0)) cuts.push(cut);
  }
  if (cuts.length === 0) return whole;
  const starts = [0, ...cuts];
  return starts.map((start, i) => ({ start, end: starts[i + 1] ?? bytes }));
}
