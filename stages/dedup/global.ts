/**
 * The global dedup pass (`corpus dedup <out-dir…>`), in three phases so it spreads over machines
 * the way `corpus run` does (datatrove's MinHash layout: signatures -> buckets -> clusters -> filter):
 *
 *   index    task i of n takes its share of every key space across all shards and writes the
 *            verified duplicate PAIRS it finds there:
 *              (band, band-key range) % n  LSH buckets (bandShare): pairs of distinct signatures sharing a band,
 *                                          verified by >= minMatches agreeing positions (the in-run test)
 *              hash(minhash) % n           identical signatures
 *              hash(url_norm) % n          same normalised URL
 *              hash(domain) % n            paragraphs seen in more than maxDocsPerDomain documents of a
 *                                          domain (candidates: counted over every doc, recounted later
 *                                          over the kept ones) and the docs that could lose all text
 *              hash(image_id) % n          pHash neighbours (pigeonhole blocks + verification) and the
 *                                          uses of images that could be logos
 *            plus the attributes (fetch time, url, shards) of the documents its pairs name. It reads
 *            only the columns it needs; its memory grows with its share, not with the corpus.
 *   cluster  one task: connected components over the pairs (memory grows with the pairs), keepers
 *            (latest fetch, then smallest doc_id), boilerplate paragraphs and logo images counted over
 *            the kept documents; writes the lists below.
 *   apply    task i rewrites its share of the shards with the lists applied.
 *
 * Every decision is a set operation over keys, so the lists do not depend on the order of the
 * shards, the number of tasks or which task ran when; they are the ones a single pass over
 * everything gives (test/dedup-phases.test.ts). Each phase writes under a temporary name and
 * renames into place, and records what it was run with: a killed task is redone alone, a finished
 * one is skipped.
 *
 * Writes, under the output directory (each a table `corpus query DIR` sees):
 *   removals/part-0.parquet        doc_id, shard, reason (dup_url | near_dup | boilerplate_only), kept_doc_id, cluster_size
 *   boilerplate/part-0.parquet     domain, para_md5, docs
 *   image_removals/part-0.parquet  image_id, cluster, docs (logos)
 *   image_clusters/part-0.parquet  image_id, cluster (images whose cluster has another member)
 *   summary.json
 *   docs/shard=<name>/part-0.parquet  (apply) every shard's docs with the removals applied
 *   _index/w<n>-r<i>/, _apply/<shard>.json  phase outputs and markers
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { publishPath, writeFileAtomically } from '../lib/atomic.ts';
import { basename, join, resolve } from 'node:path';
import { Db, sqlString } from '../lib/duckdb.ts';
import type { DedupConfig } from './index.ts';
import { minMatches } from './minhash.ts';
import { UserError } from '../lib/errors.ts';

export interface DedupShards {
  /** Output directories of `corpus run` (shards), in any order. */
  dirs: string[];
  /** Where the lists and phase outputs go. */
  out: string;
  config: DedupConfig;
  threads?: number;
  log?: (m: string) => void;
}

export interface Share {
  rank: number;
  worldSize: number;
}

export interface GlobalDedupOptions extends DedupShards {
  /** Also write the filtered docs of every shard under out/docs/shard=<name>/. */
  apply?: boolean;
}

export interface GlobalDedupSummary {
  shards: string[];
  config: DedupConfig;
  nodes: number;
  edges: { url: number; near: number };
  components: number;
  componentIterations: number;
  removals: Record<string, number>;
  removalsInDocs: number;
  boilerplateParagraphs: number;
  logoImages: number;
  imagesClustered: number;
  keptDocs: number;
  seconds: number;
}

export class GlobalDedupError extends UserError {
  readonly code = 'ERR_GLOBAL_DEDUP';
}

export async function parquetGlob(dir: string, table: string): Promise<string | null> {
  const p = join(dir, table);
  try {
    const entries = await readdir(p, { recursive: true, withFileTypes: true });
    if (!entries.some((e) => e.isFile() && e.name.startsWith('part-') && e.name.endsWith('.parquet'))) return null;
  } catch {
    return null;
  }
  return `${resolve(p)}/**/part-*.parquet`;
}

/** Shard names: the directory base names, made unique in a way that does not depend on order. */
export function shardNames(dirs: string[]): string[] {
  const abs = dirs.map((d) => resolve(d));
  return abs.map((d) => {
    const b = basename(d);
    return abs.filter((x) => basename(x) === b).length > 1 ? d.replace(/[\\/]+/g, '_').replace(/^_/, '') : b;
  });
}

/**
 * What the outputs of every phase depend on: the dedup parameters and the set of shards (sorted,
 * so the order they are given in does not matter). Phases refuse or redo outputs made with another.
 */
function fingerprint(opts: DedupShards): string {
  const names = shardNames(opts.dirs);
  const shards = opts.dirs.map((d, i) => `${names[i]}=${resolve(d)}`).sort();
  return createHash('sha256').update(JSON.stringify({ config: opts.config, shards })).digest('hex').slice(0, 16);
}

/**
 * Connected components of the undirected graph in table `edges(a, b)`; writes `out(nid, label)` with
 * label = the smallest node id of the component. Returns the number of rounds.
 */
async function components(db: Db, edges: string, out: string): Promise<number> {
  await db.run(`CREATE OR REPLACE TABLE _e AS SELECT a, b FROM ${edges} UNION SELECT b, a FROM ${edges}`);
  await db.run(`CREATE OR REPLACE TABLE ${out} AS SELECT a AS nid, least(a, min(b)) AS label FROM _e GROUP BY a`);
  for (let round = 1; ; round++) {
    // One step of min-label propagation, then pointer jumping (label := label of label).
    await db.run(`CREATE OR REPLACE TABLE _l AS
      SELECT l.nid, least(l.label, min(n.label)) AS label FROM ${out} l JOIN _e ON _e.a = l.nid JOIN ${out} n ON n.nid = _e.b
      GROUP BY l.nid, l.label`);
    await db.run(`CREATE OR REPLACE TABLE _l AS SELECT x.nid, least(x.label, y.label) AS label FROM _l x JOIN _l y ON y.nid = x.label`);
    const [row] = await db.all(`SELECT count(*)::INTEGER AS n FROM _l JOIN ${out} o USING (nid) WHERE _l.label <> o.label`);
    await db.run(`CREATE OR REPLACE TABLE ${out} AS SELECT * FROM _l`);
    if (Number(row!.n) === 0) {
      await db.run('DROP TABLE _l; DROP TABLE _e');
      return round;
    }
  }
}

