/**
 * `corpus export-wds <out-dir> --out DIR [--what docs|packed] [--shard-bytes N]`: WebDataset tar shards
 * (the format Megatron-Energon, NeMo Curator and LLaVA-OneVision training read) with the images inside.
 *
 *   docs:   one sample per document: `<doc_id>.json` = {doc_id, url, lang, title, texts, images} in
 *           OBELICS's parallel-list form (texts[i] or images[i] set, in reading order; images[i] names
 *           the part `<i>.<ext>`), plus `<doc_id>.<i>.<ext>` with each image's stored bytes.
 *   packed: one sample per packed row: `<bucket>_<seq_index>.json` = {doc_id, chunk_index, bucket,
 *           input_ids, labels, position_ids, image_spans (+ part name)}, plus the images of its spans.
 *
 * Energon metadata (`.nv-meta/dataset.yaml` + `sample_loader.py`, `split.yaml`, `.info.yaml`, and one
 * `.tar.idx` of sample byte offsets per shard) is written so Energon opens the folder without
 * `energon prepare`. Each shard is written under a temporary name and renamed when complete; shards
 * of an earlier export that the new one does not have are removed at the end, so a rerun replaces.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { publishPath, writeFileAtomically } from '../../stages/lib/atomic.ts';
import { join } from 'node:path';
import tar from 'tar-stream';
import { parse, UsageError } from '../args.ts';
import { firstImageRows, imageBytesSql, openCorpus } from '../query.ts';
import type { Db, Row } from '../../stages/lib/duckdb.ts';

export interface WdsSummary {
  what: 'docs' | 'packed';
  samples: number;
  images: number;
  shards: string[];
  bytes: number;
  /** Images a sample names that the images table has no bytes for (0 when every image_id resolves). */
  missing_images: number;
}

const EXT: Record<string, string> = { jpeg: 'jpg', png: 'png', webp: 'webp', gif: 'gif', avif: 'avif', tiff: 'tif' };
const extOf = (format: unknown, stored: unknown) => EXT[String(stored && stored !== 'original' ? stored : format)] ?? 'bin';
const block = (n: number) => 512 + Math.ceil(n / 512) * 512; // ustar header + data padded to 512

interface Part {
  name: string;
  data: Buffer;
}

/** One shard being written: a tar-stream pack piped to `<name>.tmp`, with the sample offsets for `.tar.idx`. */
class Shard {
  readonly pack = tar.pack();
  readonly offsets: number[] = [];
  bytes = 0;
  samples = 0;
  private readonly done: Promise<void>;
  constructor(readonly path: string) {
    const file = createWriteStream(`${path}.tmp`);
    this.done = new Promise((res, rej) => {
      file.on('finish', () => res());
      file.on('error', rej);
      this.pack.on('error', rej);
    });
    this.pack.pipe(file);
  }

  async add(parts: Part[]): Promise<void> {
    this.offsets.push(this.bytes);
    for (const p of parts) {
      if (p.name.length >= 100) throw new Error(`tar member name too long: ${p.name}`); // keeps ustar headers (no PAX), so offsets are exact
      await new Promise<void>((res, rej) => this.pack.entry({ name: p.name, size: p.data.length, mtime: new Date(0), mode: 0o644 }, p.data, (e) => (e ? rej(e) : res())));
      this.bytes += block(p.data.length);
    }
    this.samples++;
  }

  async close(): Promise<void> {
    this.pack.finalize();
    await this.done;
    await publishPath(`${this.path}.tmp`, this.path);
    // Energon's index: little-endian uint64 byte offset of every sample, then the end of the last one.
    const idx = Buffer.alloc(8 * (this.offsets.length + 1));
    [...this.offsets, this.bytes].forEach((o, i) => idx.writeBigUInt64LE(BigInt(o), 8 * i));
    await writeFileAtomically(this.path.replace(/\.tar$/, '.tar.idx'), idx);
  }
}

