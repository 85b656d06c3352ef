/**
 * The document viewer: a sample of kept and rejected documents, each rendered as it is interleaved
 * (text blocks and images in reading order) with its signals and, for a reject, stage / reason /
 * detail. Sampling is SQL over the cheap columns (doc_id, lang, stage, reason), stratified so every
 * language of the kept documents and every drop reason shows up; only the sampled rows are read
 * whole, so the cost does not grow with the size of the corpus beyond one pass over those columns.
 */
import { join, resolve } from 'node:path';
import { firstImageRows, imageBytesSql } from '../query.ts';
import { quoteIdent } from '../../schemas/tables.ts';
import { sqlString, type Db, type Row } from '../../stages/lib/duckdb.ts';
import { esc, fmtNum, safeHref } from './html.ts';
import { scalarColumns, type Schema } from './schema.ts';
import { thumbnail, type Thumbnail } from './thumbnail.ts';
import { violates, type Threshold } from './thresholds.ts';

/** Limits that keep one report a reasonable size whatever the documents are like. */
export const VIEWER_LIMITS = {
  segmentsPerDoc: 300,
  textCharsPerDoc: 20_000,
  imagesPerDoc: 24,
  imagesTotal: 400,
  /** Longest side of an embedded thumbnail, px. */
  thumbSide: 200,
};

/** Columns shown in a document's header line rather than among its signals. */
const HEADER_COLUMNS = new Set([
  'doc_id', 'url', 'domain', 'title', 'lang', 'fetched_at', 'source_file', 'source_offset', 'segments', 'stage', 'reason', 'detail',
]);

interface Segment {
  kind: string;
  tag: string | null;
  text: string | null;
  url: string | null;
  alt: string | null;
  image_id: string | null;
  width: number | null;
  height: number | null;
  note: string | null;
}

export interface SampledDoc {
  kind: 'kept' | 'rejected';
  row: Row;
}

/** Stratified deterministic sample: the k-th document of every group before the (k+1)-th of any. */
export function sampleSql(table: 'docs' | 'rejects', groupBy: string[], n: number): string {
  return `SELECT doc_id FROM (
  SELECT doc_id, row_number() OVER (PARTITION BY ${groupBy.join(', ')} ORDER BY hash(doc_id)) AS rank_in_group
  FROM ${table}
)
WHERE rank_in_group <= ${n}
ORDER BY rank_in_group, hash(doc_id)
LIMIT ${n}`;
}

/** The Parquet files of a table, as openCorpus globs them. */
function tableGlob(outDir: string, table: string): string {
  return join(resolve(outDir), table, '**', 'part-*.parquet');
}

const idList = (ids: string[]) => ids.map(sqlString).join(', ');

/**
 * Read the sampled rows whole. Through the view, DuckDB would decode every row's segments to find
 * 20 of them; instead the files holding them are found first (doc_id column only), then only
 * those files are read: the cost follows the sample, not the corpus.
 */
async function fetchRows(db: Db, outDir: string, table: string, columns: string[], ids: string[], sqlLog: string[]): Promise<Row[]> {
  const locate = `SELECT DISTINCT filename\nFROM read_parquet(${sqlString(tableGlob(outDir, table))}, filename = true)\nWHERE doc_id IN (${idList(ids)})`;
  const files = (await db.all(locate)).map((r) => String(r.filename));
  if (files.length === 0) return [];
  const fetch = `SELECT ${columns.map(quoteIdent).join(', ')}\nFROM read_parquet([${files.map(sqlString).join(', ')}], union_by_name = true, hive_partitioning = true)\nWHERE doc_id IN (${idList(ids)})`;
  sqlLog.push(shorten(locate), shorten(fetch));
  return db.all(fetch);
}

/** Long id and file lists cut for display. */
function shorten(sql: string): string {
  return sql.replace(/(\[|IN \()([^\])]{240})[^\])]*/g, '$1$2 …');
}

