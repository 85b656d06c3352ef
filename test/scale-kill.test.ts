/**
 * Kill -9 and rerun: `corpus run` (a real child process with 2 worker threads) is SIGKILLed at random
 * points over real corpus WARCs plus a generated 8 MB WARC of corpus pages (so kills land inside a
 * unit, between its checkpoints), and rerun each time. The final rows must equal those of an
 * uninterrupted run: same doc ids, no duplicates, same content, same counters.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../stages/pack/curriculum.ts';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../pipeline/config.ts';
import { runCorpus } from '../pipeline/run.ts';
import type { UnitMarker } from '../pipeline/unit.ts';
import { FIXTURES as CORPUS } from './helpers/fixtures.ts';
import { writeCorpusWarc } from './helpers/corpus-warc.ts';
import { outputRows } from './helpers/output-rows.ts';

const BIN = new URL('../pipeline/bin.mjs', import.meta.url).pathname;
const W = join(CORPUS, 'warc');
const REAL = [
  'netarchivesuite__solrwayback/IAH-20080430204825-00000-blackbook.warc.gz',
  'generated/revisits.warc.gz',
  'generated/wikipedia-article-images.warc.gz',
  'chatnoir-eu__chatnoir-resiliparse/warcfile.warc.gz',
  'generated/wget-archive-org.warc.gz',
  'webrecorder__warcio/example-bad-non-chunked.warc.gz', // whole-file gzip: no resume point, redone whole
  'webrecorder__warcio.js/example-bad-length.warc', // uncompressed, wrong Content-Length
].map((f) => join(W, f));
const KILLS = 6;
const CHECKPOINT_BYTES = 256 * 1024;

/** Seeded (mulberry32), so a failing run can be replayed with KILL_SEED. */
const prng = seededRandom;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the run has committed so far: markers and checkpoints, with their change times. */
async function committed(out: string): Promise<string> {
  const parts: string[] = [];
  for (const d of ['_done', '_checkpoints']) {
    for (const n of await readdir(join(out, d)).catch(() => [] as string[])) {
      parts.push(`${d}/${n}@${(await stat(join(out, d, n)).catch(() => null))?.mtimeMs ?? 0}`);
    }
  }
  return parts.sort().join('\n');
}

let inputs: string[];
let cfgFile: string;
let reference: string;
let base: string;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'corpus-kill-'));
  const big = join(base, 'generated.warc.gz');
  await writeCorpusWarc(big, { bytes: 8e6 });
  inputs = [...REAL, big];
  cfgFile = join(base, 'config.json');
  await writeFile(cfgFile, JSON.stringify({ run: { checkpointBytes: CHECKPOINT_BYTES } }));
  reference = join(base, 'reference');
  const r = await runCorpus({ inputs, out: reference, config: loadConfig(cfgFile), workers: 2, progress: false });
  expect(r.unitsFailed).toEqual([]);
}, 300_000);

describe('SIGKILL at random points, rerun each time', () => {
  it(`${KILLS} kills, then a clean finish: rows equal the uninterrupted run`, async () => {
    const seed = Number(process.env.KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const rnd = prng(seed);
    const out = join(base, 'killed');
    const log: string[] = [`seed ${seed}`];
    let kills = 0;
    for (let attempt = 0; ; attempt++) {
      const child = spawn('node', [BIN, 'run', ...inputs, '--out', out, '--config', cfgFile, '--workers', '2', '--quiet'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (b) => (stderr += b));
      const exit = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      let exited = false;
      void exit.then(() => (exited = true));
      if (kills < KILLS) {
        const t0 = Date.now();
        if (attempt % 2 === 0) {
          // Let this run commit 1-4 things (checkpoints, units), then kill it somewhere in what follows.
          for (let n = 1 + Math.floor(rnd() * 4); n > 0 && !exited; n--) {
            const before = await committed(out);
            while (!exited && (await committed(out)) === before) await sleep(25);
          }
          await sleep(rnd() * 1500);
        } else {
          // Anywhere from start-up on, including before any work.
          await sleep(rnd() * 6000);
        }
        if (!exited) {
          child.kill('SIGKILL');
          const [, signal] = await exit;
          expect(signal).toBe('SIGKILL');
          kills++;
          const now = (await committed(out)).split('\n');
          const n = (d: string) => now.filter((l) => l.startsWith(d)).length;
          log.push(`kill ${kills} after ${Date.now() - t0} ms: ${n('_done/')} units done, ${n('_checkpoints/')} in progress`);
          continue;
        }
        const [code] = await exit;
        throw new Error(`run finished (code ${code}) before kill ${kills + 1}; ${log.join('; ')}\n${stderr}`);
      }
      const [code] = await exit;
      expect(code, stderr).toBe(0);
      break;
    }
    console.log(log.join('\n'));
    expect(kills).toBe(KILLS);

    const got = await outputRows(out);
    const want = await outputRows(reference);
    const ids = got.docs.map((d) => d.doc_id);
    expect(new Set(ids).size).toBe(ids.length); // no duplicates
    expect(ids).toEqual(want.docs.map((d) => d.doc_id));
    expect(got.docs).toEqual(want.docs); // same content, column by column
    expect(got.rejects).toEqual(want.rejects);
    expect(got.stats).toEqual(want.stats);

    // Nothing half-done is left, and at least one unit was continued from an in-unit checkpoint.
    // Table folders (the dataset card README.md and manifests beside them are files, not folders).
    for (const e of await readdir(out, { withFileTypes: true })) {
      if (!e.isDirectory() || e.name.startsWith('_')) continue;
      expect((await readdir(join(out, e.name))).filter((f) => f.startsWith('.tmp-')), e.name).toEqual([]);
    }
    expect((await readdir(join(out, '_checkpoints'))).filter((n) => n.endsWith('.json'))).toEqual([]);
    const markers = await Promise.all(
      (await readdir(join(out, '_done'))).filter((n) => n.endsWith('.json')).map(async (n) => JSON.parse(await readFile(join(out, '_done', n), 'utf8')) as UnitMarker),
    );
    expect(markers).toHaveLength(inputs.length);
    const resumed = markers.filter((m) => m.resumes > 0);
    console.log(`units resumed from a checkpoint: ${resumed.map((m) => `${m.unit.split('/').pop()} x${m.resumes}`).join(', ')}`);
    expect(resumed.length).toBeGreaterThan(0);
  }, 600_000);
});