async function imageBytes(db: Db, ids: string[]): Promise<Map<string, { data: Buffer; ext: string }>> {
  const out = new Map<string, { data: Buffer; ext: string }>();
  if (ids.length === 0) return out;
  const rows = firstImageRows(await db.allJS(imageBytesSql(ids, ['format', 'stored_format'])));
  for (const [id, r] of rows) out.set(id, { data: Buffer.from(r.bytes as Uint8Array), ext: extOf(r.format, r.stored_format) });
  return out;
}

const SAMPLE_LOADER = `# Written by corpus export-wds: turns a sample into an InterleavedSample (sequence of texts and images).
import json


def _meta(raw):
    m = raw["json"]
    return json.loads(m) if isinstance(m, (bytes, str)) else m


def sample_loader(raw: dict) -> dict:
    m = _meta(raw)
    if "texts" in m:
        seq = [t if t is not None else raw[i] for t, i in zip(m["texts"], m["images"])]
    else:  # packed: the token arrays are in the json; images in span order
        seq = [raw[s["part"]] for s in m["image_spans"]]
    return dict(__key__=raw["__key__"], sequence=seq)


def part_filter(part: str) -> bool:
    return True
`;

export async function exportWds(
  outDir: string,
  dest: string,
  opts: { what?: 'docs' | 'packed'; shardBytes?: number } = {},
): Promise<WdsSummary> {
  const what = opts.what ?? 'docs';
  const shardBytes = opts.shardBytes ?? 1024 ** 3;
  const reader = await openCorpus(outDir);
  const lookup = await openCorpus(outDir);
  await mkdir(join(dest, '.nv-meta'), { recursive: true });
  const s: WdsSummary = { what, samples: 0, images: 0, shards: [], bytes: 0, missing_images: 0 };
  const counts: Record<string, number> = {};
  let shard: Shard | null = null;
  const closeShard = async () => {
    if (!shard) return;
    await shard.close();
    counts[shard.path.slice(dest.length + 1)] = shard.samples;
    s.bytes += shard.bytes + 1024;
    shard = null;
  };
  const write = async (parts: Part[]) => {
    const size = parts.reduce((n, p) => n + block(p.data.length), 0);
    if (shard && shard.samples > 0 && shard.bytes + size > shardBytes) await closeShard();
    if (!shard) {
      const name = `shard-${String(s.shards.length).padStart(6, '0')}.tar`;
      s.shards.push(name);
      shard = new Shard(join(dest, name));
    }
    await shard.add(parts);
    s.samples++;
  };
  try {
    const sql = what === 'docs'
      ? `SELECT doc_id, url, lang, title, list_transform(segments, lambda x: {'kind': x.kind, 'text': x.text, 'image_id': x.image_id}) AS segments FROM docs`
      // The token arrays leave DuckDB as JSON text: converting them to JS arrays and back cost most
      // of the export's CPU (and its garbage) for bytes that are only copied into the tar.
      : `SELECT bucket, seq_index, doc_id, chunk_index, to_json(input_ids)::VARCHAR AS input_ids,
           to_json(labels)::VARCHAR AS labels, to_json(position_ids)::VARCHAR AS position_ids, image_spans
         FROM packed ORDER BY bucket, seq_index`;
    for await (const batch of reader.batches(sql)) {
      const ids = new Set<string>();
      for (const r of batch) {
        const list = what === 'docs' ? (r.segments as Row[]) : (r.image_spans as Row[]);
        for (const x of list ?? []) if (x.image_id) ids.add(String(x.image_id));
      }
      const bytes = await imageBytes(lookup, [...ids]);
      for (const r of batch) {
        const parts: Part[] = [];
        const image = (id: unknown, key: string): string | null => {
          const b = bytes.get(String(id));
          if (!b) {
            s.missing_images++;
            return null;
          }
          const part = `${parts.length}.${b.ext}`;
          parts.push({ name: `${key}.${part}`, data: b.data });
          s.images++;
          return part;
        };
        let key: string;
        let meta: Record<string, unknown> = {};
        let json: string | undefined;
        if (what === 'docs') {
          key = String(r.doc_id);
          const texts: (string | null)[] = [];
          const images: (string | null)[] = [];
          for (const seg of (r.segments as Row[]) ?? []) {
            if (seg.kind === 'image') {
              const part = image(seg.image_id, key);
              if (part === null) continue;
              texts.push(null);
              images.push(part);
            } else {
              texts.push(String(seg.text ?? ''));
              images.push(null);
            }
          }
          meta = { doc_id: key, url: r.url, lang: r.lang, title: r.title, texts, images };
        } else {
          key = `${r.bucket}_${String(r.seq_index).padStart(9, '0')}`;
          const spans = ((r.image_spans as Row[]) ?? []).map((sp) => ({ ...sp, part: image(sp.image_id, key) }));
          const head = JSON.stringify({ doc_id: r.doc_id, chunk_index: r.chunk_index, bucket: r.bucket, seq_index: r.seq_index });
          json = `${head.slice(0, -1)},"input_ids":${r.input_ids},"labels":${r.labels},"position_ids":${r.position_ids},"image_spans":${JSON.stringify(spans)}}`;
        }
        await write([{ name: `${key}.json`, data: Buffer.from(json ?? JSON.stringify(meta)) }, ...parts]);
      }
    }
    await closeShard();
  } finally {
    reader.close();
    lookup.close();
  }
  // Shards of an earlier export into the same dir that this one did not write: a rerun replaces.
  for (const n of await readdir(dest)) {
    const m = /^(shard-\d{6}\.tar)(?:\.idx)?$/.exec(n);
    if (m && !s.shards.includes(m[1]!)) await rm(join(dest, n), { force: true });
  }
  const yaml = (lines: string[]) => lines.join('\n') + '\n';
  const meta = join(dest, '.nv-meta');
  await writeFileAtomically(join(meta, 'sample_loader.py'), SAMPLE_LOADER);
  await writeFileAtomically(join(meta, 'dataset.yaml'), yaml([
    'sample_type:', '  __module__: megatron.energon', '  __class__: InterleavedSample',
    'sample_loader: sample_loader.py:sample_loader', 'part_filter: sample_loader.py:part_filter',
  ]));
  await writeFileAtomically(join(meta, 'split.yaml'), yaml(['split_parts:', '  train:', ...s.shards.map((n) => `  - ${n}`), '  val: []', '  test: []', 'exclude: []']));
  await writeFileAtomically(join(meta, '.info.yaml'), yaml(['shard_counts:', ...s.shards.map((n) => `  ${n}: ${counts[n]}`)]));
  return s;
}

export async function exportWdsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { out: { type: 'string', short: 'o' }, what: { type: 'string' }, 'shard-bytes': { type: 'string' } });
  const usage = 'usage: corpus export-wds <out-dir> --out DIR [--what docs|packed] [--shard-bytes N]';
  if (positionals.length !== 1 || !values.out) throw new UsageError(usage);
  const what = values.what ?? 'docs';
  if (what !== 'docs' && what !== 'packed') throw new UsageError(`--what is docs or packed, got ${what}`);
  const shardBytes = values['shard-bytes'] === undefined ? undefined : Number(values['shard-bytes']);
  if (shardBytes !== undefined && !(Number.isInteger(shardBytes) && shardBytes > 0)) throw new UsageError(`--shard-bytes takes a whole number of bytes, got ${values['shard-bytes']}`);
  const s = await exportWds(positionals[0]!, values.out, { what, shardBytes });
  process.stdout.write(`${s.samples} samples, ${s.images} images, ${s.shards.length} shards, ${(s.bytes / 1e6).toFixed(1)} MB -> ${values.out}` +
    (s.missing_images ? `; ${s.missing_images} images without bytes left out (run corpus images ${positionals[0]})` : '') + '\n');
  return 0;
}
