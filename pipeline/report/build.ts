/**
 * `corpus report`: one self-contained HTML page about an output directory: overview counts, the
 * filter funnel, languages, length and image histograms, Dataset-Decomposition buckets, signal
 * distributions with their thresholds, and a sample of kept and rejected documents.
 *
 * Everything is read through the views of `corpus query` (openCorpus), aggregated in SQL; the only
 * rows read whole are the sampled documents and their images.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomically } from '../../stages/lib/atomic.ts';
import { basename, join, resolve } from 'node:path';
import { openCorpus } from '../query.ts';
import { buildCharts, signalColumns, type Chart, type QueryResult } from './charts.ts';
import { VIEWER_LIMITS, loadThumbnails, renderDocument, sampleDocuments } from './documents.ts';
import { esc, fmtNum, page } from './html.ts';
import { has, readSchema, type Schema } from './schema.ts';
import { thresholdsFor, type Threshold } from './thresholds.ts';
import type { Db } from '../../stages/lib/duckdb.ts';

export interface ReportOptions {
  /** Kept documents and rejected documents each in the viewer (default 20). */
  sample?: number;
}

export interface ReportResult {
  html: string;
  charts: Chart[];
  /** Documents rendered in the viewer. */
  documents: number;
  seconds: number;
}

interface Manifest {
  version?: string;
  configHash?: string;
  config?: unknown;
  updatedAt?: string;
  units?: unknown[];
}

