/** The read stage's settings: no imports, so the config and `corpus help` load nothing of the reader. */
import type { StageContext } from '../../pipeline/stage.ts';

export interface ReadConfig {
  /** Largest HTML body read, in bytes; larger records are rejected (reason too_large), never decoded. */
  maxHtmlBytes: number;
  /** Content types treated as HTML (substring match on the HTTP Content-Type). */
  htmlContentTypes: string[];
}

export const readDefaults: ReadConfig = {
  maxHtmlBytes: 20 * 1024 * 1024,
  htmlContentTypes: ['text/html', 'application/xhtml+xml'],
};

/** What the readers get: a stage context that carries at least the read section. */
export type ReadContext = StageContext<{ read: ReadConfig }>;
