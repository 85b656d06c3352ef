/**
 * Scale: the same rows whatever the number of workers, the number of ranks or the checkpoint
 * segmenting; archive ranges read exactly what a whole read does; scheduler env and progress lines.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../pipeline/config.ts';
import { runCorpus } from '../pipeline/run.ts';
import type { UnitMarker } from '../pipeline/markers.ts';
import { queryCorpus } from '../pipeline/query.ts';
import { outputRows } from './helpers/output-rows.ts';
import { shardOf } from '../pipeline/args.ts';
import { Progress } from '../pipeline/progress.ts';
import { expandInputs, readUnit, splitArchives } from '../stages/read/index.ts';
import type { RawPage } from '../schemas/doc.ts';
import { testContext } from './helpers/context.ts';
import { FIXTURES as CORPUS } from './helpers/fixtures.ts';

const WARC = join(CORPUS, 'warc');
/** HTML records of the fixture archives, counted by another reader (STATS.json), + the one page of example.arc.gz. */
const HTML_PAGES = (JSON.parse(readFileSync(join(WARC, 'STATS.json'), 'utf8')) as { html_records: number }[]).reduce((n, e) => n + e.html_records, 0) + 1;

function config(checkpointBytes: number, inRunDedup = true): Config {
  const off = { enabled: false };
  const dedup = inRunDedup ? {} : { dedup: { url: off, nearDup: off, paragraphs: off, images: off } };
  return loadConfig(undefined, { run: { checkpointBytes }, ...dedup });
}

describe('archive ranges (the basis of in-unit checkpoints)', () => {
  it('reading every corpus WARC in ranges that stop at each resume point gives the same pages, counters and rejects', async () => {
    const units = await expandInputs([WARC]);
    let resumed = 0;
    for (const unit of units) {
      const whole = testContext();
      const wholePages: RawPage[] = [];
      for await (const p of readUnit(unit, whole)) wholePages.push(p);
      const parts = testContext();
      const partPages: RawPage[] = [];
      let start = 0;
      for (;;) {
        // stopAfter = start + 1: stop at the very next resume point, the worst case.
        const it = readUnit(unit, parts, { start, stopAfter: start + 1 });
        let r: Awaited<ReturnType<typeof it.next>>;
        while (!(r = await it.next()).done) partPages.push(r.value);
        if (r.value === null) break;
        expect(r.value).toBeGreaterThan(start);
        start = r.value;
        resumed++;
      }
      const key = (p: RawPage) => `${p.source.offset} ${p.url} ${p.html.length} ${p.charset}`;
      expect(partPages.map(key), unit.key).toEqual(wholePages.map(key));
      expect(Object.fromEntries(parts.counters.values), unit.key).toEqual(Object.fromEntries(whole.counters.values));
      expect(parts.rejects.map((r) => r.doc.id), unit.key).toEqual(whole.rejects.map((r) => r.doc.id));
    }
    // Per-record gzip and plain WARCs are cut at nearly every record; whole-file gzip never.
    expect(resumed).toBeGreaterThan(1000);
  }, 120_000);
});

