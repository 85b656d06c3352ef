/**
 * The spine end to end on the archives of test/fixtures/warc: every HTML record ends up in
 * docs or rejects, reruns skip finished units and never duplicate rows, the CLI answers SQL.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../pipeline/config.ts';
import { runCorpus, type RunResult } from '../pipeline/run.ts';
import { queryCorpus } from '../pipeline/query.ts';
import { FIXTURES as CORPUS } from './helpers/fixtures.ts';

const run = promisify(execFile);
const BIN = new URL('../pipeline/bin.mjs', import.meta.url).pathname;
const WARC = join(CORPUS, 'warc');
/** Per-WARC record counts made by another reader (test/fixtures/warc/STATS.json; it has no entry for the ARC file). */
const STATS = JSON.parse(readFileSync(join(WARC, 'STATS.json'), 'utf8')) as { types: Record<string, number>; html_records: number }[];
const typed = (t: string) => STATS.reduce((n, e) => n + (e.types[t] ?? 0), 0);

let out: string;
let first: RunResult;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'corpus-run-'));
  first = await runCorpus({ inputs: [WARC], out, config: loadConfig(), progress: false });
}, 180_000);

describe('corpus run over test/fixtures/warc', () => {
  it('finishes every file; stats count records by type and errors by kind', async () => {
    expect(first.unitsTotal).toBe(STATS.length + 1); // + example.arc.gz
    expect(first.unitsFailed).toEqual([]);
    const read = first.stats.read!;
    // STATS.json counts records over the WARC files and the WACZ, of which these types (one request
    // fewer than STATS.json: the one in example-wrong-chunks.warc.gz, whose records are split across
    // gzip members, is not seen by warcio; test/read.test.ts checks that file's page is read).
    expect(read['records:request']).toBe(typed('request') - 1);
    expect(read['wacz:warc_entries']).toBe(1);
    expect(read['records:revisit']).toBe(typed('revisit'));
    expect(read['records:arc_response']).toBe(1); // example.arc.gz (ARC, read by stages/read/arc.ts)
    const stats = JSON.parse(await readFile(join(out, 'stats.json'), 'utf8'));
    expect(stats.stages.read.html).toBe(read.html);
  });

  it('every HTML record is a doc or a reject with a reason; HTML count matches the corpus STATS.json', async () => {
    const expected = STATS.reduce((n, e) => n + e.html_records, 0) + // the WACZ's WARC included
      // STATS.json's counter reads WARC headers only: the one HTML response of example.arc.gz is not in it.
      1;
    expect(first.stats.read!.html).toBe(expected);
    const { docs } = (await queryCorpus(out, 'SELECT count(*)::INT AS docs FROM docs'))[0]!;
    const { rejects } = (await queryCorpus(out, 'SELECT count(*)::INT AS rejects FROM rejects'))[0]!;
    expect(Number(docs) + Number(rejects)).toBe(expected);
    const empty = await queryCorpus(out, 'SELECT count(*)::INT AS n FROM docs WHERE num_chars = 0');
    expect(empty[0]!.n).toBe(0);
    const reasons = await queryCorpus(out, 'SELECT DISTINCT reason FROM rejects WHERE reason IS NULL OR reason = \'\'');
    expect(reasons).toEqual([]);
    const non2xx = await queryCorpus(out, "SELECT count(*)::INT AS n FROM rejects WHERE reason LIKE 'http_status_%'");
    expect(non2xx[0]!.n).toBeGreaterThan(50);
  });

  it('a rerun skips finished units; a unit killed mid-way is redone once, without duplicates', async () => {
    const before = await queryCorpus(out, 'SELECT doc_id FROM docs ORDER BY doc_id');
    const again = await runCorpus({ inputs: [WARC], out, config: loadConfig(), progress: false });
    expect(again.unitsSkipped).toBe(STATS.length + 1);
    expect(again.unitsDone).toBe(0);
    // Simulate a crash in the biggest unit: its marker is gone and a temporary file is left over.
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    const big = manifest.units.find((u: { unit: string }) => u.unit.endsWith('blackbook.warc.gz'));
    await rm(join(out, '_done', `${big.unitId}.json`));
    await writeFile(join(out, 'docs', `.tmp-${big.unitId}-00000.parquet`), 'partial');
    const redo = await runCorpus({ inputs: [WARC], out, config: loadConfig(), progress: false });
    expect(redo.unitsDone).toBe(1);
    const after = await queryCorpus(out, 'SELECT doc_id FROM docs ORDER BY doc_id');
    expect(after).toEqual(before);
    const dup = await queryCorpus(out, 'SELECT count(*) - count(DISTINCT doc_id) AS d FROM docs');
    expect(Number(dup[0]!.d)).toBe(0);
    expect((await readdir(join(out, 'docs'))).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  });

  it('refuses to mix a different config into the same output dir', async () => {
    const cfg = loadConfig();
    cfg.extract.minTextChars = 50;
    await expect(runCorpus({ inputs: [WARC], out, config: cfg, progress: false })).rejects.toThrow(/different config/);
  });
});

describe('corpus CLI', () => {
  it('query prints a table, CSV and JSON', async () => {
    const { stdout } = await run('node', [BIN, 'query', out, "SELECT count(*) AS n FROM docs WHERE domain = 'example.com'", '--format', 'csv']);
    expect(stdout.split('\n')[0]).toBe('n');
    expect(Number(stdout.split('\n')[1])).toBeGreaterThan(0);
    const json = await run('node', [BIN, 'query', out, 'SELECT stage, count(*) AS n FROM rejects GROUP BY 1 ORDER BY 1', '-f', 'json']);
    expect(JSON.parse(json.stdout.split('\n')[0]!)).toHaveProperty('stage');
  });

  it('user mistakes get one line that says what to do, and exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['run', '/no/such.warc.gz', '--out', join(out, 'x')], /input not found: \/no\/such.warc.gz/],
      [['run', WARC], /needs --out/],
      [['run', WARC, '--out', out, '--bogus'], /Unknown option '--bogus'/],
      [['query', out, 'SELECT * FROM nope'], /SQL error: .*nope/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['run', WARC, '--out', join(out, 'y'), '--config', '/no/cfg.json'], /cannot read config file/],
    ];
    for (const [args, msg] of cases) {
      const err = await run('node', [BIN, ...args]).then(() => null, (e) => e);
      expect(err, args.join(' ')).not.toBeNull();
      expect(err.code).toBe(2);
      expect(err.stderr.trim().split('\n')).toHaveLength(1);
      expect(err.stderr).toMatch(msg);
    }
  });

  it('corpus <command> --help prints that command\'s usage and exits 0', async () => {
    const { stdout } = await run('node', [BIN, 'run', '--help']);
    expect(stdout).toMatch(/^usage: corpus run <inputs…> --out DIR/);
    expect(stdout).toMatch(/--workers N/);
    expect(stdout).not.toMatch(/corpus query/);
  });

  it('extract prints one JSON line per page with segments in order', async () => {
    const { stdout } = await run('node', [BIN, 'extract', join(WARC, 'webrecorder__warcio/example.warc.gz')]);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ url: 'http://example.com/', title: 'Example Domain' });
    expect(lines[0].segments[0]).toMatchObject({ kind: 'text', text: 'Example Domain' });
  });
});
