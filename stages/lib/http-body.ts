/**
 * HTTP payload -> body bytes: undo Transfer-Encoding: chunked and Content-Encoding (gzip, deflate,
 * br) leniently. Archives often hold bodies that are truncated (wrong Content-Length, clipped
 * records) or already decoded while the header still says gzip/chunked; a truncated stream gives
 * the bytes it has, a body that is not actually encoded is kept as it is. Each case is reported.
 */
import { brotliDecompressSync, constants, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';

export interface DecodedBody {
  body: Uint8Array;
  /** What was odd: 'chunked_not_chunked', 'truncated_gzip', 'encoding_not_applied', ... */
  warnings: string[];
}

/** Undo chunked transfer coding; null when the payload does not start like a chunked body. */
export function dechunk(raw: Uint8Array): { body: Uint8Array; truncated: boolean } | null {
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0 || eol - pos > 32) return parts.length ? { body: Buffer.concat(parts), truncated: true } : null;
    const size = parseInt(buf.subarray(pos, eol).toString('latin1').split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size) || size < 0) return parts.length ? { body: Buffer.concat(parts), truncated: true } : null;
    if (size === 0) return { body: Buffer.concat(parts), truncated: false };
    const start = eol + 2;
    if (start + size > buf.length) {
      parts.push(buf.subarray(start));
      return { body: Buffer.concat(parts), truncated: true };
    }
    parts.push(buf.subarray(start, start + size));
    pos = start + size + 2;
  }
}

const lenient = { finishFlush: constants.Z_SYNC_FLUSH };

function inflate(kind: string, data: Uint8Array): Uint8Array {
  if (kind === 'br') return brotliDecompressSync(data, { finishFlush: constants.BROTLI_OPERATION_FLUSH });
  if (kind === 'deflate') {
    try {
      return inflateSync(data, lenient);
    } catch {
      return inflateRawSync(data, lenient);
    }
  }
  return gunzipSync(data, lenient);
}

export function decodeHttpBody(raw: Uint8Array, headers: Record<string, string>): DecodedBody {
  const warnings: string[] = [];
  let body = raw;
  if ((headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')) {
    const d = dechunk(body);
    if (!d) warnings.push('chunked_not_chunked');
    else {
      body = d.body;
      if (d.truncated) warnings.push('truncated_chunked');
    }
  }
  const ce = (headers['content-encoding'] ?? '').toLowerCase().trim();
  const kind = ce.includes('gzip') ? 'gzip' : ce.includes('br') ? 'br' : ce.includes('deflate') ? 'deflate' : null;
  if (kind && body.length > 0) {
    const looksGzip = body[0] === 0x1f && body[1] === 0x8b;
    if (kind === 'gzip' && !looksGzip) warnings.push('encoding_not_applied');
    else {
      try {
        const out = inflate(kind, body);
        // zlib with a sync flush returns what it could of a cut stream; flag it when the end was missing.
        if (kind === 'gzip' && !hasGzipTrailer(body)) warnings.push('truncated_gzip');
        body = out;
      } catch {
        warnings.push(`undecodable_${kind}`);
      }
    }
  }
  return { body, warnings };
}

function hasGzipTrailer(b: Uint8Array): boolean {
  // Not exact (a member may be followed by padding), but a cut stream almost never ends in a valid ISIZE.
  try {
    gunzipSync(b);
    return true;
  } catch {
    return false;
  }
}