async function readManifest(outDir: string): Promise<Manifest> {
  try {
    return JSON.parse(await readFile(join(outDir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return {};
  }
}

const GROUPS: { name: string; id: string }[] = [
  { name: 'Filter funnel', id: 'g-funnel' },
  { name: 'Languages and sources', id: 'g-languages' },
  { name: 'Lengths and images', id: 'g-lengths' },
  { name: 'Training sequences', id: 'g-training' },
  { name: 'Signal distributions', id: 'g-signals' },
];

async function overview(db: Db, schema: Schema): Promise<QueryResult> {
  const parts = ['(SELECT count(*) FROM docs) AS docs', '(SELECT count(*) FROM rejects) AS rejects'];
  if (has(schema, 'stats', 'stage', 'counter', 'value')) parts.push(`(SELECT sum(value) FROM stats WHERE stage = 'read' AND counter = 'html') AS html_pages`);
  if (has(schema, 'docs', 'num_tokens')) parts.push('(SELECT sum(num_tokens) FROM docs) AS tokens');
  if (has(schema, 'docs', 'num_images')) parts.push('(SELECT sum(num_images) FROM docs) AS image_segments');
  if (has(schema, 'images')) parts.push('(SELECT count(*) FROM images) AS images');
  if (has(schema, 'packed')) parts.push('(SELECT count(*) FROM packed) AS packed_sequences');
  const sql = `SELECT ${parts.join(',\n       ')}`;
  const t0 = performance.now();
  const { columns, rows } = await db.table(sql);
  return { sql, columns, rows, seconds: (performance.now() - t0) / 1000 };
}

function dataTable(q: QueryResult, maxRows = 50): string {
  const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const head = `<tr>${q.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const body = q.rows.slice(0, maxRows).map((r) => `<tr>${r.map((v) => `<td>${esc(cell(v).slice(0, 200))}</td>`).join('')}</tr>`).join('');
  const more = q.rows.length > maxRows ? `<p class="desc">… ${q.rows.length - maxRows} more rows</p>` : '';
  return `<table class="data">${head}${body}</table>${more}`;
}

function sqlDetails(queries: QueryResult[], outDir: string): string {
  if (queries.length === 0) return '';
  const rows = queries.reduce((n, q) => n + q.rows.length, 0);
  const seconds = queries.reduce((n, q) => n + (q.seconds ?? 0), 0);
  return (
    `<details class="sql"><summary>SQL and data (${rows} row${rows === 1 ? '' : 's'}, ${seconds.toFixed(2)} s)</summary>` +
    queries.map((q) => `<pre>${esc(q.sql)}</pre>${dataTable(q)}`).join('') +
    `<p class="desc">Rerun: <code>npx corpus query ${esc(outDir)} "…"</code></p></details>`
  );
}

function chartSection(c: Chart, outDir: string): string {
  return (
    `<section class="chart-section" id="chart-${esc(c.id)}" data-chart="${esc(c.id)}"${c.svg ? '' : ' data-skipped="true"'}>` +
    `<h2>${esc(c.title)}</h2>` +
    (c.description ? `<p class="desc">${esc(c.description)}</p>` : '') +
    (c.svg ?? `<p class="skipped">Skipped: ${esc(c.skipped ?? '')}.</p>`) +
    sqlDetails(c.queries, outDir) +
    '</section>'
  );
}

export async function buildReport(outDir: string, opts: ReportOptions = {}): Promise<ReportResult> {
  const started = performance.now();
  const n = opts.sample ?? 20;
  const manifest = await readManifest(outDir);
  const config = manifest.config; // undefined when the run recorded none: no threshold lines then
  const db = await openCorpus(outDir);
  let body: string;
  let charts: Chart[];
  let documents: number;
  try {
    const schema = await readSchema(db);
    const counts = await overview(db, schema);
    charts = await buildCharts({ db, schema, config });
    const docSql: string[] = [];
    const t0 = performance.now();
    const docs = await sampleDocuments(db, outDir, schema, n, docSql);
    const t1 = performance.now();
    const { thumbs, note } = await loadThumbnails(db, schema, docs, docSql);
    const sampleTimes = `sample ${((t1 - t0) / 1000).toFixed(2)} s, images ${((performance.now() - t1) / 1000).toFixed(2)} s`;
    documents = docs.length;
    const thresholds = new Map<string, Threshold[]>(signalColumns(schema).map((c) => [c, thresholdsFor(c, config)]));
    const seconds = (performance.now() - started) / 1000;

    const cards = counts.columns
      .map((c, i) => `<div class="card"><div class="v">${esc(fmtNum(Number(counts.rows[0]?.[i] ?? 0)))}</div><div class="k">${esc(c.replace(/_/g, ' '))}</div></div>`)
      .join('');
    const reasons = [...new Set(docs.filter((d) => d.kind === 'rejected').map((d) => `${d.row.stage ?? '?'}:${d.row.reason ?? '?'}`))].sort();
    const sections = GROUPS.map((g) => {
      const inGroup = charts.filter((c) => c.group === g.name);
      return inGroup.length ? `<h2 class="group" id="${g.id}">${esc(g.name)}</h2>${inGroup.map((c) => chartSection(c, outDir)).join('')}` : '';
    }).join('');
    const viewer = [
      `<section class="docs" id="documents"><h2 class="group">Documents</h2>`,
      `<p class="desc">A deterministic sample of up to ${n} kept and ${n} rejected documents (every language and every drop reason first), each rendered in reading order: text blocks and images as they are interleaved. Signals outside a configured threshold are red. ` +
        `Per document at most ${VIEWER_LIMITS.segmentsPerDoc} segments, ${fmtNum(VIEWER_LIMITS.textCharsPerDoc)} characters and ${VIEWER_LIMITS.imagesPerDoc} embedded images (${VIEWER_LIMITS.thumbSide} px).</p>`,
      note ? `<p class="desc">${esc(note)}.</p>` : '',
      `<div class="toolbar"><label>Show <select id="f-kind"><option value="all">kept and rejected</option><option value="kept">kept</option><option value="rejected">rejected</option></select></label>`,
      `<label>Reason <select id="f-reason"><option value="">any</option>${reasons.map((r) => `<option value="${esc(r)}">${esc(r)}</option>`).join('')}</select></label>`,
      `<label>Text <input id="f-text" type="search" placeholder="search the sample"></label><span class="count" id="f-count"></span></div>`,
      docs.length ? docs.map((d, i) => renderDocument(d, i, thumbs, thresholds)).join('') : '<p class="skipped">No documents in this output.</p>',
      `<details class="sql"><summary>SQL of the sample (${sampleTimes})</summary>${docSql.map((s) => `<pre>${esc(s)}</pre>`).join('')}</details>`,
      '</section>',
    ].join('');

    const meta = [
      manifest.version ? `interleaved-corpus ${manifest.version}` : null,
      manifest.configHash ? `config ${manifest.configHash}` : null,
      Array.isArray(manifest.units) ? `${manifest.units.length} units` : null,
      manifest.updatedAt ? `updated ${manifest.updatedAt}` : null,
      `views: ${[...schema.keys()].sort().join(', ')}`,
    ].filter(Boolean);
    body = [
      `<header class="top"><h1>Corpus report: ${esc(basename(resolve(outDir)))}</h1><div class="meta">${esc(resolve(outDir))}</div><div class="meta">${esc(meta.join(' · '))}</div></header>`,
      `<nav class="toc"><a href="#overview">Overview</a>${GROUPS.map((g) => `<a href="#${g.id}">${esc(g.name)}</a>`).join('')}<a href="#documents">Documents</a></nav>`,
      `<main><section id="overview"><div class="cards">${cards}</div>`,
      `<p class="desc">Every chart is plain SQL over the views of <code>corpus query</code> (open "SQL and data" under it); rerun it with <code>npx corpus query ${esc(outDir)} "&lt;sql&gt;"</code>.</p>`,
      sqlDetails([counts], outDir),
      `</section>${sections}${viewer}</main>`,
      `<footer>Built in ${seconds.toFixed(1)} s by <code>corpus report</code>.</footer>`,
    ].join('\n');
  } finally {
    db.close();
  }
  return { html: page(`Corpus report: ${basename(resolve(outDir))}`, body), charts, documents, seconds: (performance.now() - started) / 1000 };
}

/** Build the report and write it atomically to `file`. */
export async function writeReport(outDir: string, file: string, opts: ReportOptions = {}): Promise<ReportResult> {
  const result = await buildReport(outDir, opts);
  await writeFileAtomically(file, result.html);
  return result;
}