describe('same rows whatever the parallelism', () => {
  const outs: Record<string, string> = {};
  beforeAll(async () => {
    const base = await mkdtemp(join(tmpdir(), 'corpus-scale-'));
    for (const k of ['w1', 'w2', 'ranks', 'nockpt', 'ckpt']) outs[k] = join(base, k);
    // 128 KiB checkpoints: the larger corpus archives are written in several segments.
    await runCorpus({ inputs: [WARC], out: outs.w1!, config: config(128 * 1024), workers: 1, progress: false });
    await runCorpus({ inputs: [WARC], out: outs.w2!, config: config(128 * 1024), workers: 2, progress: false });
    for (let rank = 0; rank < 3; rank++) {
      await runCorpus({ inputs: [WARC], out: outs.ranks!, config: config(128 * 1024), workers: 1, rank, worldSize: 3, progress: false });
    }
    // In-run dedup works within a segment (StageContext.segment), so segmenting changes what it sees:
    // compare segmented and whole runs with it off.
    await runCorpus({ inputs: [WARC], out: outs.nockpt!, config: config(0, false), workers: 2, progress: false });
    await runCorpus({ inputs: [WARC], out: outs.ckpt!, config: config(128 * 1024, false), workers: 2, progress: false });
  }, 300_000);

  it('--workers 1, --workers 2 and --world-size 3 (three runs into one dir) write the same rows', async () => {
    const w1 = await outputRows(outs.w1!);
    // Every HTML page is a doc or a reject, and both sides are well populated (78 and 115 on test/fixtures),
    // so the comparisons below compare something.
    expect(w1.docs.length + w1.rejects.length).toBe(HTML_PAGES);
    expect(w1.docs.length).toBeGreaterThan(50);
    expect(w1.rejects.length).toBeGreaterThan(50);
    const ids = w1.docs.map((d) => d.doc_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(await outputRows(outs.w2!)).toEqual(w1);
    expect(await outputRows(outs.ranks!)).toEqual(w1);
  });

  it('checkpoint segments change the files, not the rows (in-run dedup off: its scope is a segment)', async () => {
    const seg = await readdir(join(outs.ckpt!, 'docs'));
    const whole = await readdir(join(outs.nockpt!, 'docs'));
    expect(seg.length).toBeGreaterThan(whole.length); // blackbook etc. were written in several segments
    expect(await outputRows(outs.nockpt!)).toEqual(await outputRows(outs.ckpt!));
  });

  it('the three ranks together did every unit once', async () => {
    const units = await expandInputs([WARC]);
    const perUnit = await queryCorpus(outs.ranks!, "SELECT unit, count(*)::INT AS n FROM stats WHERE stage = 'extract' AND counter = 'time:cumulative_seconds' GROUP BY unit");
    expect(perUnit.length).toBe(units.length);
    expect(perUnit.every((r) => r.n === 1)).toBe(true);
    expect((await readdir(join(outs.ranks!, '_done'))).length).toBe(units.length);
  });
});

describe('one large archive in parts (run.partBytes)', () => {
  const BIG = join(WARC, 'netarchivesuite__solrwayback/IAH-20080430204825-00000-blackbook.warc.gz');
  const PART = 256 * 1024;
  const partConfig = (partBytes: number) =>
    loadConfig(undefined, { run: { checkpointBytes: 128 * 1024, partBytes }, images: { offline: true }, dedup: { url: { enabled: false }, nearDup: { enabled: false }, paragraphs: { enabled: false }, images: { enabled: false } } });
  const outs: Record<string, string> = {};

  it('the parts of a gzip WARC are cut at record starts and together read exactly the pages of the whole file', async () => {
    const [whole] = await expandInputs([BIG]);
    const parts = await splitArchives([whole!], PART);
    expect(parts.length).toBeGreaterThan(5);
    expect(parts[0]!.part!.start).toBe(0);
    expect(parts.at(-1)!.part!.end).toBe(whole!.bytes);
    parts.slice(1).forEach((p, i) => expect(p.part!.start).toBe(parts[i]!.part!.end));
    // The cuts depend on the file and the part size only.
    expect((await splitArchives([whole!], PART)).map((p) => p.key)).toEqual(parts.map((p) => p.key));
    const key = (p: RawPage) => `${p.source.offset} ${p.url} ${p.html.length} ${p.charset}`;
    const wholeCtx = testContext();
    const wholePages: string[] = [];
    for await (const p of readUnit(whole!, wholeCtx)) wholePages.push(key(p));
    const partsCtx = testContext();
    const partPages: string[] = [];
    for (const unit of parts) {
      const before = partPages.length;
      for await (const p of readUnit(unit, partsCtx)) partPages.push(key(p));
      expect(partPages.length, unit.key).toBeGreaterThan(before);
    }
    expect(partPages).toEqual(wholePages);
    expect(Object.fromEntries(partsCtx.counters.values)).toEqual(Object.fromEntries(wholeCtx.counters.values));
    // Files below 1.5 parts, and whole-file gzip, stay one unit.
    expect(await splitArchives([whole!], whole!.bytes)).toEqual([whole]);
  }, 120_000);

  beforeAll(async () => {
    const base = await mkdtemp(join(tmpdir(), 'corpus-parts-'));
    for (const k of ['w1', 'w2', 'whole']) outs[k] = join(base, k);
    await runCorpus({ inputs: [BIG], out: outs.w1!, config: partConfig(PART), workers: 1, progress: false });
    await runCorpus({ inputs: [BIG], out: outs.w2!, config: partConfig(PART), workers: 2, progress: false });
    await runCorpus({ inputs: [BIG], out: outs.whole!, config: partConfig(0), workers: 2, progress: false });
  }, 600_000);

  it('--workers 2 on one file writes the same rows as --workers 1, and the same docs and rejects as the file unsplit', async () => {
    const w1 = await outputRows(outs.w1!);
    expect(w1.docs.length).toBeGreaterThan(50);
    expect(await outputRows(outs.w2!)).toEqual(w1);
    const whole = await outputRows(outs.whole!);
    expect(w1.docs).toEqual(whole.docs);
    expect(w1.rejects).toEqual(whole.rejects);
    const units = await queryCorpus(outs.w2!, 'SELECT count(DISTINCT unit)::INT AS n FROM stats');
    expect(units[0]!.n).toBeGreaterThan(5);
    // Both workers took parts of the one file, and each marker has its worker's own CPU for the part.
    const dir = join(outs.w2!, '_done');
    const markers = (await readdir(dir)).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as UnitMarker);
    expect(new Set(markers.map((m) => m.worker)).size).toBe(2);
    for (const m of markers) expect(m.threadCpuSeconds).toBeGreaterThan(0);
  });
});

