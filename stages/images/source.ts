/**
 * Where image bytes come from, in order: a data: URL itself, an image record in a WARC of the
 * inputs, the local cache directory, HTTP (unless offline). Every miss becomes a reason string.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { writeFileAtomically } from '../lib/atomic.ts';
import path from 'node:path';
import type { Fetcher } from '../fetch/index.ts';
import type { WarcImageIndex } from './warc-index.ts';
import { urlKey } from './warc-index.ts';

export type ImageSourceKind = 'data' | 'warc' | 'cache' | 'http';

export type Acquired =
  | { ok: true; bytes: Buffer; source: ImageSourceKind }
  | { ok: false; reason: string; detail: string };

export interface SourceOptions {
  maxBytes: number;
  offline: boolean;
  cacheDir: string | null;
  warc: () => Promise<WarcImageIndex | null>;
  fetcher: () => Promise<Fetcher>;
  signal?: AbortSignal;
}

/** Content types accepted from HTTP for an image URL (a missing type is accepted too; sharp decides). */
export const IMAGE_CONTENT_TYPES = ['image/', 'application/octet-stream', 'binary/octet-stream'];

/** Bytes of a data: URL (base64 or percent-encoded). */
export function parseDataUrl(url: string): Buffer | null {
  const comma = url.indexOf(',');
  if (!url.startsWith('data:') || comma < 0) return null;
  const meta = url.slice(5, comma);
  const data = url.slice(comma + 1);
  try {
    return /;base64$/i.test(meta) ? Buffer.from(decodeURIComponent(data), 'base64') : Buffer.from(decodeURIComponent(data), 'latin1');
  } catch {
    return null;
  }
}

/** Cache file of a URL: <cacheDir>/<2 hex>/<sha256 of the normalised URL>. */
export function cachePath(cacheDir: string, url: string): string {
  const h = createHash('sha256').update(urlKey(url)).digest('hex');
  return path.join(cacheDir, h.slice(0, 2), h);
}

async function readCache(cacheDir: string, url: string, maxBytes: number): Promise<Buffer | null | 'too_large'> {
  const file = cachePath(cacheDir, url);
  try {
    const s = await stat(file);
    if (s.size > maxBytes) return 'too_large';
    return await readFile(file);
  } catch {
    return null;
  }
}

async function writeCache(cacheDir: string, url: string, bytes: Buffer): Promise<void> {
  const file = cachePath(cacheDir, url);
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomically(file, bytes, { flush: false }); // a cache: may be lost, never half-written
  } catch {
    // A read-only or full cache must not fail the image.
  }
}

export async function acquireImage(url: string, opts: SourceOptions): Promise<Acquired> {
  if (url.startsWith('data:')) {
    const bytes = parseDataUrl(url);
    if (!bytes) return { ok: false, reason: 'fetch:bad_url', detail: 'undecodable data: URL' };
    return { ok: true, bytes, source: 'data' };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'fetch:bad_url', detail: `not a URL: ${url.slice(0, 200)}` };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { ok: false, reason: 'fetch:scheme', detail: `scheme ${parsed.protocol} not fetched` };
  }

  const warc = await opts.warc();
  const ref = warc?.get(url);
  if (warc && ref) {
    if (ref.length > opts.maxBytes + 64 * 1024) return { ok: false, reason: 'fetch:too_large', detail: `WARC record of ${ref.length} bytes` };
    try {
      const bytes = await warc.read(ref, url);
      if (bytes.length > opts.maxBytes) return { ok: false, reason: 'fetch:too_large', detail: `${bytes.length} bytes in WARC` };
      return { ok: true, bytes, source: 'warc' };
    } catch (err) {
      return { ok: false, reason: 'warc:read_error', detail: String((err as Error).message).slice(0, 300) };
    }
  }

  if (opts.cacheDir) {
    const cached = await readCache(opts.cacheDir, url, opts.maxBytes);
    if (cached === 'too_large') return { ok: false, reason: 'fetch:too_large', detail: 'cached file over the limit' };
    if (cached) return { ok: true, bytes: cached, source: 'cache' };
  }

  if (opts.offline) return { ok: false, reason: 'fetch:offline', detail: 'not in the WARC inputs or the cache, and offline' };

  const res = await (await opts.fetcher()).fetch(url, { accept: IMAGE_CONTENT_TYPES, maxBytes: opts.maxBytes, signal: opts.signal });
  if (!res.ok) return { ok: false, reason: `fetch:${res.reason}`, detail: res.detail };
  if (opts.cacheDir) await writeCache(opts.cacheDir, url, res.body);
  return { ok: true, bytes: res.body, source: 'http' };
}
