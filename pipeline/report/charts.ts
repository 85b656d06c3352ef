/**
 * The report's charts. Each one is plain SQL over the views of `corpus query` (docs, rejects, stats,
 * images, packed), aggregated in DuckDB so only a few rows per chart reach JS, and the exact SQL is
 * kept with the chart so the page can show it for rerunning. A chart whose table or column is absent
 * is skipped with a one-line note instead.
 */
import { quoteIdent } from '../../schemas/tables.ts';
import type { Db } from '../../stages/lib/duckdb.ts';
import { fmtNum } from './html.ts';
import { has, isIntegral, isNumeric, type Schema } from './schema.ts';
import { hbarChart, histogram, type Bin, type Marker } from './svg.ts';
import { thresholdsFor, type Threshold } from './thresholds.ts';
import { CorpusError } from '../../stages/lib/errors.ts';

export interface QueryResult {
  sql: string;
  columns: string[];
  rows: unknown[][];
  /** Wall time of the query. */
  seconds?: number;
}

export interface Chart {
  id: string;
  group: string;
  title: string;
  description?: string;
  /** SVG markup, or null when the chart was skipped. */
  svg: string | null;
  skipped?: string;
  queries: QueryResult[];
}

export interface ChartContext {
  db: Db;
  schema: Schema;
  /** The run's config from manifest.json (undefined when there is none). */
  config: unknown;
}

/** A chart's query failed: the chart is skipped with the error and the SQL, the report goes on. */
class ChartQueryError extends CorpusError {
  readonly code = 'ERR_CHART_QUERY';
  constructor(readonly sql: string, cause: unknown) {
    super(String((cause as Error)?.message ?? cause).split('\n')[0] ?? '', { cause });
  }
}

async function query(db: Db, sql: string): Promise<QueryResult> {
  try {
    const t0 = performance.now();
    const { columns, rows } = await db.table(sql);
    return { sql, columns, rows, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    throw new ChartQueryError(sql, e);
  }
}

/** Rows as objects with numbers where DuckDB gave numeric strings (BIGINT, DECIMAL, HUGEINT). */
function objects(r: QueryResult): Record<string, unknown>[] {
  return r.rows.map((row) =>
    Object.fromEntries(r.columns.map((c, i) => {
      const v = row[i];
      return [c, typeof v === 'string' && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v) ? Number(v) : v];
    })),
  );
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v) || 0);

function skipped(id: string, group: string, title: string, why: string): Chart {
  return { id, group, title, svg: null, skipped: why, queries: [] };
}

// ---------------------------------------------------------------- filter funnel

async function funnel(c: ChartContext): Promise<Chart> {
  const G = 'Filter funnel';
  if (!has(c.schema, 'stats', 'stage', 'counter', 'value')) return skipped('funnel', G, 'Documents per stage', 'no stats table');
  // read counts HTML pages (`html`) rather than `in`; write counts `docs`. read comes first and
  // write last; the stages between by what entered them (the funnel only narrows), ties by their
  // cumulative time (which includes everything upstream).
  const q = await query(
    c.db,
    `SELECT stage,
  coalesce(sum(value) FILTER (WHERE counter = 'in'), sum(value) FILTER (WHERE counter = 'html'),
           sum(value) FILTER (WHERE counter = 'docs')) AS entered,
  coalesce(sum(value) FILTER (WHERE counter LIKE 'dropped:%'), 0) AS dropped,
  sum(value) FILTER (WHERE counter = 'out') AS passed,
  coalesce(sum(value) FILTER (WHERE counter LIKE 'error:%'), 0) AS errors,
  sum(value) FILTER (WHERE counter = 'time:cumulative_seconds') AS cumulative_seconds
FROM stats
GROUP BY stage
ORDER BY stage = 'write', stage <> 'read', entered DESC NULLS LAST, cumulative_seconds NULLS FIRST, stage`,
  );
  const rows = objects(q);
  if (rows.length === 0) return { ...skipped('funnel', G, 'Documents per stage', 'the stats table is empty (no unit finished yet)'), queries: [q] };
  const bars = rows.map((r) => {
    const entered = num(r.entered);
    const dropped = num(r.dropped);
    const passed = r.passed === null || r.passed === undefined ? Math.max(0, entered - dropped) : num(r.passed);
    const errors = num(r.errors);
    return {
      label: String(r.stage),
      values: [passed, dropped],
      note: `${fmtNum(entered)} → ${fmtNum(passed)}${dropped ? ` (−${fmtNum(dropped)})` : ''}${errors ? `, ${fmtNum(errors)} errors` : ''}`,
    };
  });
  return {
    id: 'funnel',
    group: G,
    title: 'Documents per stage',
    description: 'What entered each stage (read: HTML pages), split into passed on and dropped. Drop reasons are below; every dropped document is in the rejects table.',
    svg: hbarChart(bars, { series: ['passed', 'dropped'] }),
    queries: [q],
  };
}

