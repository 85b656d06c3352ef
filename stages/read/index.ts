/**
 * read: input units (WARC / WARC.gz / ARC? no / HTML files) -> RawPage. Implemented in warc.ts and html.ts.
 */
export interface ReadConfig {
  /** Largest HTML body kept, in bytes; larger records are rejected (reason too_large), never loaded whole. */
  maxHtmlBytes: number;
  /** Content types treated as HTML. */
  htmlContentTypes: string[];
}

export const readDefaults: ReadConfig = {
  maxHtmlBytes: 20 * 1024 * 1024,
  htmlContentTypes: ['text/html', 'application/xhtml+xml'],
};
