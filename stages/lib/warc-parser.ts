/**
 * warcio's WARCParser, with its warnings routed to whoever asked for the record.
 *
 * warcio reports a Content-Length that is too small with a bare console.warn while it looks for the
 * next record. Several parsers run at once in one thread (the reader, the images stage's WARC index),
 * so patching console.warn around one of them would count the others' warnings too, and how many
 * depends on timing. Instead console.warn is wrapped once, and each parse() runs inside an
 * AsyncLocalStorage scope that names the callback for its warnings: a warning raised inside that
 * promise chain reaches that callback only. Warnings outside any scope go to console.warn as before.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { AsyncIterReader, WARCParser, type WARCRecord } from 'warcio';

// AsyncIterReader: the byte reader under WARCParser (gzip members inflated one by one, compressed
// offsets kept); the ARC reader (stages/read/arc.ts) reads its records with it.
export { AsyncIterReader, WARCParser, type WARCRecord };

/** What warcio had to say while parsing one record ('Content-Length Too Small: …'). */
export type WarcWarning = (message: string) => void;

const scope = new AsyncLocalStorage<WarcWarning>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  const original = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    const onWarning = scope.getStore();
    if (onWarning) onWarning(args.map(String).join(' '));
    else original(...args);
  };
}

/** The next record of `parser` (null at the end); warcio's warnings while finding it go to `onWarning`. */
export function parseRecord(parser: WARCParser, onWarning: WarcWarning = () => {}): Promise<WARCRecord | null> {
  install();
  return scope.run(onWarning, () => parser.parse());
}

/** Every record of `parser`, warnings to `onWarning` (ignored by default). */
export async function* records(parser: WARCParser, onWarning: WarcWarning = () => {}): AsyncGenerator<WARCRecord> {
  for (;;) {
    const record = await parseRecord(parser, onWarning);
    if (!record) return;
    yield record;
  }
}