/** Sample `n` kept and `n` rejected documents and read them whole. */
export async function sampleDocuments(db: Db, outDir: string, schema: Schema, n: number, sqlLog: string[]): Promise<SampledDoc[]> {
  const out: { kept: SampledDoc[]; rejected: SampledDoc[] } = { kept: [], rejected: [] };
  for (const [table, kind] of [['docs', 'kept'], ['rejects', 'rejected']] as const) {
    const cols = schema.get(table);
    if (!cols || n <= 0) continue;
    const groups = table === 'docs' ? ['lang'] : ['stage', 'reason'].filter((c) => cols.has(c));
    const sample = sampleSql(table, groups.length ? groups : ['true'], n);
    sqlLog.push(sample);
    const ids = (await db.all(sample)).map((r) => String(r.doc_id));
    if (ids.length === 0) continue;
    const wanted = [...scalarColumns(schema, table), ...(cols.has('segments') ? ['segments'] : [])];
    const byId = new Map<string, Row>();
    for (const r of await fetchRows(db, outDir, table, wanted, ids, sqlLog)) if (!byId.has(String(r.doc_id))) byId.set(String(r.doc_id), r);
    for (const id of ids) {
      const row = byId.get(id);
      if (row) out[kind].push({ kind, row });
    }
  }
  // Kept and rejected alternate, so the first screen already shows both.
  const mixed: SampledDoc[] = [];
  for (let i = 0; i < Math.max(out.kept.length, out.rejected.length); i++) {
    if (out.kept[i]) mixed.push(out.kept[i]!);
    if (out.rejected[i]) mixed.push(out.rejected[i]!);
  }
  return mixed;
}

function segmentsOf(row: Row): Segment[] {
  return Array.isArray(row.segments) ? (row.segments as Segment[]) : [];
}

/** Thumbnails of the images the sampled documents show, from the images table (within VIEWER_LIMITS). */
export async function loadThumbnails(db: Db, schema: Schema, docs: SampledDoc[], sqlLog: string[]): Promise<{ thumbs: Map<string, Thumbnail | null>; note: string | null }> {
  const thumbs = new Map<string, Thumbnail | null>();
  const images = schema.get('images');
  if (!images) return { thumbs, note: 'no images table in this output (the images stage did not run): images are shown as their URL' };
  if (!images.has('bytes') || !images.has('image_id')) return { thumbs, note: 'the images table has no bytes column: images are shown as their URL' };
  const wanted: string[] = [];
  for (const d of docs) {
    let perDoc = 0;
    for (const s of segmentsOf(d.row)) {
      if (s.kind !== 'image' || !s.image_id || perDoc >= VIEWER_LIMITS.imagesPerDoc) continue;
      perDoc++;
      if (!wanted.includes(s.image_id) && wanted.length < VIEWER_LIMITS.imagesTotal) wanted.push(s.image_id);
    }
  }
  if (wanted.length === 0) return { thumbs, note: null };
  const sql = imageBytesSql(wanted);
  sqlLog.push(shorten(sql));
  const rows = [...firstImageRows(await db.allJS(sql)).values()];
  // A few at a time: sharp runs on libuv threads, and the machine is shared.
  for (let i = 0; i < rows.length; i += 4) {
    await Promise.all(
      rows.slice(i, i + 4).map(async (r) => {
        const bytes = r.bytes as Uint8Array | null;
        thumbs.set(String(r.image_id), bytes ? await thumbnail(bytes, VIEWER_LIMITS.thumbSide) : null);
      }),
    );
  }
  return { thumbs, note: null };
}

