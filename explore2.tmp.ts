import { WARCParser } from 'warcio';
import { createReadStream } from 'node:fs';
import sharp from 'sharp';
for (const f of ['/work/shared/corpus/warc/ukwa__webarchive-discovery/flashfrozen-jwat-recompressed.warc.gz','/work/shared/corpus/warc/netarchivesuite__solrwayback/IAH-20080430204825-00000-blackbook.warc.gz']) {
  const p = new WARCParser(createReadStream(f));
  for await (const r of p) {
    const ct = r.httpHeaders?.headers.get('content-type') ?? '';
    if ((r.warcType==='response'||r.warcType==='resource') && ct.startsWith('image/')) {
      const b = await r.readFully();
      try { const m = await sharp(Buffer.from(b)).metadata(); console.log(m.width, m.height, m.format, r.warcTargetURI); } catch(e) { console.log('ERR', r.warcTargetURI); }
    } else if (ct.startsWith('text/html')) console.log('HTML', r.warcTargetURI);
  }
}
