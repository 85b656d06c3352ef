/**
 * Bytes -> text for HTML. Order (WHATWG encoding sniffing, simplified): BOM, HTTP Content-Type
 * charset, <meta charset> / http-equiv in the first 1024 bytes, the WARC-Identified-Content-Charset
 * hint, then statistical detection (chardet) — UTF-8 when the bytes are valid UTF-8.
 * Labels are decoded with TextDecoder (Node has full ICU: gbk, gb18030, shift_jis, euc-kr, big5,
 * windows-125x, koi8-r ...), falling back to iconv-lite for labels TextDecoder lacks.
 */
import { isUtf8 } from 'node:buffer';
import chardet from 'chardet';
import iconv from 'iconv-lite';

export interface Decoded {
  text: string;
  charset: string;
  source: 'bom' | 'header' | 'meta' | 'hint' | 'detected' | 'default';
}

export function charsetFromContentType(ct: string | null | undefined): string | null {
  const m = ct ? /charset\s*=\s*["']?([^"';,\s]+)/i.exec(ct) : null;
  return m ? m[1]!.toLowerCase() : null;
}

function bomCharset(b: Uint8Array): { charset: string; skip: number } | null {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { charset: 'utf-8', skip: 3 };
  if (b[0] === 0xff && b[1] === 0xfe) return { charset: 'utf-16le', skip: 2 };
  if (b[0] === 0xfe && b[1] === 0xff) return { charset: 'utf-16be', skip: 2 };
  return null;
}

/** <meta charset=x> or <meta http-equiv=content-type content="...charset=x"> in the first 8 KiB (pages often put it after long scripts, past the 1 KiB of the spec). */
export function metaCharset(b: Uint8Array): string | null {
  const head = Buffer.from(b.subarray(0, 8192)).toString('latin1');
  const m =
    /<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.-]+)/i.exec(head) ??
    /<meta[^>]+content\s*=\s*["'][^"']*charset\s*=\s*([a-zA-Z0-9_:.-]+)/i.exec(head);
  return m ? m[1]!.toLowerCase() : null;
}

function tryDecode(bytes: Uint8Array, label: string): string | null {
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    // a label TextDecoder does not know: try iconv-lite
  }
  if (iconv.encodingExists(label)) {
    try {
      return iconv.decode(Buffer.from(bytes), label);
    } catch {
      return null;
    }
  }
  return null;
}

/** At least 8 multi-byte UTF-8 lead bytes: enough evidence that valid UTF-8 is not a coincidence. */
function hasMultibyteUtf8(bytes: Uint8Array): boolean {
  let n = 0;
  for (let i = 0; i < bytes.length && n < 8; i++) if (bytes[i]! >= 0xc2 && bytes[i]! <= 0xf4) n++;
  return n >= 8;
}

/**
 * Node's native check (simdutf): ~2,000x faster here than a fatal TextDecoder, which goes through ICU
 * (23 ms for a 272 kB page) and was the largest single cost of reading.
 */
function isValidUtf8(bytes: Uint8Array): boolean {
  return isUtf8(bytes);
}

/** Bytes known to be valid UTF-8 (and without a BOM: that case is handled first) -> text. */
function utf8Text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

export function decodeHtml(
  bytes: Uint8Array,
  opts: { contentType?: string | null; hint?: string | null } = {},
): Decoded {
  const bom = bomCharset(bytes);
  if (bom) return { text: tryDecode(bytes.subarray(bom.skip), bom.charset) ?? '', charset: bom.charset, source: 'bom' };

  const candidates: [string | null, Decoded['source']][] = [
    [charsetFromContentType(opts.contentType), 'header'],
    [metaCharset(bytes), 'meta'],
    [opts.hint?.toLowerCase() ?? null, 'hint'],
  ];
  // Non-ASCII text that is valid UTF-8 is UTF-8 whatever the page declares: legacy multi-byte text
  // (GBK, Shift_JIS, EUC-KR) is almost never valid UTF-8, while sites re-encoded to UTF-8 often keep
  // their old <meta charset=gb2312>.
  if (hasMultibyteUtf8(bytes) && isValidUtf8(bytes)) {
    const declared = candidates.find(([l]) => l)?.[0];
    if (declared && declared !== 'utf-8' && declared !== 'utf8') {
      return { text: utf8Text(bytes), charset: 'utf-8', source: 'detected' };
    }
  }
  for (const [label, source] of candidates) {
    if (!label) continue;
    // A page that declares UTF-16 in <meta> is ASCII-compatible in fact (WHATWG: treat as UTF-8).
    const l = label.startsWith('utf-16') && source === 'meta' ? 'utf-8' : label;
    // Declared UTF-8 that is not valid UTF-8 is a common lie: fall through to detection.
    if (l === 'utf-8' || l === 'utf8') {
      if (isValidUtf8(bytes)) return { text: utf8Text(bytes), charset: 'utf-8', source };
      continue;
    }
    const text = tryDecode(bytes, l);
    if (text !== null) return { text, charset: l, source };
  }
  if (isValidUtf8(bytes)) return { text: utf8Text(bytes), charset: 'utf-8', source: 'default' };
  const detected = chardet.detect(bytes.subarray(0, 64 * 1024))?.toLowerCase() ?? null;
  if (detected) {
    const text = tryDecode(bytes, detected);
    if (text !== null) return { text, charset: detected, source: 'detected' };
  }
  return { text: tryDecode(bytes, 'windows-1252') ?? '', charset: 'windows-1252', source: 'default' };
}
