/**
 * The global dedup pass (`corpus dedup <out-dir…>`): DuckDB SQL over the signals the in-run stage
 * wrote in every shard (docs and rejects), so shards processed on different machines are
 * deduplicated as if they had been one run. Set-based SQL only: the result does not depend on the
 * order of the shards or of the rows.
 *
 *   nodes       every document that reached the dedup stage (docs + rejects carrying dedup signals)
 *   edges       same url_norm; same MinHash signature; a shared LSH band verified by >= minMatches
 *               agreeing positions (the exact test the in-run stage uses)
 *   components  label propagation with pointer jumping, in SQL
 *   keeper      per component the latest fetch, then the smallest doc_id; the others are removed
 *   paragraphs  over the kept documents: md5(text) in more than maxDocsPerDomain docs of a domain
 *   images      pHash clusters (Hamming <= phashMaxDistance, pigeonhole blocks + verification);
 *               a cluster used by more than logoMaxDocs kept documents is a logo
 *
 * Writes, under the output directory (each a table `corpus query DIR` sees):
 *   removals/part-0.parquet        doc_id, shard, reason (dup_url | near_dup | boilerplate_only), kept_doc_id, cluster_size
 *   boilerplate/part-0.parquet     domain, para_md5, docs
 *   image_removals/part-0.parquet  image_id, cluster, docs (logos)
 *   image_clusters/part-0.parquet  image_id, cluster (images whose cluster has another member)
 *   summary.json
 * and with `apply`, docs/shard=<name>/part-0.parquet: every shard's docs with the removals applied.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Db, sqlString } from '../lib/duckdb.ts';
import type { DedupConfig } from './index.ts';
import { minMatches } from './minhash.ts';

export interface GlobalDedupOptions {
  /** Output directories of `corpus run` (shards). */
  dirs: string[];
  /** Where the removal lists go. */
  out: string;
  config: DedupConfig;
  /** Also write the filtered docs of every shard under out/docs/shard=<name>/. */
  apply?: boolean;
  threads?: number;
  log?: (m: string) => void;
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

