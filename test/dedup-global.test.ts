/**
 * The global pass end to end: real pages of ../shared/corpus with planted duplicates spread over 4
 * HTML directories, run through the real pipeline (runCorpus -> Parquet through DuckDB), then
 * `corpus dedup` over one run of everything and over the 4 shard runs, in two shard orders.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../pipeline/config.ts';
import { queryCorpus } from '../pipeline/query.ts';
import { runCorpus } from '../pipeline/run.ts';
import { globalDedup } from '../stages/dedup/global.ts';
import { dedupCommand } from '../pipeline/commands/dedup.ts';
import { packCorpus } from '../pipeline/commands/pack.ts';
import { retokenizeApplied } from '../pipeline/retokenize.ts';
import { edit, paragraphs, writePage } from './helpers/dedup-pages.ts';

const STEMS = ['ars-1', 'bbc-1', 'nytimes-2', 'wikipedia', 'nytimes-1', 'wapo-1', 'lemonde-1', 'lwn-1'];
const NEWS_FOOTER = 'Subscribe to News Example for the best stories every morning, straight to your inbox.';
const MIRROR_FOOTER = 'This article was mirrored by Mirror Example; all rights belong to their owners.';


let root: string;
let shardDirs: string[];
const config = loadConfig();

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'dedup-global-'));
  shardDirs = [0, 1, 2, 3].map((i) => join(root, `in${i}`));
  for (const d of shardDirs) mkdirSync(d);
  STEMS.forEach((stem, i) => {
    const paras = paragraphs(stem);
    // The original, an edited mirror on another site fetched later (it wins), and the original
    // again under a tracking-parameter URL fetched earlier; each in a different shard.
    writePage(shardDirs[i % 4]!, `orig-${stem}`, `https://news.example/${stem}`, `2020-01-0${1 + (i % 9)}T00:00:00Z`, [...paras, NEWS_FOOTER]);
    writePage(shardDirs[(i + 1) % 4]!, `mirror-${stem}`, `https://mirror.example/copy/${stem}`, '2021-06-01T00:00:00Z', [...edit(paras, 0.01, i + 1), MIRROR_FOOTER]);
    writePage(shardDirs[(i + 2) % 4]!, `track-${stem}`, `http://www.news.example/${stem}?utm_source=rss`, '2019-03-01T00:00:00Z', [...paras, NEWS_FOOTER]);
  });
  const quiet = { progress: false, log: () => {} };
  await runCorpus({ inputs: shardDirs, out: join(root, 'all'), config, ...quiet });
  for (let i = 0; i < 4; i++) await runCorpus({ inputs: [shardDirs[i]!], out: join(root, `shard${i}`), config, ...quiet });
}, 300_000);

afterAll(() => {
  /* temp dirs are left for inspection; the OS cleans tmp */
});

const keptIds = async (dir: string) => (await queryCorpus(dir, 'SELECT doc_id FROM docs ORDER BY doc_id')).map((r) => String(r.doc_id));