async function count(db: Db, sql: string): Promise<number> {
  const [row] = await db.all(`SELECT count(*)::BIGINT AS n FROM (${sql})`);
  return Number(row!.n);
}

/** The blocks of the pigeonhole pHash join: d+1 disjoint bit ranges covering 64 bits. */
function phashBlocks(d: number): { shift: number; mask: string }[] {
  const n = d + 1;
  const out: { shift: number; mask: string }[] = [];
  let shift = 0;
  for (let i = 0; i < n; i++) {
    const width = Math.floor(64 / n) + (i < 64 % n ? 1 : 0);
    out.push({ shift, mask: ((1n << BigInt(width)) - 1n).toString() });
    shift += width;
  }
  return out;
}

/** A database whose big joins and aggregates spill to a directory of this process's own under out/.tmp. */
async function openDb(out: string, threads: number | undefined): Promise<{ db: Db; spill: string }> {
  const db = await Db.open({ threads: threads ?? 2 });
  const spill = join(resolve(out), '.tmp', `${process.pid}-${Date.now()}`);
  await mkdir(spill, { recursive: true });
  // Row order is never relied upon (every list is sorted when written).
  await db.run(`SET temp_directory = ${sqlString(spill)}; SET preserve_insertion_order = false`);
  return { db, spill };
}

/**
 * Views over the shards: `reached` (every row that reached the dedup stage, docs and rejects, with
 * `in_docs` and `shard`) and `images_all` (every shard's images with a valid pHash).
 * Views, so each query reads from Parquet only the columns it uses.
 */
async function shardViews(db: Db, dirs: string[], names: string[]): Promise<{ hasImages: boolean }> {
  const parts: string[] = [];
  const imageGlobs: string[] = [];
  for (let i = 0; i < dirs.length; i++) {
    const dir = dirs[i]!;
    const docs = await parquetGlob(dir, 'docs');
    const rejects = await parquetGlob(dir, 'rejects');
    const images = await parquetGlob(dir, 'images');
    if (!docs && !rejects) throw new GlobalDedupError(`no docs or rejects Parquet under ${dir} (give output directories of corpus run)`);
    const shard = sqlString(names[i]!);
    for (const [glob, inDocs] of [[docs, true], [rejects, false]] as const) {
      if (!glob) continue;
      const cols = new Set((await db.all(`DESCRIBE SELECT * FROM read_parquet(${sqlString(glob)}, union_by_name = true)`)).map((r) => String(r.column_name)));
      for (const col of ['url_norm', 'minhash', 'fetched_ms']) {
        if (!cols.has(col)) throw new GlobalDedupError(`${dir}: column ${col} missing; was it run with the dedup stage?`);
      }
      const opt = (col: string, type: string) => (cols.has(col) ? col : `NULL::${type} AS ${col}`);
      parts.push(`SELECT doc_id, domain, url_norm, fetched_ms, minhash, ${opt('segments', 'STRUCT(kind VARCHAR, text VARCHAR, image_id VARCHAR)[]')},
        ${opt('boilerplate_md5', 'VARCHAR[]')}, ${opt('removed_image_ids', 'VARCHAR[]')}, ${inDocs} AS in_docs, ${shard} AS shard
        FROM read_parquet(${sqlString(glob)}, union_by_name = true)
        ${inDocs ? '' : 'WHERE url_norm IS NOT NULL OR minhash IS NOT NULL'}`);
    }
    if (images) imageGlobs.push(images);
  }
  await db.run(`CREATE VIEW reached AS ${parts.join(' UNION ALL ')}`);
  if (imageGlobs.length > 0) {
    await db.run(`CREATE VIEW images_all AS SELECT image_id, ('0x' || phash)::UBIGINT AS ph
      FROM read_parquet([${imageGlobs.map(sqlString).join(', ')}], union_by_name = true) WHERE regexp_full_match(phash, '[0-9a-fA-F]{16}')`);
  }
  return { hasImages: imageGlobs.length > 0 };
}

// ---------------------------------------------------------------------------------------------
// Phase outputs on disk

const INDEX_TABLES = ['pairs', 'attrs', 'paras', 'risk', 'pedges', 'uses'] as const;
const LIST_TABLES = ['removals', 'boilerplate', 'image_removals', 'image_clusters'] as const;

/**
 * Task `i` of `n`'s share of the LSH buckets: each band's 64-bit key space is cut into m = ceil(n / B)
 * contiguous ranges, giving B * m slots (band b, range j) dealt round-robin ((b * m + j) % n) to the
 * tasks. `bands` are the bands the task touches at all (B / n of them when n <= B), `slots` its
 * key ranges (inclusive bounds; what it reads from the sorted `dedup_bands` tables), `owns` the SQL
 * test of a (b, bk) entry. Every slot has one owner, so the tasks together see every bucket exactly
 * once, whatever n is.
 */
export function bandShare(B: number, n: number, i: number): { bands: number[]; slots: { b: number; lo: bigint; hi: bigint }[]; owns: string } {
  const m = Math.ceil(n / B);
  const span = 1n << 64n;
  const step = (span + BigInt(m) - 1n) / BigInt(m);
  const slots: { b: number; lo: bigint; hi: bigint }[] = [];
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < m; j++) {
      if ((b * m + j) % n !== i) continue;
      const lo = BigInt(j) * step;
      const hi = BigInt(j + 1) * step - 1n;
      slots.push({ b, lo, hi: hi < span ? hi : span - 1n });
    }
  }
  const bands = [...new Set(slots.map((s) => s.b))];
  const owns = m === 1 ? `b % ${n} = ${i}` : `(b * ${m} + bk // ${step}::UBIGINT) % ${n} = ${i}`;
  return { bands, slots, owns };
}

/**
 * The `dedup_bands` tables of the shards (written by the dedup stage since #19), or null when a shard
 * that has signatures lacks one (written before): then every key is computed from the signatures,
 * as before, since keys made two ways would not meet.
 */
