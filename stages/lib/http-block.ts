/**
 * An archived HTTP response (status line, headers, body) split apart: for records warcio could not
 * type, and for ARC records, whose block is the raw response. Shared by the reader and the images stage.
 */

/** Split a raw HTTP response block into status, lower-cased headers (first value wins) and body. */
export function parseHttpBlock(block: Uint8Array): { status: number | null; headers: Record<string, string>; body: Uint8Array } | null {
  const buf = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  // CRLF as the RFC says; old servers (and old ARC files) also end header lines with a bare LF.
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  const bareLf = lf >= 0 && (crlf < 0 || lf < crlf);
  const end = bareLf ? lf : crlf;
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString('latin1').split(/\r?\n/);
  const m = /^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(lines[0] ?? '');
  if (!m) return null;
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] ??= l.slice(i + 1).trim();
  }
  return { status: Number(m[1]), headers, body: block.subarray(end + (bareLf ? 2 : 4)) };
}
