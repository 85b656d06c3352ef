/**
 * `corpus pack <out-dir>`: Dataset Decomposition of the tokenized documents of a run into
 * power-of-two buckets, written as `packed/len=N/part-NNNNN.parquet` + `_meta/packed.json` (the manifest).
 *
 * Streams `docs` in shard order (deterministic for the same shards), decomposes each document
 * with the MM-DD rules (stages/pack), and writes each bucket's rows through DuckDB. Everything goes to a
 * hidden temporary directory first and replaces `packed/` in one rename, so a crash never leaves a
 * half-written pack and a rerun does not duplicate rows.
 */
import { mkdir, rm } from 'node:fs/promises';
import { publishPath } from '../../stages/lib/atomic.ts';
import { dirname, join } from 'node:path';
import { parse, UsageError } from '../args.ts';
import { loadConfig, type Config } from '../config.ts';
import { openCorpus } from '../query.ts';
import { writeMeta } from '../meta.ts';
import { writeDatasetCard } from '../card.ts';
import { Db, ParquetTableWriter, type Row } from '../../stages/lib/duckdb.ts';
import { segmentImageSpans } from '../../stages/lib/v2pe.ts';
import {
  checkDecomposeOptions,
  packDocument,
  packedColumns,
  type DocImage,
  type PackConfig,
  type PackDropReason,
  type PackedRow,
} from '../../stages/pack/index.ts';

export interface BucketStats {
  bucket: number;
  log2: number;
  sequences: number;
  tokens: number;
  /** sequences · bucket: tokens if every row were padded to the bucket length (exact-DD batching). */
  padded_tokens: number;
  images: number;
  tiles: number;
  files: string[];
}

export interface PackManifest {
  tool: 'corpus pack';
  created_at: string;
  options: PackConfig;
  /** Marker ids found at the image spans of the data (<img>, <IMG_CONTEXT>, </img>). */
  markers: { img_start: number; img_context: number | null; img_end: number } | null;
  docs: { read: number; packed: number; no_tokens: number; bad_spans: number; no_chunk: number };
  /** Tokens in docs, in packed rows, and not packed by reason (tail, image_no_fit, no_supervised, bad_spans): input = packed + Σ dropped. */
  tokens: { input: number; packed: number; dropped: Partial<Record<PackDropReason | 'bad_spans', number>>; share_packed: number };
  buckets: BucketStats[];
  seconds: number;
}

const pad = (n: number) => String(n).padStart(5, '0');

/** One bucket's open Parquet file: rows accumulate in DuckDB until tokensPerFile, then COPY to disk. */
class BucketWriter {
  readonly stats: BucketStats;
  private fileTokens = 0;
  private constructor(
    private readonly buf: ParquetTableWriter,
    private readonly dir: string,
    private readonly tokensPerFile: number,
    bucket: number,
  ) {
    this.stats = { bucket, log2: Math.log2(bucket), sequences: 0, tokens: 0, padded_tokens: 0, images: 0, tiles: 0, files: [] };
  }

  static async create(db: Db, root: string, bucket: number, tokensPerFile: number): Promise<BucketWriter> {
    const dir = join(root, `len=${bucket}`);
    await mkdir(dir, { recursive: true });
    return new BucketWriter(await ParquetTableWriter.create(db, packedColumns), dir, tokensPerFile, bucket);
  }

  async add(r: PackedRow): Promise<void> {
    const tiles = r.image_spans.reduce((n, s) => n + s.tiles, 0);
    this.buf.appendObject({
      bucket: r.bucket,
      seq_index: this.stats.sequences,
      doc_id: r.doc_id,
      chunk_index: r.chunk_index,
      doc_offset: r.doc_offset,
      num_tokens: r.input_ids.length,
      num_tiles: tiles,
      input_ids: Array.from(r.input_ids),
      labels: Array.from(r.labels),
      position_ids: Array.from(r.position_ids),
      image_spans: r.image_spans,
    });
    this.stats.sequences++;
    this.stats.tokens += r.input_ids.length;
    this.stats.padded_tokens += r.bucket;
    this.stats.images += r.image_spans.length;
    this.stats.tiles += tiles;
    this.fileTokens += r.input_ids.length;
    if (this.fileTokens >= this.tokensPerFile) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buf.size === 0) return;
    const name = `part-${pad(this.stats.files.length)}.parquet`;
    await this.buf.writeTo(join(this.dir, name));
    this.stats.files.push(`len=${this.stats.bucket}/${name}`);
    this.fileTokens = 0;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.buf.dispose();
  }
}

