/**
 * Parquet/DuckDB schemas of the output tables. The base columns are fixed here; stages append
 * their signal columns (Stage.columns) and may declare side tables (Stage.tables).
 */
import type { ColumnSpec, Doc } from './doc.ts';

export const SEGMENT_STRUCT =
  'STRUCT(kind VARCHAR, tag VARCHAR, text VARCHAR, url VARCHAR, alt VARCHAR, image_id VARCHAR, ' +
  'lang VARCHAR, lang_score DOUBLE, width INTEGER, height INTEGER, tokens INTEGER, tiles INTEGER, ' +
  'delta FLOAT, note VARCHAR)';

const SEGMENT_FIELDS = [
  'kind', 'tag', 'text', 'url', 'alt', 'image_id', 'lang', 'lang_score', 'width', 'height', 'tokens',
  'tiles', 'delta', 'note',
] as const;

/** Columns every docs row has, whatever stages ran. */
export const DOC_BASE_COLUMNS: ColumnSpec[] = [
  { name: 'doc_id', type: 'VARCHAR', description: 'stable hash of the record identity (url + WARC-Record-ID, or file + offset)' },
  { name: 'url', type: 'VARCHAR', description: 'page URL (WARC-Target-URI, or canonical/og:url/file URL for local pages)' },
  { name: 'domain', type: 'VARCHAR', description: 'host of url, lower-case, without a leading www.' },
  { name: 'title', type: 'VARCHAR', description: '<title> (or og:title) of the page' },
  { name: 'lang', type: 'VARCHAR', description: 'document language, ISO 639-3 (null before langid)' },
  { name: 'lang_score', type: 'DOUBLE', description: 'confidence of lang in [0, 1] (DOUBLE, as segments[].lang_score: the value the langid decision compared)' },
  { name: 'fetched_at', type: 'TIMESTAMP', description: 'fetch time in UTC (WARC-Date or file mtime); NULL when unknown or unparseable' },
  { name: 'source_file', type: 'VARCHAR', description: 'input file the record was read from' },
  { name: 'source_offset', type: 'BIGINT', description: 'byte offset of the record in source_file' },
  { name: 'segments', type: `${SEGMENT_STRUCT}[]`, description: 'text blocks and images in reading order' },
  { name: 'num_segments', type: 'INTEGER', description: 'len(segments)' },
  { name: 'num_images', type: 'INTEGER', description: "segments of kind 'image'" },
  { name: 'num_chars', type: 'INTEGER', description: 'characters of text over all text segments' },
];

/** Extra columns of rejects: why the document was dropped. Rejects keep the document itself. */
export const REJECT_EXTRA_COLUMNS: ColumnSpec[] = [
  { name: 'stage', type: 'VARCHAR', description: 'stage that dropped the record' },
  { name: 'reason', type: 'VARCHAR', description: 'short machine-readable reason, e.g. no_text, lang, dup_url' },
  { name: 'detail', type: 'VARCHAR', description: 'human-readable detail (signal values, error message)' },
];

/** One row per (unit, stage, counter): the stats table. */
export const STATS_COLUMNS: ColumnSpec[] = [
  { name: 'unit', type: 'VARCHAR', description: 'input unit (file) the counts come from' },
  { name: 'stage', type: 'VARCHAR', description: 'stage name' },
  { name: 'counter', type: 'VARCHAR', description: 'in | out | dropped:<reason> | error:<kind> | <custom>' },
  { name: 'value', type: 'DOUBLE', description: 'count (or seconds for time:*)' },
];

/** An ISO-8601 time as a Date for a TIMESTAMP column (UTC); null when absent or not a date. */
function timestamp(iso: string | null): Date | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : new Date(t);
}

/** A TIMESTAMP read back (a Date with JS values, 'YYYY-MM-DD HH:MM:SS' as JSON) as ISO-8601 UTC. */
function isoTime(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  const s = String(v);
  const t = Date.parse(/^\d{4}-\d\d-\d\d \d/.test(s) && !/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? `${s.replace(' ', 'T')}Z` : s);
  return Number.isNaN(t) ? s : new Date(t).toISOString();
}

function segmentRow(s: Doc['segments'][number]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const f of SEGMENT_FIELDS) row[f] = (s as unknown as Record<string, unknown>)[f] ?? null;
  return row;
}

/** Plain JS row for the docs table, in the column order of `columns`. */
export function docRow(doc: Doc, columns: ColumnSpec[]): unknown[] {
  const base: Record<string, unknown> = {
    doc_id: doc.id,
    url: doc.url,
    domain: doc.domain,
    title: doc.title,
    lang: doc.lang,
    lang_score: doc.langScore,
    fetched_at: timestamp(doc.fetchedAt),
    source_file: doc.source.file,
    source_offset: doc.source.offset,
    segments: doc.segments.map(segmentRow),
    num_segments: doc.segments.length,
    num_images: doc.segments.filter((s) => s.kind === 'image').length,
    num_chars: doc.segments.reduce((n, s) => n + (s.kind === 'text' ? (s.text?.length ?? 0) : 0), 0),
  };
  return columns.map((c) => (c.name in base ? base[c.name] : (doc.signals[c.name] ?? null)));
}

/**
 * A docs row read back (DuckDB JS values) as a Doc: the inverse of docRow, for steps that rerun stages
 * on written documents (e.g. `corpus dedup --apply`). Columns that are not base columns become signals;
 * null segment fields are left out, as the stages that fill them found them. The record id and type of
 * the provenance are not columns, so they come back as null and 'unknown'.
 */
export function docFromRow(row: Record<string, unknown>): Doc {
  const base = new Set(DOC_BASE_COLUMNS.map((c) => c.name));
  const signals: Doc['signals'] = {};
  for (const [k, v] of Object.entries(row)) if (!base.has(k)) signals[k] = v as Doc['signals'][string];
  const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
  const segments = ((row.segments as Record<string, unknown>[] | null) ?? []).map((r) => {
    const seg: Record<string, unknown> = {};
    for (const f of SEGMENT_FIELDS) if (r[f] !== null && r[f] !== undefined) seg[f] = r[f];
    return seg as unknown as Doc['segments'][number];
  });
  return {
    id: String(row.doc_id),
    url: String(row.url ?? ''),
    domain: String(row.domain ?? ''),
    title: str(row.title),
    fetchedAt: isoTime(row.fetched_at),
    source: { file: String(row.source_file ?? ''), offset: Number(row.source_offset ?? 0), recordId: null, recordType: 'unknown' },
    lang: str(row.lang),
    langScore: row.lang_score === null || row.lang_score === undefined ? null : Number(row.lang_score),
    segments,
    signals,
  };
}

export function createTableSql(name: string, columns: ColumnSpec[]): string {
  return `CREATE TABLE ${quoteIdent(name)} (${columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ')})`;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