async function dropReasons(c: ChartContext): Promise<Chart> {
  const G = 'Filter funnel';
  if (!has(c.schema, 'stats', 'stage', 'counter', 'value')) return skipped('drop-reasons', G, 'Drop reasons', 'no stats table');
  const q = await query(
    c.db,
    `SELECT stage, substr(counter, 9) AS reason, sum(value) AS docs
FROM stats
WHERE counter LIKE 'dropped:%'
GROUP BY stage, reason
ORDER BY docs DESC, stage, reason`,
  );
  const rows = objects(q);
  if (rows.length === 0) return { ...skipped('drop-reasons', G, 'Drop reasons', 'no document was dropped'), queries: [q] };
  return {
    id: 'drop-reasons',
    group: G,
    title: 'Drop reasons',
    description: 'Documents dropped, by stage and reason (stats counters dropped:<reason>).',
    svg: hbarChart(rows.map((r) => ({ label: `${r.stage} · ${r.reason}`, values: [num(r.docs)] })), { series: ['dropped'], classes: ['s1'], labelChars: 40 }),
    queries: [q],
  };
}

async function errors(c: ChartContext): Promise<Chart> {
  const G = 'Filter funnel';
  const title = 'Errors and warnings';
  if (!has(c.schema, 'stats', 'stage', 'counter', 'value')) return skipped('errors', G, title, 'no stats table');
  const q = await query(
    c.db,
    `SELECT stage, counter, sum(value) AS n
FROM stats
WHERE counter LIKE 'error:%' OR counter LIKE 'warning:%'
GROUP BY stage, counter
ORDER BY n DESC, stage, counter
LIMIT 40`,
  );
  const rows = objects(q);
  if (rows.length === 0) return { ...skipped('errors', G, title, 'no errors or warnings were counted'), queries: [q] };
  return {
    id: 'errors',
    group: G,
    title,
    description: 'Bad input that was counted rather than fatal (error:<kind>), and inputs that were repaired (warning:<kind>).',
    svg: hbarChart(
      rows.map((r) => {
        const isError = String(r.counter).startsWith('error:');
        return { label: `${r.stage} · ${r.counter}`, values: isError ? [num(r.n), 0] : [0, num(r.n)] };
      }),
      { series: ['error', 'warning'], classes: ['s1', 's3'], labelChars: 44 },
    ),
    queries: [q],
  };
}

// ---------------------------------------------------------------- languages and sources