interface SegmentLite {
  kind: string;
  tokens: number | null;
  tiles: number | null;
  delta: number | null;
  image_id: string | null;
}

/** Pack the docs of `outDir` into `dest` (default `outDir/packed`). */
export async function packCorpus(
  outDir: string,
  opts: PackConfig,
  log: (msg: string) => void = () => {},
  dest: string = join(outDir, 'packed'),
): Promise<PackManifest> {
  checkDecomposeOptions(opts);
  const started = performance.now();
  const reader = await openCorpus(outDir);
  const writerDb = await Db.open();
  const tmp = join(dirname(dest), `.packed-tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const writers = new Map<number, BucketWriter>();
  const m: PackManifest = {
    tool: 'corpus pack',
    created_at: new Date().toISOString(),
    options: opts,
    markers: null,
    docs: { read: 0, packed: 0, no_tokens: 0, bad_spans: 0, no_chunk: 0 },
    tokens: { input: 0, packed: 0, dropped: {}, share_packed: 0 },
    buckets: [],
    seconds: 0,
  };
  try {
    const cols = await reader.all(`SELECT column_name FROM (DESCRIBE docs)`);
    if (!cols.some((c) => c.column_name === 'input_ids')) {
      throw new UsageError(`${outDir}/docs has no input_ids: run the pipeline with the tokenize and positions stages first`);
    }
    // No ORDER BY: sorting every token list would cost more than the packing. DuckDB keeps the scan in
    // file order (sorted glob, preserve_insertion_order), so the same docs shards give the same rows.
    const sql = `SELECT doc_id, input_ids,
        list_transform(segments, lambda s: {'kind': s.kind, 'tokens': s.tokens, 'tiles': s.tiles, 'delta': s.delta, 'image_id': s.image_id}) AS segments
      FROM docs`;
    for await (const batch of reader.batches(sql)) {
      for (const row of batch) await packRow(row);
    }
    for (const w of writers.values()) await w.close();
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    reader.close();
    writerDb.close();
  }

  m.buckets = [...writers.values()].map((w) => w.stats).sort((a, b) => a.bucket - b.bucket);
  m.tokens.share_packed = m.tokens.input > 0 ? m.tokens.packed / m.tokens.input : 0;
  m.seconds = (performance.now() - started) / 1000;
  await publishPath(tmp, dest);
  // Beside the tables, not inside packed/: that folder holds only Parquet.
  const out = dirname(dest);
  await writeMeta(out, 'packed', m);
  await writeDatasetCard(out);
  log(`packed ${m.docs.packed}/${m.docs.read} docs, ${m.tokens.packed}/${m.tokens.input} tokens (${(100 * m.tokens.share_packed).toFixed(2)}%) in ${m.seconds.toFixed(1)} s`);
  return m;

  async function packRow(row: Row): Promise<void> {
    m.docs.read++;
    const ids = row.input_ids as number[] | null;
    if (!ids || ids.length === 0) {
      m.docs.no_tokens++;
      return;
    }
    m.tokens.input += ids.length;
    const segments = (row.segments as SegmentLite[] | null) ?? [];
    const { spans, covered } = segmentImageSpans(segments);
    // The sequence is the segments plus at most one end-of-document token; the markers must sit at each span's ends.
    let ok = covered === ids.length || covered + 1 === ids.length;
    const images: DocImage[] = [];
    for (const s of spans) {
      const seg = segments[s.segment]!;
      const start = ids[s.offset];
      const end = ids[s.offset + s.length - 1];
      if (!m.markers) m.markers = { img_start: start!, img_context: s.length > 2 ? ids[s.offset + 1]! : null, img_end: end! };
      if (start !== m.markers.img_start || end !== m.markers.img_end) ok = false;
      images.push({ offset: s.offset, length: s.length, imageId: seg.image_id, tiles: seg.tiles ?? 0, delta: seg.delta ?? 1 });
    }
    if (!ok) {
      m.docs.bad_spans++;
      m.tokens.dropped.bad_spans = (m.tokens.dropped.bad_spans ?? 0) + ids.length;
      return;
    }
    const { rows, droppedTokens } = packDocument({ docId: String(row.doc_id), inputIds: ids, images }, opts);
    for (const [k, v] of Object.entries(droppedTokens) as [PackDropReason, number][]) {
      m.tokens.dropped[k] = (m.tokens.dropped[k] ?? 0) + v;
    }
    if (rows.length === 0) m.docs.no_chunk++;
    else m.docs.packed++;
    for (const r of rows) {
      let w = writers.get(r.bucket);
      if (!w) writers.set(r.bucket, (w = await BucketWriter.create(writerDb, tmp, r.bucket, opts.tokensPerFile)));
      await w.add(r);
      m.tokens.packed += r.input_ids.length;
    }
  }
}

function intFlag(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} takes a whole number ≥ 0, got ${v}`);
  return n;
}