export class GlobalDedupError extends Error {
  override name = 'GlobalDedupError';
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
function shardNames(dirs: string[]): string[] {
  const abs = dirs.map((d) => resolve(d));
  return abs.map((d) => {
    const b = basename(d);
    return abs.filter((x) => basename(x) === b).length > 1 ? d.replace(/[\\/]+/g, '_').replace(/^_/, '') : b;
  });
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

export async function globalDedup(opts: GlobalDedupOptions): Promise<GlobalDedupSummary> {
  const started = Date.now();
  const log = opts.log ?? (() => {});
  const c = opts.config;
  const k = c.nearDup.bands * c.nearDup.rowsPerBand;
  const need = minMatches(c.nearDup.threshold, k);
  const names = shardNames(opts.dirs);
  const outAbs = resolve(opts.out);
  if (opts.dirs.some((d) => resolve(d) === outAbs)) throw new GlobalDedupError(`--out ${opts.out} is one of the shards; give a directory of its own`);
  const db = await Db.open({ threads: opts.threads ?? 2 });
  try {
    // Big joins may spill to disk instead of failing; row order is never relied upon.
    await mkdir(join(opts.out, '.tmp'), { recursive: true });
    await db.run(`SET temp_directory = ${sqlString(join(outAbs, '.tmp'))}; SET preserve_insertion_order = false`);
    // ---- rows of every shard that reached the dedup stage ----
    const parts: string[] = [];
    const docParts: string[] = [];
    const imageGlobs: string[] = [];
    for (let i = 0; i < opts.dirs.length; i++) {
      const dir = opts.dirs[i]!;
      const docs = await parquetGlob(dir, 'docs');
      const rejects = await parquetGlob(dir, 'rejects');
      const images = await parquetGlob(dir, 'images');
      if (!docs && !rejects) throw new GlobalDedupError(`no docs or rejects Parquet under ${dir} (give output directories of corpus run)`);
      const shard = sqlString(names[i]!);
      if (docs) {
        await db.run(`CREATE VIEW docs_${i} AS SELECT *, ${shard} AS shard FROM read_parquet(${sqlString(docs)}, union_by_name = true)`);
        docParts.push(`docs_${i}`);
      }
      for (const [glob, inDocs] of [[docs, true], [rejects, false]] as const) {
        if (!glob) continue;
        const cols = new Set((await db.all(`DESCRIBE SELECT * FROM read_parquet(${sqlString(glob)}, union_by_name = true)`)).map((r) => String(r.column_name)));
        for (const col of ['url_norm', 'minhash', 'fetched_ms']) {
          if (!cols.has(col)) throw new GlobalDedupError(`${dir}: column ${col} missing; was it run with the dedup stage?`);
        }
        const opt = (col: string, type: string) => (cols.has(col) ? col : `NULL::${type} AS ${col}`);
        parts.push(`SELECT doc_id, domain, url_norm, fetched_ms, minhash, segments, ${opt('boilerplate_md5', 'VARCHAR[]')},
          ${opt('removed_image_ids', 'VARCHAR[]')}, ${inDocs} AS in_docs, ${shard} AS shard
          FROM read_parquet(${sqlString(glob)}, union_by_name = true)
          ${inDocs ? '' : 'WHERE url_norm IS NOT NULL OR minhash IS NOT NULL'}`);
      }
      if (images) imageGlobs.push(images);
    }
    // A view: segments are read from Parquet (projected) only by the steps that need them.
    await db.run(`CREATE VIEW reached AS ${parts.join(' UNION ALL ')}`);

    // One node per doc_id (a doc may sit in two shards when inputs overlapped); values are taken
    // with order-free aggregates so the result does not depend on which shard came first.
    await db.run(`CREATE TABLE nodes AS
      SELECT row_number() OVER (ORDER BY doc_id)::INTEGER AS nid,
             row_number() OVER (ORDER BY fetched_ms DESC NULLS LAST, doc_id)::INTEGER AS rnk, *
      FROM (SELECT doc_id, min(domain) AS domain, min(url_norm) AS url_norm, max(fetched_ms) AS fetched_ms,
                   min(minhash) AS minhash, bool_or(in_docs) AS in_docs FROM reached GROUP BY doc_id)`);
    const nodes = await count(db, 'SELECT * FROM nodes');
    log(`dedup: ${nodes} documents from ${opts.dirs.length} shards`);

    // ---- edges ----
    await db.run('CREATE TABLE edges (a INTEGER, b INTEGER, kind VARCHAR)');
    if (c.url.enabled) {
      await db.run(`INSERT INTO edges SELECT nid, rep, 'url' FROM
        (SELECT nid, min(nid) OVER (PARTITION BY url_norm) AS rep FROM nodes WHERE url_norm IS NOT NULL) WHERE nid <> rep`);
    }
    if (c.nearDup.enabled) {
      const r = c.nearDup.rowsPerBand;
      await db.run(`CREATE TABLE sigs AS SELECT min(nid) AS rep, minhash FROM nodes WHERE len(minhash) = ${k} GROUP BY minhash`);
      await db.run(`INSERT INTO edges SELECT n.nid, s.rep, 'near' FROM nodes n JOIN sigs s ON n.minhash = s.minhash WHERE n.nid <> s.rep`);
      await db.run(`CREATE TABLE bands AS SELECT rep, b, minhash[b * ${r} + 1 : (b + 1) * ${r}] AS key FROM sigs, range(${c.nearDup.bands}) t(b)`);
      await db.run(`CREATE TABLE cand AS SELECT DISTINCT x.rep AS a, y.rep AS b FROM bands x JOIN bands y ON x.b = y.b AND x.key = y.key AND x.rep < y.rep`);
      await db.run(`INSERT INTO edges SELECT cand.a, cand.b, 'near' FROM cand JOIN sigs sa ON sa.rep = cand.a JOIN sigs sb ON sb.rep = cand.b
        WHERE len(list_filter(range(1, ${k + 1}), i -> sa.minhash[i] = sb.minhash[i])) >= ${need}`);
      await db.run('DROP TABLE bands; DROP TABLE cand');
    }
    const edgeCounts = Object.fromEntries(
      (await db.all(`SELECT kind, count(*)::BIGINT AS n FROM edges GROUP BY kind`)).map((r) => [String(r.kind), Number(r.n)]),
    );
    const rounds = await components(db, 'edges', 'comp');

    // ---- keepers and removals ----
    await db.run(`CREATE TABLE keepers AS
      SELECT label, arg_min(nid, rnk) AS keeper, count(*)::INTEGER AS size FROM comp JOIN nodes USING (nid) GROUP BY label`);
    await db.run(`CREATE TABLE removed AS
      SELECT n.nid, n.doc_id, n.in_docs, kn.doc_id AS kept_doc_id, k.size AS cluster_size,
             CASE WHEN n.url_norm = kn.url_norm THEN 'dup_url' ELSE 'near_dup' END AS reason
      FROM comp JOIN keepers k USING (label) JOIN nodes n ON n.nid = comp.nid JOIN nodes kn ON kn.nid = k.keeper
      WHERE comp.nid <> k.keeper`);
    await db.run(`CREATE TABLE kept AS SELECT doc_id FROM nodes WHERE nid NOT IN (SELECT nid FROM removed)`);

    // ---- boilerplate paragraphs, counted over the kept documents ----
    await db.run(`CREATE TABLE boilerplate (domain VARCHAR, para_md5 VARCHAR, docs BIGINT)`);
    if (c.paragraphs.enabled) {
      // Paragraphs of each kept doc: those it still has (src 'seg') and those removed in-run.
      await db.run(`CREATE TABLE paras AS SELECT DISTINCT domain, doc_id, h, src FROM (
          SELECT domain, doc_id, md5(s.text) AS h, 'seg' AS src FROM (
            SELECT domain, doc_id, unnest(segments) AS s FROM reached WHERE doc_id IN (SELECT doc_id FROM kept))
          WHERE s.kind = 'text' AND coalesce(s.text, '') <> ''
          UNION ALL
          SELECT domain, doc_id, unnest(boilerplate_md5), 'removed' FROM reached WHERE doc_id IN (SELECT doc_id FROM kept))`);
      await db.run(`INSERT INTO boilerplate SELECT domain, h, count(DISTINCT doc_id) FROM paras GROUP BY domain, h
        HAVING count(DISTINCT doc_id) > ${c.paragraphs.maxDocsPerDomain}`);
      // Kept docs with no text left once boilerplate is gone (the in-run stage drops these too).
      await db.run(`INSERT INTO removed SELECT n.nid, n.doc_id, n.in_docs, NULL, 1, 'boilerplate_only' FROM nodes n
        WHERE n.doc_id IN (
          SELECT doc_id FROM paras
          EXCEPT
          SELECT p.doc_id FROM paras p LEFT JOIN boilerplate b ON b.domain = p.domain AND b.para_md5 = p.h
          WHERE p.src = 'seg' AND b.para_md5 IS NULL)`);
    }

    // ---- images: pHash clusters and logos, counted over the kept documents ----
    await db.run(`CREATE TABLE doc_imgs AS SELECT DISTINCT doc_id, image_id FROM (
        SELECT doc_id, s.image_id AS image_id FROM (SELECT doc_id, unnest(segments) AS s FROM reached) WHERE s.kind = 'image'
        UNION ALL SELECT doc_id, unnest(removed_image_ids) FROM reached)
      WHERE image_id IS NOT NULL AND doc_id IN (SELECT doc_id FROM kept)`);
    await db.run(`CREATE TABLE image_cluster (image_id VARCHAR, cluster VARCHAR)`);
    if (c.images.enabled && imageGlobs.length > 0) {
      const list = `[${imageGlobs.map(sqlString).join(', ')}]`;
      await db.run(`CREATE TABLE pimg AS SELECT row_number() OVER (ORDER BY image_id)::INTEGER AS iid, image_id, ph FROM (
          SELECT image_id, min(('0x' || phash)::UBIGINT) AS ph FROM read_parquet(${list}, union_by_name = true)
          WHERE regexp_full_match(phash, '[0-9a-fA-F]{16}') GROUP BY image_id)`);
      // Identical hashes join directly; near ones through the pigeonhole blocks: two hashes within
      // d bits agree exactly on at least one of d+1 disjoint blocks.
      await db.run(`CREATE TABLE pedges AS SELECT iid AS a, min(iid) OVER (PARTITION BY ph) AS b FROM pimg`);
      await db.run(`DELETE FROM pedges WHERE a = b`);
      await db.run(`CREATE TABLE pdistinct AS SELECT min(iid) AS iid, ph FROM pimg GROUP BY ph`);
      const blocks = phashBlocks(c.images.phashMaxDistance);
      const values = blocks.map((b, i) => `(${i}, ${b.shift}, ${b.mask}::UBIGINT)`).join(', ');
      await db.run(`CREATE TABLE pblocks AS SELECT iid, blk, (ph >> shift) & mask AS v FROM pdistinct, (VALUES ${values}) t(blk, shift, mask)`);
      await db.run(`INSERT INTO pedges SELECT DISTINCT x.iid, y.iid FROM pblocks x JOIN pblocks y ON x.blk = y.blk AND x.v = y.v AND x.iid < y.iid
        JOIN pdistinct px ON px.iid = x.iid JOIN pdistinct py ON py.iid = y.iid
        WHERE bit_count(xor(px.ph, py.ph)) <= ${c.images.phashMaxDistance}`);
      await components(db, 'pedges', 'pcomp');
      await db.run(`INSERT INTO image_cluster SELECT p.image_id, min(q.image_id) OVER (PARTITION BY pc.label) FROM pcomp pc
        JOIN pimg p ON p.iid = pc.nid JOIN pimg q ON q.iid = pc.label`);
    }
    await db.run(`CREATE TABLE image_removals (image_id VARCHAR, cluster VARCHAR, docs BIGINT)`);
    if (c.images.enabled) {
      await db.run(`CREATE TABLE img_use AS SELECT d.doc_id, d.image_id, coalesce(ic.cluster, d.image_id) AS cluster
        FROM doc_imgs d LEFT JOIN image_cluster ic USING (image_id)`);
      await db.run(`INSERT INTO image_removals SELECT DISTINCT u.image_id, u.cluster, l.docs FROM img_use u JOIN
        (SELECT cluster, count(DISTINCT doc_id) AS docs FROM img_use GROUP BY cluster HAVING count(DISTINCT doc_id) > ${c.images.logoMaxDocs}) l
        USING (cluster)`);
    }

    // ---- write the lists (sorted: byte-identical whatever the shard order) ----
    // Replace our own outputs only (never anything else a user keeps in --out).
    for (const name of ['removals', 'boilerplate', 'image_removals', 'image_clusters', 'docs', 'summary.json']) {
      await rm(join(opts.out, name), { recursive: true, force: true });
    }
    const write = async (table: string, sql: string) => {
      await mkdir(join(opts.out, table), { recursive: true });
      await db.run(`COPY (${sql}) TO ${sqlString(join(opts.out, table, 'part-0.parquet'))} (FORMAT parquet, COMPRESSION zstd)`);
    };
    // The removal list names the shard(s) holding each doc, so one shard can be filtered alone.
    await write('removals', `SELECT r.doc_id, d.shard, r.reason, r.kept_doc_id, r.cluster_size FROM removed r
      JOIN (SELECT DISTINCT doc_id, shard FROM reached WHERE in_docs) d USING (doc_id) ORDER BY r.doc_id, d.shard`);
    await write('boilerplate', 'SELECT * FROM boilerplate ORDER BY domain, para_md5');
    await write('image_removals', 'SELECT * FROM image_removals ORDER BY image_id');
    await write('image_clusters', `SELECT * FROM image_cluster WHERE cluster IN
      (SELECT cluster FROM image_cluster GROUP BY cluster HAVING count(*) > 1) ORDER BY image_id`);

    const removals = Object.fromEntries(
      (await db.all(`SELECT reason, count(*)::BIGINT AS n FROM removed GROUP BY reason ORDER BY reason`)).map((r) => [String(r.reason), Number(r.n)]),
    );
    let keptDocs = await count(db, `SELECT doc_id FROM nodes WHERE in_docs AND nid NOT IN (SELECT nid FROM removed)`);
    if (opts.apply) {
      keptDocs = 0;
      for (let i = 0; i < opts.dirs.length; i++) {
        if (!docParts.includes(`docs_${i}`)) continue;
        const dir = join(opts.out, 'docs', `shard=${names[i]!}`);
        await mkdir(dir, { recursive: true });
        await db.run(`COPY (${filteredDocsSql(`docs_${i}`, 'removed', 'boilerplate', 'image_removals', 'image_cluster')} ORDER BY doc_id)
          TO ${sqlString(join(dir, 'part-0.parquet'))} (FORMAT parquet, COMPRESSION zstd)`);
        keptDocs += await count(db, `SELECT * FROM read_parquet(${sqlString(join(dir, 'part-0.parquet'))})`);
      }
    }
    const summary: GlobalDedupSummary = {
      shards: names,
      config: c,
      nodes,
      edges: { url: edgeCounts.url ?? 0, near: edgeCounts.near ?? 0 },
      components: await count(db, 'SELECT * FROM keepers'),
      componentIterations: rounds,
      removals,
      removalsInDocs: await count(db, 'SELECT DISTINCT doc_id FROM removed WHERE in_docs'),
      boilerplateParagraphs: await count(db, 'SELECT * FROM boilerplate'),
      logoImages: await count(db, 'SELECT * FROM image_removals'),
      imagesClustered: await count(db, 'SELECT * FROM image_cluster'),
      keptDocs,
      seconds: (Date.now() - started) / 1000,
    };
    await writeFile(join(opts.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    return summary;
  } finally {
    db.close();
    await rm(join(opts.out, '.tmp'), { recursive: true, force: true });
  }
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