async function languages(c: ChartContext): Promise<Chart> {
  const G = 'Languages and sources';
  const title = 'Documents and tokens per language';
  if (!has(c.schema, 'docs', 'lang')) return skipped('languages', G, title, 'docs has no lang column');
  const split = has(c.schema, 'docs', 'num_text_tokens', 'num_image_tokens');
  const total = has(c.schema, 'docs', 'num_tokens');
  const measure = split
    ? 'sum(num_text_tokens) AS text_tokens, sum(num_image_tokens) AS image_tokens'
    : total
      ? 'sum(num_tokens) AS tokens'
      : has(c.schema, 'docs', 'num_chars')
        ? 'sum(num_chars) AS chars'
        : null;
  const q = await query(
    c.db,
    `SELECT coalesce(lang, '(none)') AS lang, count(*) AS docs${measure ? `, ${measure}` : ''},
  count(*) OVER () AS languages
FROM docs
GROUP BY 1
ORDER BY docs DESC, lang
LIMIT 30`,
  );
  const rows = objects(q);
  if (rows.length === 0) return { ...skipped('languages', G, title, 'no kept documents'), queries: [q] };
  const docsSvg = hbarChart(rows.map((r) => ({ label: String(r.lang), values: [num(r.docs)] })), { series: ['documents'], caption: 'documents', width: 380, labelChars: 10 });
  let second: string;
  let what: string;
  if (split) {
    second = hbarChart(rows.map((r) => ({ label: String(r.lang), values: [num(r.text_tokens), num(r.image_tokens)] })), { series: ['text tokens', 'image tokens'], classes: ['s0', 's3'], width: 380, labelChars: 10 });
    what = 'tokens (text and image)';
  } else if (total) {
    second = hbarChart(rows.map((r) => ({ label: String(r.lang), values: [num(r.tokens)] })), { series: ['tokens'], caption: 'tokens', width: 380, labelChars: 10 });
    what = 'tokens';
  } else {
    second = measure ? hbarChart(rows.map((r) => ({ label: String(r.lang), values: [num(r.chars)] })), { series: ['characters'], caption: 'characters', width: 380, labelChars: 10 }) : '';
    what = 'characters (no token counts: the tokenize stage did not run)';
  }
  const nLang = num(rows[0]!.languages);
  const notes = [
    `Kept documents and their ${what} per language (ISO 639-3).`,
    nLang > rows.length ? `Top ${rows.length} of ${nLang} languages.` : '',
    rows.length === 1 && rows[0]!.lang === '(none)' ? 'lang is null everywhere: the langid stage did not run.' : '',
  ];
  return {
    id: 'languages',
    group: G,
    title,
    description: notes.filter(Boolean).join(' '),
    svg: `<div class="row2">${docsSvg}${second}</div>`,
    queries: [q],
  };
}

async function domains(c: ChartContext): Promise<Chart> {
  const G = 'Languages and sources';
  const title = 'Top domains';
  if (!has(c.schema, 'docs', 'domain')) return skipped('domains', G, title, 'docs has no domain column');
  const withRejects = has(c.schema, 'rejects', 'domain');
  const q = await query(
    c.db,
    `SELECT domain, count(*) FILTER (WHERE is_kept) AS kept, count(*) FILTER (WHERE NOT is_kept) AS rejected
FROM (SELECT domain, true AS is_kept FROM docs${withRejects ? '\n      UNION ALL SELECT domain, false FROM rejects' : ''})
GROUP BY domain
ORDER BY count(*) DESC, domain
LIMIT 20`,
  );
  const rows = objects(q);
  if (rows.length === 0) return { ...skipped('domains', G, title, 'no documents'), queries: [q] };
  return {
    id: 'domains',
    group: G,
    title,
    description: 'The 20 domains with the most documents, kept and rejected.',
    svg: hbarChart(rows.map((r) => ({ label: String(r.domain || '(none)'), values: [num(r.kept), num(r.rejected)] })), { series: ['kept', 'rejected'], labelChars: 36 }),
    queries: [q],
  };
}

// ---------------------------------------------------------------- length and image histograms

/** SQL for the power-of-two bin of a non-negative value: -1 for 0 (and below 1), k for [2^k, 2^(k+1)). */
function log2Bin(expr: string): string {
  return `CASE WHEN ${expr} < 1 THEN -1 ELSE floor(log2(greatest(${expr}, 1)))::INT END`;
}

function log2Label(k: number, integral: boolean): string {
  if (k < 0) return integral ? '0' : '<1';
  const lo = 2 ** k;
  const hi = 2 ** (k + 1) - 1;
  if (!integral) return `${fmtNum(lo)}–${fmtNum(2 ** (k + 1))}`;
  return lo === hi ? fmtNum(lo) : `${fmtNum(lo)}–${fmtNum(hi)}`;
}

/** Bins from `lo` to `hi` (inclusive) with the counts of each series (missing bins are zero). */
function fillBins(rows: Record<string, unknown>[], series: string[], label: (k: number) => string): Bin[] {
  if (rows.length === 0) return [];
  const byBin = new Map(rows.map((r) => [num(r.bin), r]));
  const ks = [...byBin.keys()];
  const bins: Bin[] = [];
  for (let k = Math.min(...ks); k <= Math.max(...ks); k++) {
    const r = byBin.get(k);
    bins.push({ label: label(k), tick: label(k).split('–')[0], values: series.map((s) => num(r?.[s])) });
  }
  return bins;
}

/**
 * A power-of-two histogram of a per-document count, kept vs rejected (rejects that reached
 * extraction: those with segments).
 */