async function bandKeyGlobs(db: Db, dirs: string[], k: number): Promise<string[] | null> {
  const globs: string[] = [];
  for (const dir of dirs) {
    const g = await parquetGlob(dir, 'dedup_bands');
    if (g) {
      globs.push(g);
      continue;
    }
    for (const t of ['docs', 'rejects']) {
      const src = await parquetGlob(dir, t);
      if (src && (await count(db, `SELECT 1 FROM read_parquet(${sqlString(src)}, union_by_name = true) WHERE len(minhash) = ${k} LIMIT 1`)) > 0) return null;
    }
  }
  return globs;
}

function indexDir(out: string, s: Share): string {
  return join(out, '_index', `w${s.worldSize}-r${s.rank}`);
}

interface IndexMeta {
  fingerprint: string;
  rank: number;
  worldSize: number;
  /** Distinct documents of this task's doc_id share, and those of them in some shard's docs. */
  nodes: number;
  nodesInDocs: number;
  pairs: number;
  seconds: number;
}

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return null;
  }
}


function check(s: Share): void {
  if (!(Number.isInteger(s.worldSize) && s.worldSize >= 1 && Number.isInteger(s.rank) && s.rank >= 0 && s.rank < s.worldSize)) {
    throw new GlobalDedupError(`--rank must be in [0, --world-size); got rank ${s.rank}, world size ${s.worldSize}`);
  }
}

function checkOut(opts: DedupShards): void {
  const outAbs = resolve(opts.out);
  if (opts.dirs.some((d) => resolve(d) === outAbs)) throw new GlobalDedupError(`--out ${opts.out} is one of the shards; give a directory of its own`);
}

// ---------------------------------------------------------------------------------------------
// index

/**
 * Phase 1, task `rank` of `worldSize`: the verified pairs and counting candidates of this task's
 * share of the key spaces (see the file comment). Skipped when its output exists for the same
 * shards and parameters (unless `force`).
 */
