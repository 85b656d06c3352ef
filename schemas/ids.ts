import { createHash } from 'node:crypto';
import type { Doc, Provenance } from './doc.ts';

/** Stable document id: the same record always gets the same id, whatever the run or machine. */
export function docId(url: string, source: Provenance): string {
  const base = source.file.split(/[\\/]/).pop() ?? source.file;
  // The file is part of the identity: archives are often cut from one another (the same record in
  // two files), and rows must stay unique per record read; content duplicates are dedup's job.
  const identity = `${url}\n${source.recordId ?? ''}\n${base}\n${source.offset}`;
  return createHash('sha256').update(identity).digest('hex').slice(0, 32);
}

/** Host of a URL, lower-case, without a leading "www."; '' when the URL does not parse. */
export function domainOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase().replace(/^www\./, '');
  } catch {
    return '';
  }
}

/** A document with no content yet: what extract starts from, and what a rejected record is stored as. */
export function shellDoc(url: string, source: Provenance, fetchedAt: string | null): Doc {
  return {
    id: docId(url, source),
    url,
    domain: domainOf(url),
    title: null,
    fetchedAt,
    source,
    lang: null,
    langScore: null,
    segments: [],
    signals: {},
  };
}