async function log2DocHistogram(c: ChartContext, id: string, title: string, column: string, xLabel: string, description: string): Promise<Chart> {
  const G = 'Lengths and images';
  if (!has(c.schema, 'docs', column)) return skipped(id, G, title, `docs has no ${column} column`);
  const withRejects = has(c.schema, 'rejects', column, 'num_segments');
  const col = quoteIdent(column);
  const q = await query(
    c.db,
    `SELECT ${log2Bin('x')} AS bin, count(*) FILTER (WHERE is_kept) AS kept, count(*) FILTER (WHERE NOT is_kept) AS rejected
FROM (SELECT ${col} AS x, true AS is_kept FROM docs${withRejects ? `\n      UNION ALL SELECT ${col}, false FROM rejects WHERE num_segments > 0` : ''})
WHERE x IS NOT NULL
GROUP BY bin
ORDER BY bin`,
  );
  const rows = objects(q);
  if (rows.length === 0) return { ...skipped(id, G, title, 'no documents'), queries: [q] };
  const series = withRejects ? ['kept', 'rejected'] : ['kept'];
  return {
    id,
    group: G,
    title,
    description,
    svg: histogram(fillBins(rows, series, (k) => log2Label(k, true)), { series, xLabel, yLabel: 'documents' }),
    queries: [q],
  };
}

async function imageSizes(c: ChartContext): Promise<Chart> {
  const G = 'Lengths and images';
  const title = 'Image sizes (shortest side)';
  if (!has(c.schema, 'images', 'width', 'height')) {
    return skipped('image-sizes', G, title, 'no images table with width/height (the images stage did not run)');
  }
  const usable = has(c.schema, 'images', 'reason');
  const q = await query(
    c.db,
    `SELECT ${log2Bin('least(width, height)')} AS bin,
  count(*)${usable ? ' FILTER (WHERE reason IS NULL)' : ''} AS usable${usable ? `,\n  count(*) FILTER (WHERE reason IS NOT NULL) AS refused` : ''}
FROM images
WHERE width IS NOT NULL AND height IS NOT NULL
GROUP BY bin
ORDER BY bin`,
  );
  const rows = objects(q);
  if (rows.length === 0) return { ...skipped('image-sizes', G, title, 'no decoded image sizes in the images table'), queries: [q] };
  const series = usable ? ['usable', 'refused'] : ['usable'];
  return {
    id: 'image-sizes',
    group: G,
    title,
    description: 'Decoded images by their shortest side in pixels (power-of-two bins); refused = the images table gives a reason (too small, bad aspect, ...).',
    svg: histogram(fillBins(rows, series, (k) => log2Label(k, true)), { series, classes: ['s0', 's2'], xLabel: 'shortest side, px', yLabel: 'images' }),
    queries: [q],
  };
}

async function imageFormats(c: ChartContext): Promise<Chart> {
  const G = 'Lengths and images';
  const title = 'Images by format and status';
  if (!has(c.schema, 'images', 'format')) return skipped('image-formats', G, title, 'no images table with a format column');
  const withReason = has(c.schema, 'images', 'reason');
  const q = await query(
    c.db,
    `SELECT coalesce(format, '(none)') AS format${withReason ? `,\n  count(*) FILTER (WHERE reason IS NULL) AS usable, count(*) FILTER (WHERE reason IS NOT NULL) AS refused` : ', count(*) AS usable'}
FROM images
GROUP BY 1
ORDER BY count(*) DESC, 1
LIMIT 20`,
  );
  const rows = objects(q);
  if (rows.length === 0) return { ...skipped('image-formats', G, title, 'the images table is empty'), queries: [q] };
  return {
    id: 'image-formats',
    group: G,
    title,
    description: 'Rows of the images table by decoded format.',
    svg: hbarChart(rows.map((r) => ({ label: String(r.format), values: [num(r.usable), num(r.refused)] })), { series: ['usable', 'refused'], classes: ['s0', 's2'] }),
    queries: [q],
  };
}

// ---------------------------------------------------------------- Dataset Decomposition buckets

