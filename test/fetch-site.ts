/**
 * A real HTTP server on 127.0.0.1 for the fetch / images / crawl tests and benchmarks, plus
 * generated image fixtures. Routes are plain handlers; every request is logged for assertions.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { deflateSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface Site {
  origin: string;
  server: Server;
  /** Paths requested, in order. */
  log: string[];
  close(): Promise<void>;
}

export async function startSite(routes: Record<string, Handler>): Promise<Site> {
  const log: string[] = [];
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    log.push(path);
    const handler = routes[path];
    try {
      if (handler) await handler(req, res);
      else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    } catch {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    server,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Serve fixed bytes with a content type. */
export const serve =
  (body: Buffer | string, type: string, extra: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...extra });
    res.end(body);
  };

/** A deterministic photo-like RGB image (gradients + pseudo-random noise), so JPEG sizes are realistic. */
export function photoPixels(width: number, height: number, seed = 1): Buffer {
  const px = Buffer.alloc(width * height * 3);
  let s = seed >>> 0 || 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      const noise = (s >>> 0) % 48;
      const i = (y * width + x) * 3;
      const cx = x - width * (0.3 + 0.4 * ((seed * 7) % 10) / 10);
      const cy = y - height / 2;
      const blob = Math.max(0, 120 - Math.sqrt(cx * cx + cy * cy) / 3);
      px[i] = Math.min(255, (x * 255) / width / 1.5 + noise + blob);
      px[i + 1] = Math.min(255, (y * 255) / height / 1.5 + noise + ((seed * 37) % 60));
      px[i + 2] = Math.min(255, 200 - (x * 100) / width + noise / 2 + blob / 2);
    }
  }
  return px;
}

export async function makeImage(
  width: number,
  height: number,
  format: 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' = 'jpeg',
  seed = 1,
): Promise<Buffer> {
  const img = sharp(photoPixels(width, height, seed), { raw: { width, height, channels: 3 } });
  switch (format) {
    case 'jpeg':
      return img.jpeg({ quality: 85 }).toBuffer();
    case 'png':
      return img.png().toBuffer();
    case 'webp':
      return img.webp({ quality: 80 }).toBuffer();
    case 'gif':
      return img.gif().toBuffer();
    case 'avif':
      return img.avif({ quality: 50, effort: 0 }).toBuffer();
  }
}

/** A valid JPEG cut in half: the header parses, the pixel data is missing. */
export function corruptJpeg(valid: Buffer): Buffer {
  return valid.subarray(0, Math.floor(valid.length / 2));
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

/**
 * A PNG "pixel bomb": a header claiming width x height (e.g. 60,000 x 60,000 = 3.6 gigapixels) with
 * a tiny IDAT. Decoding it would need gigabytes; the stage must refuse it from the header.
 */
export function pngPixelBomb(width = 60_000, height = 60_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  ihdr[10] = 0;
  ihdr[11] = 0;
  ihdr[12] = 0;
  // One row of zeros compresses to a few bytes; the rest of the image is "missing".
  const idat = deflateSync(Buffer.alloc(width + 1));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}
