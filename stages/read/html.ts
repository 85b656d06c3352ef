/**
 * Local HTML pages (.html, .htm, .html.gz) -> RawPage. The page URL is its <link rel=canonical>
 * or og:url when present (so relative image URLs resolve as on the web), else the file:// URL.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { constants, gunzipSync } from 'node:zlib';
import type { RawPage } from '../../schemas/doc.ts';
import { shellDoc } from '../../schemas/ids.ts';
import type { ReadContext } from './config.ts';
import { decodeHtml } from './charset.ts';

const HTML_FILE = /\.(html?|xhtml)(\.gz)?$/i;

export function isHtmlFile(path: string): boolean {
  return HTML_FILE.test(path);
}

function attrOf(tag: string, name: string): string | null {
  const m = new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  return m ? (m[1] ?? m[2] ?? m[3] ?? null) : null;
}

/** canonical link or og:url from the head of a page; null when absent or not absolute http(s). */
export function declaredUrl(html: string): string | null {
  const head = html.slice(0, 256 * 1024);
  for (const m of head.matchAll(/<(link|meta)\b[^>]*>/gi)) {
    const tag = m[0];
    const isCanonical = m[1]!.toLowerCase() === 'link' && /\brel\s*=\s*["']?canonical\b/i.test(tag);
    const isOg = m[1]!.toLowerCase() === 'meta' && /\bproperty\s*=\s*["']?og:url\b/i.test(tag);
    const v = isCanonical ? attrOf(tag, 'href') : isOg ? attrOf(tag, 'content') : null;
    if (v && /^https?:\/\//i.test(v.trim())) return v.trim();
  }
  return null;
}

/**
 * A .gz page: a cut file gives the text it has (counted warning:truncated_gzip), a file that is not
 * gzip at all (saved already decompressed) is read as it is (warning:not_gzip).
 */
function gunzipPage(bytes: Uint8Array, ctx: ReadContext): Uint8Array {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    ctx.counters.add('warning:not_gzip');
    return bytes;
  }
  try {
    return gunzipSync(bytes);
  } catch (err) {
    const partial = gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH });
    if (partial.length === 0) throw err;
    ctx.counters.add('warning:truncated_gzip');
    return partial;
  }
}

/** Read one HTML file into a page; null (and a reject) when it cannot be read. */
export async function readHtmlFile(path: string, ctx: ReadContext): Promise<RawPage | null> {
  const fileUrl = pathToFileURL(resolve(path)).href;
  const source = { file: path, offset: 0, recordId: null, recordType: 'file' };
  let bytes: Uint8Array;
  let mtime: string | null = null;
  try {
    // Synchronous reads: a page is small and read whole, and the promise API costs more CPU than
    // the read itself (stat + open + fstat + read + close as separate round trips: ~0.5 ms a page).
    const st = statSync(path);
    mtime = st.mtime.toISOString();
    if (st.size > ctx.config.read.maxHtmlBytes) {
      ctx.reject(shellDoc(fileUrl, source, mtime), 'too_large', `${st.size} bytes > read.maxHtmlBytes`);
      return null;
    }
    bytes = readFileSync(path);
    if (path.toLowerCase().endsWith('.gz')) bytes = gunzipPage(bytes, ctx);
  } catch (err) {
    ctx.counters.add('error:file_read');
    ctx.reject(shellDoc(fileUrl, source, mtime), 'error:file_read', (err as Error).message);
    return null;
  }
  const decoded = decodeHtml(bytes);
  ctx.counters.add(`charset:${decoded.source}`);
  ctx.counters.add('html');
  return {
    url: declaredUrl(decoded.text) ?? fileUrl,
    fetchedAt: mtime,
    status: null,
    headers: {},
    html: decoded.text,
    charset: decoded.charset,
    charsetSource: decoded.source,
    bytes: bytes.length,
    source,
  };
}