async function buckets(c: ChartContext): Promise<Chart> {
  const G = 'Training sequences';
  const title = 'Dataset-Decomposition buckets';
  if (!has(c.schema, 'packed', 'bucket')) return skipped('buckets', G, title, 'no packed table (run corpus pack over this output to make one)');
  const tokens = has(c.schema, 'packed', 'num_tokens')
    ? 'sum(num_tokens)'
    : has(c.schema, 'packed', 'input_ids')
      ? 'sum(len(input_ids))'
      : 'sum(bucket)';
  const q = await query(
    c.db,
    `SELECT bucket, count(*) AS sequences, ${tokens} AS tokens
FROM packed
GROUP BY bucket
ORDER BY bucket`,
  );
  const rows = objects(q);
  if (rows.length === 0) return { ...skipped('buckets', G, title, 'the packed table is empty'), queries: [q] };
  const label = (r: Record<string, unknown>) => `len ${fmtNum(num(r.bucket))}`;
  return {
    id: 'buckets',
    group: G,
    title,
    description: 'Sequences and tokens per bucket (bucket N holds chunks of at most N tokens, each from one document).',
    svg:
      `<div class="row2">${hbarChart(rows.map((r) => ({ label: label(r), values: [num(r.sequences)] })), { series: ['sequences'], caption: 'sequences', width: 380, labelChars: 10 })}` +
      `${hbarChart(rows.map((r) => ({ label: label(r), values: [num(r.tokens)] })), { series: ['tokens'], caption: 'tokens', width: 380, labelChars: 10 })}</div>`,
    queries: [q],
  };
}

// ---------------------------------------------------------------- signal distributions

/** Columns of docs that are not signals (identity and provenance). */
const NOT_SIGNALS = new Set(['source_offset']);
const SIGNAL_BINS = 20;

/** Numeric columns of docs, in table order: what the signal charts plot. */
export function signalColumns(schema: Schema): string[] {
  return [...(schema.get('docs') ?? new Map<string, string>())].filter(([c, t]) => isNumeric(t) && !NOT_SIGNALS.has(c)).map(([c]) => c);
}

function sqlNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(17).replace(/\.?0+$/, '');
}

/** The smallest 1, 2, 2.5 or 5 × 10^k at least `raw` (whole numbers only when `integral`). */
export function niceStep(raw: number, integral: boolean): number {
  if (!(raw > 0) || (integral && raw <= 1)) return 1;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) {
    const step = m * pow;
    if (step >= raw * (1 - 1e-9) && (!integral || Number.isInteger(step))) return step;
  }
  return 10 * pow;
}

/**
 * Kept vs rejected distribution of one signal. Two queries: its range (min, 99th percentile, max),
 * then counts per equal-width bin of a round width from the minimum to the 99th percentile (the
 * last bin takes everything above), widened to include the configured thresholds.
 */
async function signal(c: ChartContext, column: string, thresholds: Threshold[]): Promise<Chart> {
  const G = 'Signal distributions';
  const title = `Signal: ${column}`;
  const type = c.schema.get('docs')!.get(column)!;
  const integral = isIntegral(type);
  const withRejects = has(c.schema, 'rejects', column);
  const col = quoteIdent(column);
  const x = type === 'BOOLEAN' ? `${col}::INT::DOUBLE` : `${col}::DOUBLE`;
  const values = `(SELECT ${x} AS x, true AS is_kept FROM docs${withRejects ? `\n      UNION ALL SELECT ${x}, false FROM rejects` : ''})`;
  const rangeQ = await query(
    c.db,
    `SELECT min(x) AS lo, ${integral ? 'quantile_disc' : 'quantile_cont'}(x, 0.99) AS p99, max(x) AS hi
FROM ${values}
WHERE isfinite(x)`,
  );
  const range = objects(rangeQ)[0];
  if (!range || range.lo === null || range.lo === undefined) {
    return { ...skipped(`signal-${column}`, G, title, `${column} is null in every document`), queries: [rangeQ] };
  }
  const lo = Math.min(num(range.lo), ...thresholds.map((t) => t.value));
  const hi = Math.max(num(range.p99), ...thresholds.map((t) => t.value));
  const max = num(range.hi);
  const width = integral ? niceStep((hi - lo + 1) / SIGNAL_BINS, true) : hi > lo ? niceStep((hi - lo) / SIGNAL_BINS, false) : Math.abs(lo) / 10 || 1;
  const start = Math.floor(lo / width) * width;
  const nBins = Math.max(1, integral ? Math.floor((hi - start) / width) + 1 : Math.ceil((hi - start) / width - 1e-9) || 1);
  const q = await query(
    c.db,
    `SELECT least(greatest(floor((x - ${sqlNumber(start)}) / ${sqlNumber(width)}), 0), ${nBins - 1})::INT AS bin,
  count(*) FILTER (WHERE is_kept) AS kept, count(*) FILTER (WHERE NOT is_kept) AS rejected
FROM ${values}
WHERE isfinite(x)
GROUP BY bin
ORDER BY bin`,
  );
  const series = withRejects ? ['kept', 'rejected'] : ['kept'];
  const byBin = new Map(objects(q).map((r) => [num(r.bin), r]));
  const bins: Bin[] = [];
  for (let k = 0; k < nBins; k++) {
    const r = byBin.get(k);
    const a = start + k * width;
    const b = integral ? a + width - 1 : a + width;
    const open = k === nBins - 1 && max > b;
    bins.push({
      tick: open ? `≥${fmtNum(a)}` : fmtNum(a),
      label: open ? `≥ ${fmtNum(a)}` : integral && width === 1 ? fmtNum(a) : `${fmtNum(a)} – ${fmtNum(b)}`,
      values: series.map((s) => num(r?.[s])),
    });
  }
  const markers: Marker[] = thresholds.map((t) => ({
    // A max threshold keeps its own value: for integer bins the line goes after that value.
    at: (t.value - start + (integral && t.bound === 'max' ? 1 : 0)) / width,
    label: `${t.bound} ${fmtNum(t.value)} (${t.key})`,
  }));
  const desc = [`${type}; kept documents vs rejects, bins of ${fmtNum(width)} up to the 99th percentile (${fmtNum(num(range.p99))}; max ${fmtNum(max)}).`];
  if (thresholds.length) desc.push(`Dashed: the run's configured threshold${thresholds.length > 1 ? 's' : ''} (${thresholds.map((t) => `${t.key} = ${t.value}`).join(', ')}).`);
  return {
    id: `signal-${column}`,
    group: G,
    title,
    description: desc.join(' '),
    svg: histogram(bins, { series, xLabel: column, yLabel: 'documents', markers }),
    queries: [rangeQ, q],
  };
}

