/**
 * The first bytes of an archive record at a byte offset, inflated when a gzip member starts there:
 * what the WARC and ARC readers check before resuming at an offset ("does a record start here?").
 */
import { open } from 'node:fs/promises';
import { constants, createGunzip } from 'node:zlib';

/**
 * Up to `length` bytes at `offset` (inflated as far as they go when they start a gzip member, then
 * `gzip` is true), and the byte before `offset` (null at 0): a plain-text record also starts a line.
 */
export async function recordHeadAt(path: string, offset: number, length = 2048): Promise<{ head: Buffer; gzip: boolean; before: number | null }> {
  const fh = await open(path, 'r');
  let raw: Buffer;
  let before: number | null = null;
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(length), 0, length, offset);
    raw = buffer.subarray(0, bytesRead);
    if (offset > 0) {
      const b = Buffer.alloc(1);
      await fh.read(b, 0, 1, offset - 1);
      before = b[0]!;
    }
  } finally {
    await fh.close();
  }
  const gzip = raw[0] === 0x1f && raw[1] === 0x8b;
  return { head: gzip ? await gunzipHead(raw) : raw, gzip, before };
}

/**
 * What the gzip member at the start of `bytes` inflates to, as far as `bytes` go. Streamed in small
 * writes: zlib emits what a write inflated before it reads the next one, so bytes after the member
 * that are not gzip (the next entry of a WACZ's ZIP) end it instead of failing it.
 */
async function gunzipHead(bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const gz = createGunzip({ finishFlush: constants.Z_SYNC_FLUSH });
    gz.on('data', (c: Buffer) => out.push(c));
    gz.on('error', () => resolve(Buffer.concat(out)));
    gz.on('end', () => resolve(Buffer.concat(out)));
    for (let i = 0; i < bytes.length; i += 64) gz.write(bytes.subarray(i, i + 64));
    gz.end();
  });
}
