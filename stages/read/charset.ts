/**
 * Bytes -> text for HTML. Order (WHATWG encoding sniffing, simplified): BOM, HTTP Content-Type
 * charset, <meta charset> / http-equiv in the first 1024 bytes, the WARC-Identified-Content-Charset
 * hint, then statistical detection (chardet) — UTF-8 when the bytes are valid UTF-8.
 * Labels are decoded with TextDecoder (Node has full ICU: gbk, gb18030, shift_jis, euc-kr, big5,
 * windows-125x, koi8-r ...), falling back to iconv-lite for labels TextDecoder lacks.
 */
import { isAscii, isUtf8 } from 'node:buffer';
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

/**
 * windows-1252's 0x80-0x9F (curly quotes, dashes, euro, trademark ...) as the WHATWG Encoding standard
 * maps them. Node 20's TextDecoder decodes every label that means windows-1252 (windows-1252, latin1,
 * iso-8859-1, us-ascii ...) with its Latin-1 fast path, which gives C1 control characters there instead.
 * The table comes from iconv-lite's windows-1252 codec; its five undefined bytes stay C1, as WHATWG says.
 */
const WINDOWS_1252_C1 = new Map<string, string>(
  Array.from({ length: 32 }, (_, i) => [String.fromCharCode(0x80 + i), iconv.decode(Buffer.from([0x80 + i]), 'windows-1252')] as const).filter(
    ([, ch]) => ch !== '\ufffd',
  ),
);
const C1 = /[\x80-\x9f]/g;

function tryDecode(bytes: Uint8Array, label: string): string | null {
  try {
    const decoder = new TextDecoder(label);
    const text = decoder.decode(bytes);
    return decoder.encoding === 'windows-1252' ? text.replace(C1, (c) => WINDOWS_1252_C1.get(c) ?? c) : text;
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
  if (isAscii(bytes)) return false; // native (simdutf): no lead byte at all, no loop over the page
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

/** Detection looks at the first 64 KiB of a page at most. */
const DETECT_BYTES = 64 * 1024;

/** The single-byte families chardet names by whether C1 bytes (0x80-0x9F) occur: ISO-8859-x without, windows-125x with. */
const C1_NAMES: Record<string, string> = {
  'iso-8859-1': 'windows-1252',
  'iso-8859-2': 'windows-1250',
  'iso-8859-7': 'windows-1253',
  'iso-8859-8': 'windows-1255',
  'iso-8859-9': 'windows-1254',
};
const C1_FAMILY = new Map(Object.entries(C1_NAMES).flatMap(([iso, win]) => [[iso, [iso, win]], [win, [iso, win]]] as const));

/** Valid UTF-8 up to a character cut at its end: a sample like that says nothing against UTF-8. */
function validUtf8Prefix(b: Uint8Array): boolean {
  let end = b.length;
  for (let k = 0; k < 3 && end > 0 && (b[end - 1]! & 0xc0) === 0x80; k++) end--;
  if (end > 0 && b[end - 1]! >= 0xc0) end--;
  return isUtf8(b.subarray(0, end));
}

/**
 * chardet over a window of the first 64 KiB that holds the bytes that make the page not UTF-8: 8 KiB
 * from 2 KiB before the first non-ASCII byte, doubled while it is valid UTF-8 (up to the whole 64 KiB).
 * chardet costs ~15 ms a page on 64 KiB (one n-gram pass per language model), a window a quarter of
 * that; a page's head is mostly ASCII markup that tells the models nothing. The ISO-8859-x / windows-125x
 * name is then chosen, as chardet does, by C1 bytes, over the whole 64 KiB. On the 139 undeclared
 * non-UTF-8 pages of ../shared/corpus/html every label is the same as chardet's on the 64 KiB.
 */
function detectCharset(bytes: Uint8Array): string | null {
  const head = bytes.subarray(0, DETECT_BYTES);
  // The byte scans below as native regex searches over a Latin-1 view (one character per byte): a loop
  // over the bytes ran ~1 ms a page here, mostly before the JIT had compiled it.
  const latin = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('latin1');
  const high = latin.search(/[\x80-\xff]/);
  const firstHigh = high < 0 ? head.length : high;
  let size = 8 * 1024;
  let start = 0;
  for (;;) {
    start = Math.max(0, Math.min(firstHigh - 2048, head.length - size)); // a full window even on a short page
    if (size >= DETECT_BYTES || start + size >= head.length || !validUtf8Prefix(head.subarray(start, start + size))) break;
    size *= 2;
  }
  const label = chardet.detect(head.subarray(start, start + size))?.toLowerCase() ?? null;
  const family = label ? C1_FAMILY.get(label) : undefined;
  if (!family) return label;
  return /[\x80-\x9f]/.test(latin) ? family[1] : family[0];
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
  const detected = detectCharset(bytes);
  if (detected) {
    const text = tryDecode(bytes, detected);
    if (text !== null) return { text, charset: detected, source: 'detected' };
  }
  return { text: tryDecode(bytes, 'windows-1252') ?? '', charset: 'windows-1252', source: 'default' };
}