describe('a unit that outgrows its worker', () => {
  it('fails alone (ERR_WORKER_OUT_OF_MEMORY), the other units finish, and a rerun retries only it', async () => {
    const base = await mkdtemp(join(tmpdir(), 'corpus-oom-'));
    await mkdir(join(base, 'big'));
    // 15 MB of text in one paragraph, a line break after every word: collapsing its white space takes
    // ~340 MB of heap; the stages themselves ~90 MB. (Single-spaced text is sliced whole and fits in 192 MB.)
    await writeFile(join(base, 'big', 'page.html'), `<html><body><p>${'word\n'.repeat(3 * 1024 * 1024)}</p></body></html>`);
    const small = join(WARC, 'webrecorder__warcio/example.warc.gz');
    const out = join(base, 'out');
    const r = await runCorpus({ inputs: [join(base, 'big'), small], out, config: loadConfig(), workers: 1, workerHeapMb: 192, progress: false, log: () => {} });
    expect(r.unitsFailed).toEqual([{ unit: join(base, 'big'), error: expect.stringMatching(/worker died: ERR_WORKER_OUT_OF_MEMORY/) }]);
    expect(r.unitsDone).toBe(1);
    const again = await runCorpus({ inputs: [join(base, 'big'), small], out, config: loadConfig(), workers: 1, progress: false });
    expect([again.unitsSkipped, again.unitsDone, again.unitsFailed.length]).toEqual([1, 1, 0]);
  }, 240_000);
});

describe('rank and world size from flags and scheduler env', () => {
  it('flags win; Slurm arrays count from their first index; Kubernetes uses JOB_COMPLETION_INDEX', () => {
    expect(shardOf({}, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '8' })).toEqual({ rank: 0, worldSize: 1 });
    expect(shardOf({ rank: '2', 'world-size': '4' }, { SLURM_ARRAY_TASK_ID: '3' })).toEqual({ rank: 2, worldSize: 4 });
    expect(shardOf({ 'world-size': 'auto' }, { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '8' })).toEqual({ rank: 4, worldSize: 8 });
    expect(shardOf({ 'world-size': '6' }, { JOB_COMPLETION_INDEX: '5' })).toEqual({ rank: 5, worldSize: 6 });
    expect(() => shardOf({ 'world-size': 'auto' }, {})).toThrow(/SLURM_ARRAY_TASK_COUNT/);
    expect(() => shardOf({ rank: '1' }, {})).toThrow(/--rank needs --world-size/);
    expect(() => shardOf({ 'world-size': '2' }, { JOB_COMPLETION_INDEX: '2' })).toThrow(/below --world-size/);
  });
});

describe('progress', () => {
  it('off a terminal: periodic plain lines with units, docs/s, MB/s, ETA and top drop reasons', async () => {
    const lines: string[] = [];
    const p = new Progress(4, 4_000_000, { enabled: true, tty: false, logEveryMs: 0, write: (s) => lines.push(s) });
    p.skipped(1, 1_000_000);
    p.add({ pages: 10, docs: 8, drops: { 'extract:no_text': 2, 'read:http_status_404': 1 }, unit: 'a.warc.gz', position: 500_000 });
    await new Promise((r) => setTimeout(r, 5));
    p.unitDone('a.warc.gz', 1_000_000);
    const last = lines.at(-1)!;
    expect(last).toMatch(/^\d{4}-\d\d-\d\dT.* units 2\/4 {2}docs 8 {2}[\d.]+ docs\/s {2}[\d.]+ MB\/s {2}ETA \d+s {2}drops: extract:no_text=2 read:http_status_404=1\n$/);
    expect(lines.every((l) => !l.includes('\r'))).toBe(true);
  });
});