/** Every chart, in page order. */
export async function buildCharts(c: ChartContext): Promise<Chart[]> {
  const makers: [id: string, group: string, title: string, make: () => Promise<Chart>][] = [
    ['funnel', 'Filter funnel', 'Documents per stage', () => funnel(c)],
    ['drop-reasons', 'Filter funnel', 'Drop reasons', () => dropReasons(c)],
    ['errors', 'Filter funnel', 'Errors and warnings', () => errors(c)],
    ['languages', 'Languages and sources', 'Documents and tokens per language', () => languages(c)],
    ['domains', 'Languages and sources', 'Top domains', () => domains(c)],
    ['length-chars', 'Lengths and images', 'Document length in characters', () =>
      log2DocHistogram(c, 'length-chars', 'Document length in characters', 'num_chars', 'characters (power-of-two bins)', 'Characters of text per document.')],
    ['length-tokens', 'Lengths and images', 'Document length in tokens', () =>
      log2DocHistogram(c, 'length-tokens', 'Document length in tokens', 'num_tokens', 'tokens (power-of-two bins)', 'Tokens per document (text and image tokens, as the model sees it).')],
    ['images-per-doc', 'Lengths and images', 'Images per document', () =>
      log2DocHistogram(c, 'images-per-doc', 'Images per document', 'num_images', 'images (power-of-two bins)', 'Image segments per document.')],
    ['image-sizes', 'Lengths and images', 'Image sizes', () => imageSizes(c)],
    ['image-formats', 'Lengths and images', 'Images by format and status', () => imageFormats(c)],
    ['buckets', 'Training sequences', 'Dataset-Decomposition buckets', () => buckets(c)],
  ];
  const signals = signalColumns(c.schema);
  for (const s of signals) makers.push([`signal-${s}`, 'Signal distributions', `Signal: ${s}`, () => signal(c, s, thresholdsFor(s, c.config))]);
  const charts: Chart[] = [];
  for (const [id, group, title, make] of makers) {
    try {
      charts.push(await make());
    } catch (e) {
      if (!(e instanceof ChartQueryError)) throw e;
      charts.push({ id, group, title, svg: null, skipped: `its query failed: ${e.message}`, queries: [{ sql: e.sql, columns: [], rows: [] }] });
    }
  }
  if (signals.length === 0) charts.push(skipped('signals', 'Signal distributions', 'Signals', 'docs has no numeric columns'));
  return charts;
}