function fmtValue(v: unknown): string {
  if (typeof v === 'number') return fmtNum(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return String(v);
}

function renderImage(s: Segment, thumbs: Map<string, Thumbnail | null>, shown: number): string {
  const size = s.width && s.height ? `${s.width}×${s.height}` : '';
  const caption = [size, s.alt ? `alt: ${s.alt}` : '', s.url ?? ''].filter(Boolean).join(' · ');
  const t = s.image_id ? thumbs.get(s.image_id) : undefined;
  if (t) {
    return `<figure class="seg-image"><img src="${t.uri}" width="${t.width}" height="${t.height}" alt="${esc(s.alt ?? '')}"><figcaption>${esc(caption)}</figcaption></figure>`;
  }
  const why = s.note ?? (!s.image_id ? 'no image_id (images stage not run)' : shown >= VIEWER_LIMITS.imagesPerDoc ? 'not embedded (report limit)' : 'not in the images table');
  return `<figure class="seg-image"><div class="img-placeholder">image · ${esc(why)}<br>${esc(s.url ?? '(no url)')}</div><figcaption>${esc([size, s.alt ? `alt: ${s.alt}` : ''].filter(Boolean).join(' · '))}</figcaption></figure>`;
}

function renderText(s: Segment, text: string): string {
  const tag = (s.tag ?? 'p').toLowerCase();
  if (tag === 'pre' || tag === 'code') return `<pre>${esc(text)}</pre>`;
  const cls = /^h[1-6]$/.test(tag) ? ' class="h"' : tag === 'li' ? ' class="li"' : '';
  return `<p${cls}>${esc(text)}</p>`;
}

/** One document as an <article>: header, reject reason, signals, then its segments in order. */
export function renderDocument(d: SampledDoc, index: number, thumbs: Map<string, Thumbnail | null>, thresholds: Map<string, Threshold[]>): string {
  const r = d.row;
  const href = safeHref(r.url);
  const urlHtml = href ? `<a href="${esc(href)}" rel="noopener noreferrer nofollow" target="_blank">${esc(r.url)}</a>` : esc(r.url ?? '(no url)');
  const facts = [
    r.lang ? `lang ${r.lang}` : null,
    r.fetched_at ? String(r.fetched_at) : null,
    r.source_file ? `${r.source_file} @ ${r.source_offset ?? '?'}` : null,
  ].filter((x): x is string => !!x);
  const reason = d.kind === 'rejected' ? `${r.stage ?? '?'}:${r.reason ?? '?'}` : '';
  const parts: string[] = [
    `<article class="doc" id="doc-${index}" data-kind="${d.kind}" data-reason="${esc(reason)}" data-doc-id="${esc(r.doc_id)}">`,
    `<header><h3><span class="badge ${d.kind}">${d.kind}</span>${esc(r.title || '(no title)')}</h3>`,
    `<div class="url">${urlHtml}</div><div class="url">${facts.map(esc).join(' · ')}</div></header>`,
  ];
  if (d.kind === 'rejected') {
    parts.push(
      `<div class="reason">dropped by <b>${esc(r.stage ?? '?')}</b>: <b>${esc(r.reason ?? '?')}</b>${r.detail ? ` — ${esc(r.detail)}` : ''}</div>`,
    );
  }
  const sigs = Object.entries(r).filter(([k, v]) => !HEADER_COLUMNS.has(k) && v !== null && v !== undefined && typeof v !== 'object');
  if (sigs.length) {
    parts.push(
      `<div class="signals">${sigs
        .map(([k, v]) => {
          const th = thresholds.get(k) ?? [];
          // BIGINT and DECIMAL values arrive as strings.
          const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
          const out = th.length > 0 && Number.isFinite(n) && violates(n, th);
          const tip = th.map((t) => `${t.key} = ${t.value} (${t.bound})`).join(', ');
          return `<span class="sig${out ? ' out' : ''}"${tip ? ` title="${esc(tip)}"` : ''}><b>${esc(k)}</b> ${esc(fmtValue(v))}</span>`;
        })
        .join('')}</div>`,
    );
  }
  const segs = segmentsOf(r);
  const body: string[] = [];
  let chars = 0;
  let images = 0;
  let shownSegs = 0;
  for (const s of segs) {
    if (shownSegs >= VIEWER_LIMITS.segmentsPerDoc || chars >= VIEWER_LIMITS.textCharsPerDoc) break;
    shownSegs++;
    if (s.kind === 'image') {
      body.push(renderImage(s, thumbs, images));
      images++;
    } else {
      const text = (s.text ?? '').slice(0, VIEWER_LIMITS.textCharsPerDoc - chars);
      chars += text.length;
      body.push(renderText(s, text));
    }
  }
  if (shownSegs < segs.length) body.push(`<p class="more">… ${segs.length - shownSegs} more segments not shown</p>`);
  if (segs.length === 0) body.push('<p class="more">no segments (dropped before extraction)</p>');
  parts.push(`<div class="doc-body">${body.join('')}</div></article>`);
  return parts.join('');
}
