/**
 * WACZ -> RawPage. A WACZ (Webrecorder, Browsertrix) is a ZIP holding the crawl's WARCs under
 * archive/, with indexes and page lists beside them. Each WARC entry is read in place as a byte range
 * of the ZIP by the WARC reader (the spec stores WARCs uncompressed in the ZIP, they are gzip
 * already), so `source_offset` is the record's offset in the .wacz file, where a replay tool seeks.
 * A deflated WARC entry (allowed, rare) has no such offsets: it is counted (error:wacz_deflated_entry)
 * and skipped. A WACZ is one unit read whole: an interrupted run redoes it (no checkpoints inside).
 */
import type { RawPage } from '../../schemas/doc.ts';
import type { ReadContext } from './config.ts';
import { waczWarcEntries } from '../lib/zip.ts';
import { readWarcRecords } from './warc.ts';

export async function* readWacz(path: string, ctx: ReadContext): AsyncGenerator<RawPage, null> {
  let warcs: Awaited<ReturnType<typeof waczWarcEntries>>;
  try {
    warcs = await waczWarcEntries(path);
  } catch (err) {
    ctx.counters.add('error:bad_zip');
    ctx.log(`${path}: not a readable WACZ (ZIP): ${(err as Error).message}`);
    return null;
  }
  if (warcs.stored.length + warcs.deflated.length === 0) {
    ctx.counters.add('error:wacz_without_warcs');
    ctx.log(`${path}: no archive/*.warc(.gz) entry in this WACZ`);
    return null;
  }
  for (const e of warcs.deflated) {
    ctx.counters.add('error:wacz_deflated_entry');
    ctx.log(`${path}: ${e.name} is deflated inside the ZIP (WACZ stores WARCs uncompressed); skipped`);
  }
  for (const e of warcs.stored) {
    ctx.counters.add('wacz:warc_entries');
    yield* readWarcRecords(path, ctx, { origin: e.dataStart, start: e.dataStart, end: e.dataStart + e.compressedSize });
  }
  return null;
}