export async function indexPhase(opts: DedupShards & Share & { force?: boolean }): Promise<IndexMeta> {
  check(opts);
  checkOut(opts);
  const started = Date.now();
  const log = opts.log ?? (() => {});
  const fp = fingerprint(opts);
  const dir = indexDir(opts.out, opts);
  const done = await readJson<IndexMeta>(join(dir, 'meta.json'));
  if (done && done.fingerprint === fp && !opts.force) {
    log(`dedup index ${opts.rank}/${opts.worldSize}: done already (${done.pairs} pairs)`);
    return done;
  }
  const W = opts.worldSize;
  const i = opts.rank;
  const own = (expr: string) => `hash(${expr}) % ${W} = ${i}`;
  const names = shardNames(opts.dirs);
  const { db, spill } = await openDb(opts.out, opts.threads);
  const tmp = `${dir}.tmp-${process.pid}`;
  try {
    const { hasImages } = await shardViews(db, opts.dirs, names);
    const task: IndexTask = { db, c: opts.config, W, i, own };
    // Seconds per part of the task, for the log line (where an index task's time goes).
    const took: string[] = [];
    let lap = Date.now();
    const step = (name: string) => {
      took.push(`${name} ${((Date.now() - lap) / 1000).toFixed(1)}`);
      lap = Date.now();
    };
    const [n] = await db.all(`SELECT count(DISTINCT doc_id)::BIGINT AS n, count(DISTINCT doc_id) FILTER (WHERE in_docs)::BIGINT AS d
      FROM reached WHERE ${own('doc_id')}`);
    step('nodes');

    // ---- pairs (a, b, kind); b is the smaller doc_id of a group where there is one ----
    await db.run('CREATE TABLE pairs (a VARCHAR, b VARCHAR, kind VARCHAR)');
    await urlPairs(task);
    step('url');
    await nearPairs(task, opts.dirs, log);
    step('near');
    await paragraphsAndImages(task, hasImages);
    step('paragraphs+images');
    // ---- attributes of the documents cluster will decide about (as one node per doc_id: order-free aggregates) ----
    await db.run(`CREATE TABLE attrs AS SELECT doc_id, max(fetched_ms) AS fetched_ms, min(url_norm) AS url_norm,
        bool_or(in_docs) AS in_docs, list(DISTINCT shard ORDER BY shard) FILTER (WHERE in_docs) AS shards
      FROM reached WHERE doc_id IN (SELECT a FROM pairs UNION SELECT b FROM pairs UNION SELECT doc_id FROM risk) GROUP BY doc_id`);

    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    const tables: Record<(typeof INDEX_TABLES)[number], string> = {
      pairs: 'pairs', attrs: 'attrs', paras: 'paras_out', risk: 'risk', pedges: 'pedges', uses: 'uses_out',
    };
    for (const t of INDEX_TABLES) {
      await db.run(`COPY ${tables[t]} TO ${sqlString(join(tmp, `${t}.parquet`))} (FORMAT parquet, COMPRESSION zstd)`);
    }
    const meta: IndexMeta = {
      fingerprint: fp,
      rank: i,
      worldSize: W,
      nodes: Number(n!.n),
      nodesInDocs: Number(n!.d),
      pairs: await count(db, 'SELECT * FROM pairs'),
      seconds: (Date.now() - started) / 1000,
    };
    await writeFile(join(tmp, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
    await rm(dir, { recursive: true, force: true });
    await publishPath(tmp, dir);
    step('attrs+write');
    log(`dedup index ${i}/${W}: ${meta.pairs} pairs, ${meta.nodes} docs of its share, ${meta.seconds.toFixed(1)} s (${took.join(', ')} s)`);
    return meta;
  } finally {
    db.close();
    await rm(tmp, { recursive: true, force: true });
    await rm(spill, { recursive: true, force: true });
  }
}

/** One index task: its DuckDB (views `reached`, `images_all`), parameters and share of the key spaces. */
interface IndexTask {
  db: Db;
  c: DedupConfig;
  W: number;
  i: number;
  /** SQL: this task owns the row whose `expr` hashes to its rank. */
  own: (expr: string) => string;
}

/** URL duplicates of this task's share of url_norm: each doc to the smallest doc_id with its URL. */
async function urlPairs({ db, c, own }: IndexTask): Promise<void> {
  if (c.url.enabled) {
    await db.run(`INSERT INTO pairs SELECT doc_id, rep, 'url' FROM (
        SELECT doc_id, min(doc_id) OVER (PARTITION BY url_norm) AS rep
        FROM (SELECT DISTINCT doc_id, url_norm FROM reached WHERE url_norm IS NOT NULL AND ${own('url_norm')}))
      WHERE doc_id <> rep`);
  }
}

/** Near duplicates of this task's share of the LSH bands: candidates from shared buckets, verified on the signatures. */
async function nearPairs({ db, c, W, i, own }: IndexTask, dirs: string[], log: (m: string) => void): Promise<void> {
  const B = c.nearDup.bands;
  const r = c.nearDup.rowsPerBand;
  const k = B * r;
  const need = minMatches(c.nearDup.threshold, k);
  if (c.nearDup.enabled) {
    // LSH buckets of this share: (band, 64-bit key of the band's rows). Read from the shards'
    // sorted dedup_bands tables, one range scan per slot the task owns (DuckDB skips the other row
    // groups: a task reads ~1/n of the keys); for shards written before those tables, computed from
    // the signatures (every task then reads every signature, hashing only the bands it owns).
    // Two passes so the big one keeps no strings: first the buckets holding two different
    // signatures, then their members.
    const share = bandShare(B, W, i);
    const keyGlobs = await bandKeyGlobs(db, dirs, k);
    let entries: string;
    if (keyGlobs && keyGlobs.length > 0) {
      const src = `read_parquet([${keyGlobs.map(sqlString).join(', ')}])`;
      entries = share.slots
        .map((s) => `SELECT doc_id, b, bk, sh FROM ${src} WHERE b = ${s.b} AND bk BETWEEN ${s.lo}::UBIGINT AND ${s.hi}::UBIGINT`)
        .join(' UNION ALL ');
      // Identical signatures of this share: groups of one signature key (band 0 rows), checked against the signatures below.
      await db.run(`CREATE TABLE ident AS SELECT DISTINCT doc_id FROM ${src} WHERE b = 0 AND hash(sh) % ${W} = ${i}
        AND sh IN (SELECT sh FROM ${src} WHERE b = 0 AND hash(sh) % ${W} = ${i} GROUP BY sh HAVING count(DISTINCT doc_id) > 1)`);
    } else {
      if (keyGlobs === null) log(`dedup index ${i}/${W}: some shard has no dedup_bands table (written before it existed): band keys computed from every signature`);
      entries = `SELECT * FROM (SELECT doc_id, b, hash(b, minhash[b * ${r} + 1 : (b + 1) * ${r}]) AS bk, hash(minhash) AS sh
        FROM reached, (VALUES ${share.bands.map((b) => `(${b})`).join(', ') || '(NULL)'}) t(b) WHERE len(minhash) = ${k}) WHERE ${share.owns}`;
      await db.run(`CREATE TABLE ident AS SELECT DISTINCT doc_id FROM reached WHERE len(minhash) = ${k} AND ${own('minhash')}
        AND minhash IN (SELECT minhash FROM reached WHERE len(minhash) = ${k} AND ${own('minhash')} GROUP BY minhash HAVING count(DISTINCT doc_id) > 1)`);
    }
    if (share.slots.length === 0) entries = 'SELECT NULL::VARCHAR AS doc_id, NULL::SMALLINT AS b, NULL::UBIGINT AS bk, NULL::UBIGINT AS sh WHERE false';
    await db.run(`CREATE TABLE buckets AS SELECT b, bk FROM (${entries}) GROUP BY b, bk HAVING min(sh) <> max(sh)`);
    // One member per distinct signature in each bucket: its representative (identical signatures
    // share every bucket, so the smallest doc_id here is the smallest overall).
    await db.run(`CREATE TABLE members AS SELECT e.b, e.bk, e.sh, min(e.doc_id) AS rep FROM (${entries}) e
      SEMI JOIN buckets u ON u.b = e.b AND u.bk = e.bk GROUP BY e.b, e.bk, e.sh`);
    await db.run(`CREATE TABLE cand AS SELECT DISTINCT x.b, x.rep AS a, y.rep AS b2 FROM members x JOIN members y ON x.b = y.b AND x.bk = y.bk AND x.rep < y.rep`);
    // The signatures of the documents named: one scan of the signature column.
    await db.run(`CREATE TABLE sigs AS SELECT doc_id, min(minhash) AS minhash FROM reached
      WHERE len(minhash) = ${k} AND doc_id IN (SELECT a FROM cand UNION SELECT b2 FROM cand UNION SELECT doc_id FROM ident) GROUP BY doc_id`);
    // Identical signatures: every doc to the smallest doc_id with its signature (its representative).
    await db.run(`INSERT INTO pairs SELECT doc_id, rep, 'near' FROM (
        SELECT doc_id, min(doc_id) OVER (PARTITION BY minhash) AS rep FROM sigs SEMI JOIN ident USING (doc_id))
      WHERE doc_id <> rep`);
    // The exact test: the band really agrees (bk is a hash) and enough positions agree.
    await db.run(`INSERT INTO pairs SELECT DISTINCT cand.a, cand.b2, 'near' FROM cand JOIN sigs sa ON sa.doc_id = cand.a JOIN sigs sb ON sb.doc_id = cand.b2
      WHERE sa.minhash[cand.b * ${r} + 1 : (cand.b + 1) * ${r}] = sb.minhash[cand.b * ${r} + 1 : (cand.b + 1) * ${r}]
        AND len(list_filter(range(1, ${k + 1}), j -> sa.minhash[j] = sb.minhash[j])) >= ${need}`);
    await db.run('DROP TABLE buckets; DROP TABLE members; DROP TABLE cand; DROP TABLE sigs; DROP TABLE ident');
  }
}

/** Paragraphs (domain share) and image uses (image share), from one scan of the segments; pHash neighbours of this share's images. */
async function paragraphsAndImages({ db, c, own }: IndexTask, hasImages: boolean): Promise<void> {
  const L = c.paragraphs.maxDocsPerDomain;

  // ---- paragraphs (domain share) and image uses (image share), from one scan of the segments ----
  await db.run(`CREATE TABLE segs AS SELECT domain, doc_id, h, image_id, src FROM (
      SELECT domain, doc_id, CASE WHEN s.kind = 'text' THEN md5(s.text) END AS h,
             CASE WHEN s.kind = 'image' THEN s.image_id END AS image_id, 'seg' AS src
      FROM (SELECT domain, doc_id, unnest(segments) AS s FROM reached)
      WHERE (s.kind = 'text' AND coalesce(s.text, '') <> '' AND ${own("coalesce(domain, '')")})
         OR (s.kind = 'image' AND s.image_id IS NOT NULL AND ${own('s.image_id')})
      UNION ALL SELECT domain, doc_id, unnest(boilerplate_md5), NULL, 'removed' FROM reached WHERE ${own("coalesce(domain, '')")}
      UNION ALL SELECT domain, doc_id, NULL, unnest(removed_image_ids), 'removed' FROM reached)
    WHERE h IS NOT NULL OR (image_id IS NOT NULL AND ${own('image_id')})`);
  // A paragraph in more than L docs of its domain counting every doc may be boilerplate once only
  // the kept docs count: its occurrences go to cluster. A doc whose every paragraph is such a
  // candidate may end with no text (boilerplate_only): cluster decides those.
  await db.run(`CREATE TABLE paras AS SELECT DISTINCT domain, doc_id, h, src FROM segs WHERE h IS NOT NULL`);
  await db.run(`CREATE TABLE pcand AS SELECT domain, h FROM paras GROUP BY domain, h HAVING count(DISTINCT doc_id) > ${L}`);
  await db.run(`CREATE TABLE paras_out AS SELECT p.* FROM paras p SEMI JOIN pcand c ON c.domain IS NOT DISTINCT FROM p.domain AND c.h = p.h`);
  await db.run(`CREATE TABLE risk AS SELECT DISTINCT doc_id FROM paras
    EXCEPT SELECT doc_id FROM paras p ANTI JOIN pcand c ON c.domain IS NOT DISTINCT FROM p.domain AND c.h = p.h WHERE p.src = 'seg'`);

  // Images of this share: pHash neighbours among all images, and the uses of those that could be
  // logos (a pHash neighbour, or more than logoMaxDocs docs counting every doc).
  await db.run('CREATE TABLE pedges (a VARCHAR, b VARCHAR)');
  await db.run(`CREATE TABLE uses AS SELECT DISTINCT doc_id, image_id FROM segs WHERE image_id IS NOT NULL`);
  await db.run('DROP TABLE segs');
  if (c.images.enabled && hasImages) {
    const d = c.images.phashMaxDistance;
    const values = phashBlocks(d).map((b, j) => `(${j}, ${b.shift}, ${b.mask}::UBIGINT)`).join(', ');
    await db.run(`CREATE TABLE mine AS SELECT image_id, min(ph) AS ph FROM images_all WHERE ${own('image_id')} GROUP BY image_id`);
    // Two hashes within d bits agree exactly on at least one of d+1 disjoint blocks.
    await db.run(`CREATE TABLE near AS SELECT DISTINCT m.image_id AS x, y.image_id AS y, y.ph AS phy FROM
        (SELECT image_id, ph, blk, (ph >> shift) & mask AS v FROM mine, (VALUES ${values}) t(blk, shift, mask)) m
        JOIN (SELECT image_id, ph, blk, (ph >> shift) & mask AS v FROM images_all, (VALUES ${values}) t(blk, shift, mask)) y
          ON m.blk = y.blk AND m.v = y.v AND m.image_id <> y.image_id
      WHERE bit_count(xor(m.ph, y.ph)) <= ${d}`);
    // Each image to the smallest image of every pHash value near it (its own included): the
    // same components as all pairs within d bits, without the quadratic edges of a repeated logo.
    await db.run(`INSERT INTO pedges SELECT x, min(y) FROM near GROUP BY x, phy`);
  }
  await db.run(`CREATE TABLE uses_out AS SELECT * FROM uses WHERE image_id IN (SELECT a FROM pedges)
    OR image_id IN (SELECT image_id FROM uses GROUP BY image_id HAVING count(*) > ${c.images.logoMaxDocs})`);

}

// ---------------------------------------------------------------------------------------------
// cluster

/**
 * Connected components of the pair graph; in each, the keeper is the latest fetch (then the smallest
 * doc_id) and the others go to `removed` (dup_url when they share the keeper's URL, else near_dup).
 */
async function clusterDocuments(db: Db): Promise<{ edgeCounts: Record<string, number>; rounds: number }> {
  // Nodes: the documents named by a pair or at risk of losing all text (everything else is kept as is).
  await db.run(`CREATE TABLE attrs AS SELECT doc_id, max(fetched_ms) AS fetched_ms, min(url_norm) AS url_norm, bool_or(in_docs) AS in_docs
    FROM i_attrs GROUP BY doc_id`);
  await db.run(`CREATE TABLE doc_shards AS SELECT DISTINCT doc_id, unnest(shards) AS shard FROM i_attrs`);
  await db.run(`CREATE TABLE pairs AS SELECT DISTINCT a, b, kind FROM i_pairs`);
  await db.run(`CREATE TABLE nodes AS SELECT row_number() OVER (ORDER BY doc_id)::INTEGER AS nid,
      row_number() OVER (ORDER BY fetched_ms DESC NULLS LAST, doc_id)::INTEGER AS rnk, *
    FROM attrs WHERE doc_id IN (SELECT a FROM pairs UNION SELECT b FROM pairs)`);
  await db.run(`CREATE TABLE edges AS SELECT x.nid AS a, y.nid AS b, kind FROM pairs JOIN nodes x ON x.doc_id = pairs.a JOIN nodes y ON y.doc_id = pairs.b`);
  const edgeCounts = Object.fromEntries(
    (await db.all(`SELECT kind, count(*)::BIGINT AS n FROM edges GROUP BY kind`)).map((r) => [String(r.kind), Number(r.n)]),
  );
  const rounds = await components(db, 'edges', 'comp');
  await db.run(`CREATE TABLE keepers AS
    SELECT label, arg_min(nid, rnk) AS keeper, count(*)::INTEGER AS size FROM comp JOIN nodes USING (nid) GROUP BY label`);
  await db.run(`CREATE TABLE removed AS
    SELECT n.doc_id, n.in_docs, kn.doc_id AS kept_doc_id, k.size AS cluster_size,
           CASE WHEN n.url_norm = kn.url_norm THEN 'dup_url' ELSE 'near_dup' END AS reason
    FROM comp JOIN keepers k USING (label) JOIN nodes n ON n.nid = comp.nid JOIN nodes kn ON kn.nid = k.keeper
    WHERE comp.nid <> k.keeper`);
  await db.run(`CREATE TABLE dup_removed AS SELECT doc_id FROM removed`);
  return { edgeCounts, rounds };
}

/** Boilerplate paragraphs: the index's candidates recounted over the kept documents; docs left with no text removed. */
async function boilerplateParagraphs(db: Db, c: DedupConfig): Promise<void> {
  const L = c.paragraphs.maxDocsPerDomain;
  await db.run(`CREATE TABLE boilerplate (domain VARCHAR, para_md5 VARCHAR, docs BIGINT)`);
  if (c.paragraphs.enabled) {
    await db.run(`CREATE TABLE paras AS SELECT * FROM i_paras WHERE doc_id NOT IN (SELECT doc_id FROM dup_removed)`);
    await db.run(`INSERT INTO boilerplate SELECT domain, h, count(DISTINCT doc_id) FROM paras GROUP BY domain, h
      HAVING count(DISTINCT doc_id) > ${L}`);
    // Kept docs with no text left once boilerplate is gone (the in-run stage drops these too).
    await db.run(`INSERT INTO removed SELECT a.doc_id, a.in_docs, NULL, 1, 'boilerplate_only' FROM attrs a
      WHERE a.doc_id IN (
        SELECT doc_id FROM i_risk WHERE doc_id NOT IN (SELECT doc_id FROM dup_removed)
        EXCEPT
        SELECT p.doc_id FROM paras p LEFT JOIN boilerplate b ON b.domain = p.domain AND b.para_md5 = p.h
        WHERE p.src = 'seg' AND b.para_md5 IS NULL)`);
  }
}

/** Images: pHash clusters, and logos (a cluster in more than logoMaxDocs kept documents). */
async function logoImages(db: Db, c: DedupConfig): Promise<void> {
  await db.run(`CREATE TABLE pimg AS SELECT row_number() OVER (ORDER BY image_id)::INTEGER AS iid, image_id FROM
    (SELECT a AS image_id FROM i_pedges UNION SELECT b FROM i_pedges)`);
  await db.run(`CREATE TABLE pedges AS SELECT DISTINCT x.iid AS a, y.iid AS b FROM i_pedges e JOIN pimg x ON x.image_id = e.a JOIN pimg y ON y.image_id = e.b`);
  await db.run(`CREATE TABLE image_cluster (image_id VARCHAR, cluster VARCHAR)`);
  if (c.images.enabled) {
    await components(db, 'pedges', 'pcomp');
    await db.run(`INSERT INTO image_cluster SELECT p.image_id, q.image_id FROM pcomp pc JOIN pimg p ON p.iid = pc.nid JOIN pimg q ON q.iid = pc.label`);
  }
  await db.run(`CREATE TABLE image_removals (image_id VARCHAR, cluster VARCHAR, docs BIGINT)`);
  if (c.images.enabled) {
    await db.run(`CREATE TABLE img_use AS SELECT d.doc_id, d.image_id, coalesce(ic.cluster, d.image_id) AS cluster
      FROM (SELECT DISTINCT doc_id, image_id FROM i_uses WHERE doc_id NOT IN (SELECT doc_id FROM dup_removed)) d LEFT JOIN image_cluster ic USING (image_id)`);
    await db.run(`INSERT INTO image_removals SELECT DISTINCT u.image_id, u.cluster, l.docs FROM img_use u JOIN
      (SELECT cluster, count(DISTINCT doc_id) AS docs FROM img_use GROUP BY cluster HAVING count(DISTINCT doc_id) > ${c.images.logoMaxDocs}) l
      USING (cluster)`);
  }
}

/** The index outputs to cluster: one complete set of ranks made for these shards and parameters. */
async function indexRanks(out: string, fp: string): Promise<{ dirs: string[]; metas: IndexMeta[] }> {
  const byWorld = new Map<number, Map<number, IndexMeta>>();
  let entries: string[] = [];
  try {
    entries = await readdir(join(out, '_index'));
  } catch {
    /* none */
  }
  for (const e of entries) {
    const m = /^w(\d+)-r(\d+)$/.exec(e);
    if (!m) continue;
    const meta = await readJson<IndexMeta>(join(out, '_index', e, 'meta.json'));
    if (!meta || meta.fingerprint !== fp) continue;
    const w = Number(m[1]);
    if (!byWorld.has(w)) byWorld.set(w, new Map());
    byWorld.get(w)!.set(Number(m[2]), meta);
  }
  // Any complete world gives the same lists; take the smallest.
  for (const w of [...byWorld.keys()].sort((a, b) => a - b)) {
    const ranks = byWorld.get(w)!;
    if (ranks.size === w) {
      const metas = [...ranks.values()].sort((a, b) => a.rank - b.rank);
      return { dirs: metas.map((m) => indexDir(out, m)), metas };
    }
  }
  const partial = [...byWorld.entries()].map(([w, ranks]) => {
    const missing = Array.from({ length: w }, (_, r) => r).filter((r) => !ranks.has(r));
    return `world size ${w}: ranks ${missing.join(', ')} missing`;
  });
  throw new GlobalDedupError(
    `no complete index for these shards and parameters under ${out}/_index (${partial.join('; ') || 'none'}): run corpus dedup … --phase index for every rank first`,
  );
}

interface ClusterMeta extends GlobalDedupSummary {
  fingerprint: string;
  /** Identifies this set of lists (apply markers refer to it). */
  lists: string;
}

/** Phase 2, one task: components over the pairs, keepers, boilerplate and logos; writes the lists. */
export async function clusterPhase(opts: DedupShards & { force?: boolean }): Promise<GlobalDedupSummary> {
  checkOut(opts);
  const started = Date.now();
  const log = opts.log ?? (() => {});
  const c = opts.config;
  const fp = fingerprint(opts);
  const { dirs, metas } = await indexRanks(opts.out, fp);
  const indexId = createHash('sha256').update(JSON.stringify(metas.map((m) => [m.worldSize, m.rank, m.pairs, m.seconds]))).digest('hex').slice(0, 16);
  const summaryFile = join(opts.out, 'summary.json');
  const done = await readJson<ClusterMeta>(summaryFile);
  if (done && done.fingerprint === fp && done.lists === indexId && !opts.force && LIST_TABLES.every((t) => existsSync(join(opts.out, t, 'part-0.parquet')))) {
    log('dedup cluster: done already');
    return done;
  }
  const { db, spill } = await openDb(opts.out, opts.threads);
  const tmp = join(opts.out, `.cluster.tmp-${process.pid}`);
  try {
    for (const t of INDEX_TABLES) {
      await db.run(`CREATE VIEW i_${t} AS SELECT * FROM read_parquet([${dirs.map((d) => sqlString(join(d, `${t}.parquet`))).join(', ')}])`);
    }
    const nodesAll = metas.reduce((s, m) => s + m.nodes, 0);
    const nodesInDocs = metas.reduce((s, m) => s + m.nodesInDocs, 0);
    log(`dedup: ${nodesAll} documents from ${opts.dirs.length} shards; clustering the pairs of ${metas.length} index tasks`);

    const { edgeCounts, rounds } = await clusterDocuments(db);
    await boilerplateParagraphs(db, c);
    await logoImages(db, c);

    // ---- the lists, sorted: byte-identical whatever the shard order or the number of tasks ----
    await rm(tmp, { recursive: true, force: true });
    const write = async (table: string, sql: string) => {
      await mkdir(join(tmp, table), { recursive: true });
      await db.run(`COPY (${sql}) TO ${sqlString(join(tmp, table, 'part-0.parquet'))} (FORMAT parquet, COMPRESSION zstd)`);
    };
    // The removal list names the shard(s) holding each doc, so one shard can be filtered alone.
    await write('removals', `SELECT r.doc_id, d.shard, r.reason, r.kept_doc_id, r.cluster_size FROM removed r
      JOIN doc_shards d USING (doc_id) ORDER BY r.doc_id, d.shard`);
    await write('boilerplate', 'SELECT * FROM boilerplate ORDER BY domain, para_md5');
    await write('image_removals', 'SELECT * FROM image_removals ORDER BY image_id');
    await write('image_clusters', `SELECT * FROM image_cluster WHERE cluster IN
      (SELECT cluster FROM image_cluster GROUP BY cluster HAVING count(*) > 1) ORDER BY image_id`);

    const removalsInDocs = await count(db, 'SELECT DISTINCT doc_id FROM removed WHERE in_docs');
    const summary: ClusterMeta = {
      shards: shardNames(opts.dirs),
      config: c,
      nodes: nodesAll,
      edges: { url: edgeCounts.url ?? 0, near: edgeCounts.near ?? 0 },
      components: await count(db, 'SELECT * FROM keepers'),
      componentIterations: rounds,
      removals: Object.fromEntries(
        (await db.all(`SELECT reason, count(*)::BIGINT AS n FROM removed GROUP BY reason ORDER BY reason`)).map((r) => [String(r.reason), Number(r.n)]),
      ),
      removalsInDocs,
      boilerplateParagraphs: await count(db, 'SELECT * FROM boilerplate'),
      logoImages: await count(db, 'SELECT * FROM image_removals'),
      imagesClustered: await count(db, 'SELECT * FROM image_cluster'),
      keptDocs: nodesInDocs - removalsInDocs,
      seconds: (Date.now() - started) / 1000,
      fingerprint: fp,
      lists: indexId,
    };
    // Into place, summary.json last: it is the marker that the lists are complete. Filtered docs
    // made from earlier lists are stale: gone, so apply redoes them.
    await rm(summaryFile, { force: true });
    for (const d of ['docs', '_apply']) await rm(join(opts.out, d), { recursive: true, force: true });
    for (const t of LIST_TABLES) {
      await rm(join(opts.out, t), { recursive: true, force: true });
      await publishPath(join(tmp, t), join(opts.out, t));
    }
    await writeFileAtomically(summaryFile, JSON.stringify(summary, null, 2) + '\n');
    return summary;
  } finally {
    db.close();
    await rm(tmp, { recursive: true, force: true });
    await rm(spill, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// apply

export interface ApplyShard {
  dir: string;
  name: string;
  /** Where its filtered docs go: out/docs/shard=<name>/part-0.parquet. */
  file: string;
  marker: string;
}

/** The shards task `rank` rewrites: every worldSize-th in name order (so any shard order gives the same split). */
export function applyShare(opts: DedupShards & Share): ApplyShard[] {
  check(opts);
  const names = shardNames(opts.dirs);
  return opts.dirs
    .map((dir, i) => ({ dir, name: names[i]! }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .filter((_, j) => j % opts.worldSize === opts.rank)
    .map((s) => ({ ...s, file: join(opts.out, 'docs', `shard=${s.name}`, 'part-0.parquet'), marker: join(opts.out, '_apply', `${s.name}.json`) }));
}

/** The lists cluster wrote for these shards; an error saying to run cluster when they are missing. */
async function clusterLists(opts: DedupShards): Promise<string> {
  const s = await readJson<ClusterMeta>(join(opts.out, 'summary.json'));
  if (!s || s.fingerprint !== fingerprint(opts)) {
    throw new GlobalDedupError(`no lists for these shards and parameters in ${opts.out}: run corpus dedup … --phase cluster first`);
  }
  return s.lists;
}

/** Marker of an applied shard: the lists it was filtered by, its rows, and what `post` added. */
export interface AppliedShard {
  lists: string;
  shard: string;
  rows: number;
  [k: string]: unknown;
}

export interface ApplyOptions extends DedupShards, Share {
  force?: boolean;
  /** Work on a shard's filtered docs file (e.g. retokenize it in place) before it is renamed into place. */
  post?: (file: string, shard: ApplyShard) => Promise<Record<string, unknown>>;
}

/**
 * Phase 3, task `rank` of `worldSize`: its shards (applyShare) with the lists applied, each written
 * under a temporary name, passed to `post`, renamed into place, then marked done. A shard already
 * done with the same lists is skipped (unless `force`). Returns the markers of its shards.
 */
export async function applyPhase(opts: ApplyOptions): Promise<AppliedShard[]> {
  const log = opts.log ?? (() => {});
  const lists = await clusterLists(opts);
  const out: AppliedShard[] = [];
  for (const s of applyShare(opts)) {
    const done = await readJson<AppliedShard>(s.marker);
    if (done && done.lists === lists && !opts.force && existsSync(s.file)) {
      out.push(done);
      continue;
    }
    await rm(s.marker, { force: true });
    const tmp = `${s.file}.tmp-${process.pid}`;
    try {
      const rows = await applyShardDocs(opts, s, tmp);
      if (rows === null) continue;
      const extra = opts.post ? await opts.post(tmp, s) : {};
      await publishPath(tmp, s.file);
      const marker: AppliedShard = { lists, shard: s.name, rows, ...extra };
      await mkdir(join(s.marker, '..'), { recursive: true });
      await writeFileAtomically(s.marker, JSON.stringify(marker, null, 2) + '\n');
      log(`dedup apply ${opts.rank}/${opts.worldSize}: shard ${s.name}: ${rows} docs`);
      out.push(marker);
    } finally {
      await rm(tmp, { force: true });
    }
  }
  return out;
}

/** Phase 3 for one shard: its docs with the lists applied, written to `file`; null when it has no docs. */
async function applyShardDocs(opts: DedupShards, s: ApplyShard, file: string): Promise<number | null> {
  const docs = await parquetGlob(s.dir, 'docs');
  if (!docs) return null;
  const db = await Db.open({ threads: opts.threads ?? 2 });
  try {
    const list = (t: string) => `read_parquet(${sqlString(join(opts.out, t, 'part-0.parquet'))})`;
    await db.run(`CREATE VIEW docs AS SELECT *, ${sqlString(s.name)} AS shard FROM read_parquet(${sqlString(docs)}, union_by_name = true)`);
    await db.run(`CREATE VIEW removals AS SELECT doc_id FROM ${list('removals')}`);
    for (const t of ['boilerplate', 'image_removals', 'image_clusters']) await db.run(`CREATE VIEW ${t} AS SELECT * FROM ${list(t)}`);
    await mkdir(join(file, '..'), { recursive: true });
    await db.run(`COPY (${filteredDocsSql('docs', 'removals', 'boilerplate', 'image_removals', 'image_clusters')} ORDER BY doc_id)
      TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`);
    return await count(db, `SELECT * FROM read_parquet(${sqlString(file)})`);
  } finally {
    db.close();
  }
}

/**
 * All three phases in one process, one task each: `corpus dedup` without --phase. The lists, and
 * with `apply` the filtered docs of every shard. Recomputes everything; leaves no phase outputs.
 */
export async function globalDedup(opts: GlobalDedupOptions & { post?: ApplyOptions['post'] }): Promise<GlobalDedupSummary & { applied?: AppliedShard[] }> {
  const started = Date.now();
  checkOut(opts);
  for (const d of ['_index', '_apply', 'docs']) await rm(join(opts.out, d), { recursive: true, force: true });
  await indexPhase({ ...opts, rank: 0, worldSize: 1, force: true });
  const summary: GlobalDedupSummary & { applied?: AppliedShard[] } = await clusterPhase({ ...opts, force: true });
  await rm(join(opts.out, '_index'), { recursive: true, force: true });
  if (opts.apply) {
    summary.applied = await applyPhase({ ...opts, rank: 0, worldSize: 1, force: true });
    summary.keptDocs = summary.applied.reduce((n, a) => n + a.rows, 0);
    await rm(join(opts.out, '_apply'), { recursive: true, force: true });
  }
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

/**
 * SELECT over a docs relation with the dedup lists applied: removed docs gone; boilerplate
 * paragraphs, logo images and repeated images of one pHash cluster (first kept) cut from segments;
 * num_* recomputed. Token and position columns of later stages are not touched here: `corpus dedup
 * --apply` reruns those stages on the cut documents afterwards (pipeline/retokenize.ts).
 */
export function filteredDocsSql(docs: string, removals: string, boilerplate: string, imageRemovals: string, imageClusters: string): string {
  return `WITH seg AS (
      SELECT doc_id, domain, i, s, CASE WHEN s.kind = 'text' THEN md5(s.text) END AS h,
             CASE WHEN s.kind = 'image' THEN s.image_id END AS img
      FROM (SELECT doc_id, domain, unnest(range(1, len(segments) + 1)) AS i, unnest(segments) AS s FROM ${docs}
            WHERE doc_id NOT IN (SELECT doc_id FROM ${removals}))),
    tagged AS (
      SELECT seg.doc_id, seg.i, seg.s, b.para_md5 IS NOT NULL AS is_boilerplate, lr.image_id IS NOT NULL AS is_logo,
             CASE WHEN seg.img IS NOT NULL
                  THEN row_number() OVER (PARTITION BY seg.doc_id, coalesce(ic.cluster, seg.img) ORDER BY seg.i) END AS occurrence
      FROM seg
      LEFT JOIN ${boilerplate} b ON b.domain = seg.domain AND b.para_md5 = seg.h
      LEFT JOIN (SELECT DISTINCT image_id FROM ${imageRemovals}) lr ON lr.image_id = seg.img
      LEFT JOIN ${imageClusters} ic ON ic.image_id = seg.img),
    kept AS (
      SELECT doc_id, list(s ORDER BY i) AS segs FROM tagged
      WHERE NOT is_boilerplate AND NOT is_logo AND coalesce(occurrence, 1) = 1 GROUP BY doc_id)
    SELECT d.* EXCLUDE (shard) REPLACE (
        coalesce(k.segs, []) AS segments,
        len(coalesce(k.segs, []))::INTEGER AS num_segments,
        len(list_filter(coalesce(k.segs, []), x -> x.kind = 'image'))::INTEGER AS num_images,
        coalesce(list_sum([coalesce(len(x.text), 0) for x in coalesce(k.segs, []) if x.kind = 'text']), 0)::INTEGER AS num_chars)
    FROM ${docs} d LEFT JOIN kept k USING (doc_id)
    WHERE d.doc_id NOT IN (SELECT doc_id FROM ${removals})`;
}

/** The dedup section used by the shards (from their manifests), checked to be comparable. */
export async function shardDedupConfig(dirs: string[]): Promise<DedupConfig | null> {
  let found: DedupConfig | null = null;
  for (const d of dirs) {
    let m: { config?: { dedup?: DedupConfig } };
    try {
      m = JSON.parse(await readFile(join(d, 'manifest.json'), 'utf8'));
    } catch {
      continue;
    }
    const dc = m.config?.dedup;
    if (!dc) continue;
    if (!found) found = dc;
    else {
      const a = found.nearDup;
      const b = dc.nearDup;
      if (a.ngram !== b.ngram || a.seed !== b.seed || a.bands !== b.bands || a.rowsPerBand !== b.rowsPerBand) {
        throw new GlobalDedupError(
          `${d}: MinHash parameters differ from the other shards (ngram/seed/bands/rows ${b.ngram}/${b.seed}/${b.bands}/${b.rowsPerBand} vs ${a.ngram}/${a.seed}/${a.bands}/${a.rowsPerBand}); signatures are not comparable`,
        );
      }
    }
  }
  return found;
}
