/**
 * The filter decisions are reproducible in SQL: a real run (runCorpus: read -> extract -> langid ->
 * quality -> safety -> write Parquet) over real multilingual pages plus generated pages that each
 * filter must drop; then SQL built from the config thresholds (pipeline/commands/filter-sql.ts)
 * recomputes every keep/drop decision from the stored signal columns and must agree with the run,
 * document by document and segment by segment. A retuned threshold changes the SQL answer without
 * reprocessing.
 */
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../pipeline/config.ts';
import { runCorpus, type RunResult } from '../pipeline/run.ts';
import { queryCorpus } from '../pipeline/query.ts';
import { filterSql, recheckSegmentsSql, recheckSql } from '../pipeline/commands/filter-sql.ts';
import { FIXTURES as CORPUS } from './helpers/fixtures.ts';

const PROSE =
  'The city council approved the new budget on Tuesday, after a debate that lasted most of the evening. ' +
  'Supporters said the plan would repair roads and expand the library, while critics worried about the cost.';

/** Generated pages, each made to be dropped by one filter (canonical URL = the document URL). */
const PAGES: Record<string, [url: string, body: string]> = {
  'numbers.html': ['https://n.example.org/', '<p>2024 — 12 345 678 — 90 % — 3.14</p>'],
  'short.html': ['https://s.example.org/', '<p>Welcome to our new website, friends!</p>'],
  'spam.html': ['https://spam.example.org/', `<p>${PROSE}</p><p>Hot porn videos, free porn, xxx porn every day: watch porn now, more porn and porn.</p>`],
  'blocked.html': ['https://www.blocked.example/news', `<p>${PROSE}</p>`],
  'listing.html': ['https://l.example.org/', `<p>${PROSE}</p>${'<p>Read more about the council budget vote in our city news section today.</p>'.repeat(6)}`],
  'good.html': ['https://www.essex.ac.uk/news', `<h1>Budget</h1><p>${PROSE}</p><p>If you have any questions about the budget or about the plans for the library next year, you can write to jane.doe@essex.ac.uk or call the office on +44 20 7946 0958, which is open every weekday from nine in the morning.</p>`],
};

let out: string;
let config: Config;
let result: RunResult;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'filters-sql-'));
  const pages = join(dir, 'pages');
  await mkdir(pages);
  for (const [name, [url, body]] of Object.entries(PAGES)) {
    await writeFile(join(pages, name), `<html><head><title>${name}</title><link rel="canonical" href="${url}"></head><body>${body}</body></html>`);
  }
  await writeFile(join(dir, 'blocklist.txt'), '# test\nblocked.example\nsex.com\n');
  config = loadConfig(undefined, { safety: { blocklistFile: join(dir, 'blocklist.txt') } });
  out = join(dir, 'out');
  result = await runCorpus({
    inputs: [pages, join(CORPUS, 'html', 'magic-html'), join(CORPUS, 'warc', 'chatnoir-eu__chatnoir-resiliparse', 'warcfile.warc.gz')],
    out, config, progress: false,
  });
}, 240_000);

describe('filter decisions in SQL', () => {
  it('the run dropped the generated pages for the expected reasons', async () => {
    expect(result.unitsFailed).toEqual([]);
    const rows = await queryCorpus(out, `SELECT url, stage, reason FROM rejects WHERE source_file LIKE '%pages%' ORDER BY url`);
    expect(rows).toEqual([
      { url: 'https://l.example.org/', stage: 'quality', reason: 'char_repetition' },
      { url: 'https://n.example.org/', stage: 'langid', reason: 'lang_unknown' },
      { url: 'https://s.example.org/', stage: 'quality', reason: 'few_words' },
      { url: 'https://spam.example.org/', stage: 'safety', reason: 'flagged_words' },
      { url: 'https://www.blocked.example/news', stage: 'safety', reason: 'blocked_domain' },
    ]);
    const [good] = await queryCorpus(out, `SELECT lang, safety_pii_emails, safety_pii_phones, segments FROM docs WHERE url LIKE '%essex%'`);
    expect(good).toMatchObject({ lang: 'eng', safety_pii_emails: 1, safety_pii_phones: 1 });
    expect(JSON.stringify(good!.segments)).toContain('you can write to <EMAIL> or call the office on <PHONE>, which');
  });

  it('recomputes every document decision of langid, quality and safety from signals + config', async () => {
    const { n } = (await queryCorpus(out, `SELECT count(*)::INT AS n FROM (SELECT doc_id FROM docs UNION ALL SELECT doc_id FROM rejects WHERE stage IN ('langid','quality','safety'))`))[0]!;
    expect(Number(n)).toBeGreaterThan(20); // real pages from magic-html and a 16-site crawl, plus the generated ones
    expect(await queryCorpus(out, recheckSql(config))).toEqual([]);
    // and every reject of these stages is explained by a rule of the config
    const reasons = new Set(filterSql(config).flatMap((f) => f.rules.map((r) => r.reason)));
    const stored = await queryCorpus(out, `SELECT DISTINCT reason FROM rejects WHERE stage IN ('langid','quality','safety')`);
    for (const r of stored) expect(reasons.has(r.reason as string), String(r.reason)).toBe(true);
  });

  it('recomputes every segment decision of the quality stage', async () => {
    const { n, dropped } = (await queryCorpus(out, `SELECT count(*)::INT AS n, count(dropped)::INT AS dropped FROM quality_segments`))[0]!;
    expect(Number(n)).toBeGreaterThan(100);
    expect(Number(dropped)).toBeGreaterThan(0);
    expect(await queryCorpus(out, recheckSegmentsSql(config))).toEqual([]);
  });

  it('a retuned threshold changes the SQL decision without reprocessing', async () => {
    const repetition = ['char_repetition', 'word_repetition', 'duplicate_lines'];
    const retuned = loadConfig(undefined, {
      safety: { blocklistFile: config.safety.blocklistFile },
      quality: { maxCharRep: 1, maxWordRep: 1, maxDupLines: 1 },
    });
    const diff = await queryCorpus(out, recheckSql(retuned));
    // the listing page (and any real page dropped for repetition) would now pass quality; nothing else changes
    expect(diff.find((r) => r.url === 'https://l.example.org/')).toMatchObject({ check_stage: 'quality', reason: 'char_repetition', recomputed: null });
    for (const r of diff) {
      expect(r.check_stage).toBe('quality');
      expect(repetition).toContain(r.reason);
      expect(repetition).not.toContain(r.recomputed);
    }
  });

  it('the funnel in stats.json counts the same drops as the rejects table', async () => {
    const stats = JSON.parse(await readFile(join(out, 'stats.json'), 'utf8')).stages as Record<string, Record<string, number>>;
    const rows = await queryCorpus(out, `SELECT stage, reason, count(*)::INT AS n FROM rejects WHERE stage IN ('langid','quality','safety') GROUP BY ALL`);
    for (const r of rows) expect(stats[r.stage as string]![`dropped:${r.reason}`]).toBe(Number(r.n));
    for (const s of ['langid', 'quality', 'safety']) {
      const dropped = Object.entries(stats[s]!).filter(([k]) => k.startsWith('dropped:')).reduce((a, [, v]) => a + v, 0);
      expect(stats[s]!.in).toBe((stats[s]!.out ?? 0) + dropped);
    }
  });
});