export async function packCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    'min-log2': { type: 'string' },
    'max-log2': { type: 'string' },
    'min-follow': { type: 'string' },
    config: { type: 'string' },
  });
  if (positionals.length !== 1) {
    throw new UsageError('usage: corpus pack <out-dir> [--min-log2 8] [--max-log2 13] [--min-follow 1] [--config f.json]');
  }
  const cfg = loadConfig(values.config).pack;
  const opts: PackConfig = {
    ...cfg,
    minLog2: intFlag(values['min-log2'], 'min-log2', cfg.minLog2),
    maxLog2: intFlag(values['max-log2'], 'max-log2', cfg.maxLog2),
    minFollow: intFlag(values['min-follow'], 'min-follow', cfg.minFollow),
  };
  try {
    checkDecomposeOptions(opts);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const m = await packCorpus(positionals[0]!, opts);
  process.stdout.write(formatPackSummary(m));
  return 0;
}

/** Human summary: share of tokens packed and the bucket histogram. */
export function formatPackSummary(m: PackManifest): string {
  const lines = [
    `docs: ${m.docs.read} read, ${m.docs.packed} packed, ${m.docs.no_chunk} too short, ${m.docs.no_tokens} without tokens, ${m.docs.bad_spans} with inconsistent image spans`,
    `tokens: ${m.tokens.input} in, ${m.tokens.packed} packed (${(100 * m.tokens.share_packed).toFixed(2)}%); dropped ${JSON.stringify(m.tokens.dropped)}`,
    `markers: ${JSON.stringify(m.markers)}`,
    `bucket    sequences     tokens  fill%  images  tiles`,
  ];
  const maxSeq = Math.max(1, ...m.buckets.map((b) => b.sequences));
  for (const b of m.buckets) {
    const bar = '#'.repeat(Math.round((30 * b.sequences) / maxSeq));
    lines.push(
      `${String(b.bucket).padStart(6)} ${String(b.sequences).padStart(12)} ${String(b.tokens).padStart(10)} ${((100 * b.tokens) / Math.max(1, b.padded_tokens)).toFixed(1).padStart(6)} ${String(b.images).padStart(7)} ${String(b.tiles).padStart(6)}  ${bar}`,
    );
  }
  lines.push(`${m.seconds.toFixed(1)} s, ${(m.tokens.input / Math.max(m.seconds, 1e-9) / 1e6).toFixed(2)} M tokens/s`);
  return lines.join('\n') + '\n';
}

/** `corpus run --pack`: pack with the run's config once the run is complete. */
export async function packAfterRun(outDir: string, config: Config): Promise<void> {
  const m = await packCorpus(outDir, config.pack);
  process.stderr.write(formatPackSummary(m));
}
