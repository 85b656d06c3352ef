/**
 * Files the test suite reads, all inside the repository (test/fixtures/, listed with source, commit and
 * licence in test/fixtures/MANIFEST.tsv; the generated ones are written by scripts/make-fixtures.ts).
 * `fixture('warc/webrecorder__warcio/example.warc.gz')` is the absolute path of one; a missing one is
 * an error that names it, not a skipped test.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

export function fixture(rel: string): string {
  const p = join(FIXTURES, rel);
  if (!existsSync(p)) throw new Error(`test fixture missing: test/fixtures/${rel} (see test/fixtures/MANIFEST.tsv; generated ones: npx tsx scripts/make-fixtures.ts)`);
  return p;
}