describe('corpus dedup (global pass over shards)', () => {
  it('gives the same kept set, segments and removal lists for one run and for 4 shards in any order', async () => {
    const shards = [0, 1, 2, 3].map((i) => join(root, `shard${i}`));
    await globalDedup({ dirs: [join(root, 'all')], out: join(root, 'g-all'), config: config.dedup, apply: true });
    await globalDedup({ dirs: shards, out: join(root, 'g-4'), config: config.dedup, apply: true });
    await globalDedup({ dirs: [...shards].reverse(), out: join(root, 'g-4r'), config: config.dedup, apply: true });

    const all = await keptIds(join(root, 'g-all'));
    expect(all).toHaveLength(STEMS.length);
    expect(await keptIds(join(root, 'g-4'))).toEqual(all);
    expect(await keptIds(join(root, 'g-4r'))).toEqual(all);
    const segs = (dir: string) => queryCorpus(dir, 'SELECT doc_id, segments FROM docs ORDER BY doc_id');
    expect(await segs(join(root, 'g-4'))).toEqual(await segs(join(root, 'g-all')));

    const lists = (dir: string) =>
      queryCorpus(dir, `SELECT 'r' t, doc_id k, reason v FROM removals UNION ALL SELECT 'b', domain, para_md5 FROM boilerplate ORDER BY ALL`);
    const r4 = await lists(join(root, 'g-4'));
    expect(await lists(join(root, 'g-4r'))).toEqual(r4);
    // Every planted cluster keeps its latest fetch (the mirror); the footers are boilerplate.
    const kept = await queryCorpus(join(root, 'g-all'), 'SELECT url, [s.text for s in segments] AS texts FROM docs');
    for (const row of kept) {
      expect(String(row.url)).toMatch(/^https:\/\/mirror\.example\/copy\//);
      expect(row.texts).not.toContain(MIRROR_FOOTER);
    }
    // The footer of the kept site is boilerplate (so are a few short paragraphs the real pages repeat);
    // the news footer is not: its documents were all removed as duplicates.
    const boiler = await queryCorpus(join(root, 'g-4'), 'SELECT domain, para_md5, docs FROM boilerplate');
    expect(boiler.every((b) => b.domain === 'mirror.example')).toBe(true);
    expect(boiler.map((b) => b.para_md5)).toContain(createHash('md5').update(MIRROR_FOOTER).digest('hex'));
  });

  it('removes in-run only what the global pass removes too', async () => {
    // In-run dedup works within a unit (so rows never depend on workers or ranks): put every page in one
    // directory, one unit, so that the in-run index sees all the duplicates.
    const one = join(root, 'in-one');
    mkdirSync(one);
    for (const d of shardDirs) for (const f of readdirSync(d)) copyFileSync(join(d, f), join(one, f));
    await runCorpus({ inputs: [one], out: join(root, 'one'), config, progress: false, log: () => {} });
    const inRun = await queryCorpus(join(root, 'one'), `SELECT doc_id, reason FROM rejects WHERE stage = 'dedup'`);
    expect(inRun.length).toBeGreaterThan(0);
    await globalDedup({ dirs: [join(root, 'one')], out: join(root, 'g-one'), config: config.dedup, apply: true });
    const keptGlobal = new Set(await keptIds(join(root, 'g-one')));
    for (const r of inRun) expect(keptGlobal.has(String(r.doc_id))).toBe(false);
    // The signatures are real Parquet columns: UINTEGER[112] per doc.
    const [sig] = await queryCorpus(join(root, 'all'), 'SELECT typeof(minhash) t, len(minhash)::INTEGER n FROM docs LIMIT 1');
    expect(sig).toEqual({ t: 'UINTEGER[]', n: 112 });
  });

  it('--apply recomputes tokens and positions of the documents it cut, so pack trains on what is left', async () => {
    const shards = [0, 1, 2, 3].map((i) => join(root, `shard${i}`));
    const out = join(root, 'g-cmd');
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(await dedupCommand([...shards, '--out', out, '--apply', '-q'])).toBe(0);
    } finally {
      process.stderr.write = write;
    }
    // Each kept mirror lost its footer (boilerplate): its tokens must be gone from input_ids too.
    const rows = await queryCorpus(out, `
      SELECT d.url, d.num_tokens, o.num_tokens AS run_tokens, len(d.segments)::INTEGER AS segs, len(o.segments)::INTEGER AS run_segs,
             list_sum([coalesce(s.tokens, 0) for s in d.segments])::INTEGER AS segment_tokens, len(d.position_ids)::INTEGER AS positions,
             d.input_ids = o.input_ids AS same_ids
      FROM docs d JOIN read_parquet('${root}/shard*/docs/**/part-*.parquet') o USING (doc_id) ORDER BY d.url`);
    expect(rows).toHaveLength(STEMS.length);
    for (const r of rows) {
      expect(r.segs).toBe(Number(r.run_segs) - 1);
      expect(Number(r.num_tokens)).toBeLessThan(Number(r.run_tokens));
      expect(r.same_ids).toBe(false);
      // The per-segment counts, the end-of-document token and the positions all describe the new sequence.
      expect(Number(r.segment_tokens) + 1).toBe(r.num_tokens);
      expect(r.positions).toBe(r.num_tokens);
    }
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const redone = Object.values(summary.retokenized as Record<string, { changed: number; retokenized: number; failed: number }>);
    expect(redone.reduce((n, r) => n + r.retokenized, 0)).toBe(STEMS.length);
    expect(redone.reduce((n, r) => n + r.failed, 0)).toBe(0);

    // The same ids as a run over that page published without its footer.
    const stem = STEMS[0]!;
    const bare = join(root, 'bare');
    mkdirSync(bare);
    writePage(bare, `mirror-${stem}`, `https://mirror.example/copy/${stem}`, '2021-06-01T00:00:00Z', edit(paragraphs(stem), 0.01, 1));
    await runCorpus({ inputs: [bare], out: join(root, 'bare-run'), config, progress: false, log: () => {} });
    const ids = async (dir: string) => (await queryCorpus(dir, `SELECT input_ids FROM docs WHERE url = 'https://mirror.example/copy/${stem}'`))[0]?.input_ids;
    const fresh = await ids(join(root, 'bare-run'));
    expect(Array.isArray(fresh) && fresh.length).toBeGreaterThan(100);
    expect(await ids(out)).toEqual(fresh);

    // Redoing it again, one row per Parquet part, changes nothing (the same documents, the same ids).
    const shardFile = readdirSync(join(out, 'docs')).map((d) => join(out, 'docs', d, 'part-0.parquet'))[0]!;
    const copy = join(root, 'again.parquet');
    copyFileSync(shardFile, copy);
    const shard = shards.find((d) => shardFile.includes(`shard=${d.split('/').pop()}`))!;
    const again = await retokenizeApplied(copy, join(shard, 'docs/**/part-*.parquet'), config, { rowsPerPart: 1 });
    expect(again.changed).toBeGreaterThanOrEqual(2); // so the rows went through several parts
    expect(again.retokenized).toBe(again.changed);
    const rowsOf = (f: string) => queryCorpus(out, `SELECT doc_id, input_ids, position_ids, segments FROM read_parquet('${f}') ORDER BY doc_id`);
    expect(await rowsOf(copy)).toEqual(await rowsOf(shardFile));

    // pack finds every image span where the segments say it is (before the fix, cut documents were dropped as bad_spans).
    const packed = await packCorpus(out, config.pack);
    expect(packed.docs.bad_spans).toBe(0);
    expect(packed.docs.read).toBe(STEMS.length);
  });

  it('retunes the near-duplicate threshold from the stored signatures, and says what is wrong with bad input', async () => {
    const err: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => {
      err.push(String(s));
      return true;
    }) as typeof process.stderr.write;
    try {
      // At 0.99 the 1%-edited mirrors are no longer duplicates of the originals (the shards never
      // saw both together, so nothing was dropped in-run: everything comes from the signatures).
      const shards = [0, 1, 2, 3].map((i) => join(root, `shard${i}`));
      expect(await dedupCommand([...shards, '--out', join(root, 'g-099'), '--threshold', '0.99', '--apply', '-q'])).toBe(0);
      await expect(dedupCommand([join(root, 'all'), '--out', join(root, 'x'), '--threshold', '2'])).rejects.toThrow(/threshold/);
      await expect(dedupCommand([join(root, 'nope'), '--out', join(root, 'x')])).rejects.toThrow(/no docs or rejects/);
    } finally {
      process.stderr.write = write;
    }
    expect((await keptIds(join(root, 'g-099'))).length).toBe(2 * STEMS.length);
  });
});
