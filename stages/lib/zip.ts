/**
 * The one module that reads ZIP files (yauzl): the entries of a WACZ (a ZIP of WARCs, indexes and
 * page lists, as Webrecorder / Browsertrix write them). Only the central directory is read here;
 * the entry data is read by the caller as a byte range of the file (`dataStart`, `compressedSize`),
 * which is the WARC itself when the entry is STORED (the WACZ spec: WARCs are stored, not deflated).
 */
import { open } from 'node:fs/promises';
import yauzl from 'yauzl';

export interface ZipEntry {
  name: string;
  /** 0 = stored (data as is), 8 = deflate. */
  compressionMethod: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Byte offset of the entry's data in the file (after its local header). */
  dataStart: number;
}

function centralDirectory(path: string): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error(`cannot open ${path} as a ZIP file`));
      const entries: yauzl.Entry[] = [];
      zip.on('entry', (e: yauzl.Entry) => {
        entries.push(e);
        zip.readEntry();
      });
      zip.on('end', () => resolve(entries));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** The entries of a ZIP file, in directory order, with where each one's data starts. */
export async function zipEntries(path: string): Promise<ZipEntry[]> {
  const entries = await centralDirectory(path);
  const fh = await open(path, 'r');
  try {
    const out: ZipEntry[] = [];
    for (const e of entries) {
      // Local file header: 30 fixed bytes, then the name and an extra field whose lengths can differ
      // from the central directory's copy, so they are read here.
      const { buffer, bytesRead } = await fh.read(Buffer.alloc(30), 0, 30, e.relativeOffsetOfLocalHeader);
      if (bytesRead < 30 || buffer.readUInt32LE(0) !== 0x04034b50) throw new Error(`${path}: bad local header for ${e.fileName}`);
      out.push({
        name: e.fileName,
        compressionMethod: e.compressionMethod,
        compressedSize: e.compressedSize,
        uncompressedSize: e.uncompressedSize,
        dataStart: e.relativeOffsetOfLocalHeader + 30 + buffer.readUInt16LE(26) + buffer.readUInt16LE(28),
      });
    }
    return out;
  } finally {
    await fh.close();
  }
}

/**
 * The WARCs of a WACZ: its `archive/*.warc(.gz)` entries, `stored` ones (readable in place, as the
 * spec asks them to be) apart from `deflated` ones.
 */
export async function waczWarcEntries(path: string): Promise<{ stored: ZipEntry[]; deflated: ZipEntry[] }> {
  const warcs = (await zipEntries(path)).filter((e) => /^archive\/.+\.warc(\.gz)?$/i.test(e.name));
  return { stored: warcs.filter((e) => e.compressionMethod === 0), deflated: warcs.filter((e) => e.compressionMethod !== 0) };
}
