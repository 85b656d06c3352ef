/**
 * Writing WARC files (warcio): gzip per record, with block and payload digests, so any WARC tool
 * (and our reader) can index and read them. Used by the sample builder and the crawler.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { WARCRecord, WARCSerializer } from 'warcio';

export interface HttpExchange {
  url: string;
  /** ISO-8601 fetch time. */
  date: string;
  status: number;
  statusText?: string;
  headers: Record<string, string>;
  body: Uint8Array;
  /** Request headers, when a request record should be written too. */
  requestHeaders?: Record<string, string>;
}

async function* once1(b: Uint8Array): AsyncGenerator<Uint8Array> {
  yield b;
}

export class WarcWriter {
  private constructor(private readonly out: WriteStream) {}

  static async open(path: string, info: Record<string, string> = {}): Promise<WarcWriter> {
    const w = new WarcWriter(createWriteStream(path));
    const rec = WARCRecord.createWARCInfo({ filename: path.split('/').pop(), warcVersion: 'WARC/1.1' }, {
      software: 'interleaved-corpus',
      format: 'WARC File Format 1.1',
      ...info,
    });
    await w.write(rec);
    return w;
  }

  private async write(rec: WARCRecord): Promise<void> {
    const bytes = await WARCSerializer.serialize(rec, { gzip: true });
    if (!this.out.write(bytes)) await once(this.out, 'drain');
  }

  /** A response record (and its request record when requestHeaders are given). */
  async writeExchange(x: HttpExchange): Promise<void> {
    const response = WARCRecord.create(
      {
        url: x.url,
        date: x.date,
        type: 'response',
        warcVersion: 'WARC/1.1',
        httpHeaders: x.headers,
        statusline: `HTTP/1.1 ${x.status} ${x.statusText ?? ''}`.trimEnd(),
      },
      once1(x.body),
    );
    await this.write(response);
    if (x.requestHeaders) {
      const u = new URL(x.url);
      const request = WARCRecord.create(
        {
          url: x.url,
          date: x.date,
          type: 'request',
          warcVersion: 'WARC/1.1',
          httpHeaders: x.requestHeaders,
          statusline: `GET ${u.pathname}${u.search} HTTP/1.1`,
          warcHeaders: { 'WARC-Concurrent-To': response.warcHeader('WARC-Record-ID') ?? '' },
        },
        once1(new Uint8Array()),
      );
      await this.write(request);
    }
  }

  async close(): Promise<void> {
    this.out.end();
    await once(this.out, 'finish');
  }
}
