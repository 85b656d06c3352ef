/**
 * The Hugging Face dataset card of an output dir: `README.md` with one `configs:` entry per table
 * folder (its `data_files` glob), a short description and each table's schema, so that
 * `load_dataset(out, 'docs' | 'packed' | 'images' | 'varlen' …)` reads one table (without a card,
 * `load_dataset(out)` unions every table and fails on their different columns). Rewritten by every
 * command that adds or replaces a table (run, pack, schedule, export-varlen, images, dedup).
 * Card format: https://huggingface.co/docs/hub/datasets-manual-configuration
 */
import { readdir, readFile } from 'node:fs/promises';
import { writeFileAtomically } from '../stages/lib/atomic.ts';
import { join, resolve } from 'node:path';
import type { ColumnSpec } from '../schemas/doc.ts';
import { DOC_BASE_COLUMNS, REJECT_EXTRA_COLUMNS, STATS_COLUMNS } from '../schemas/tables.ts';
import { Db, sqlString } from '../stages/lib/duckdb.ts';
import { packedColumns } from '../stages/pack/index.ts';

/** What each table is, in one line (tables not listed get their folder name). */
const TABLES: Record<string, string> = {
  docs: 'one row per kept document: text and images in reading order (`segments`), signals, token ids and V2PE positions',
  images: 'one row per image (`image_id` = sha256 of the original bytes), sorted by image_id; `bytes` holds the image',
  packed: 'Dataset-Decomposition chunks: `packed/len=N` holds sequences of at most N tokens (`input_ids`, `labels`, `position_ids`, `image_spans`)',
  varlen: 'packed chunks of one bucket concatenated up to a token budget, with `cu_seqlens` (flash-attention varlen / Megatron THD)',
  schedule: 'the Grow-P2 curriculum: one row per optimizer step with its bucket and the `seq_index` of its sequences',
  rejects: 'every dropped document with the stage, reason and detail',
  stats: 'counters per unit and stage (records, drops by reason, errors, images removed by reason)',
  quality_segments: 'signals of every text segment checked by the quality stage (and the text of removed ones)',
};

/** Column descriptions the card prints beside the types (the tables' own ColumnSpecs). */
function knownColumns(): Map<string, Map<string, string>> {
  const m = new Map<string, Map<string, string>>();
  const add = (table: string, cols: ColumnSpec[]) => {
    const t = m.get(table) ?? new Map<string, string>();
    for (const c of cols) t.set(c.name, c.description);
    m.set(table, t);
  };
  add('docs', DOC_BASE_COLUMNS);
  add('rejects', [...DOC_BASE_COLUMNS, ...REJECT_EXTRA_COLUMNS]);
  add('stats', STATS_COLUMNS);
  add('packed', packedColumns);
  return m;
}

/** Table folders of `out`: directories not starting with `_` or `.` that hold Parquet files. */
export async function tableFolders(out: string): Promise<{ name: string; glob: string; files: string[] }[]> {
  const tables = [];
  for (const e of (await readdir(out, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!e.isDirectory() || e.name.startsWith('_') || e.name.startsWith('.')) continue;
    const files = (await readdir(join(out, e.name), { recursive: true, withFileTypes: true }))
      .filter((f) => f.isFile() && !f.name.startsWith('.'))
      .map((f) => join(f.parentPath, f.name).slice(join(out, e.name).length + 1))
      .sort();
    const parquet = files.filter((f) => f.endsWith('.parquet'));
    if (parquet.length === 0) continue;
    // packed/len=N/part-*.parquet: one level of partition folders.
    const nested = parquet.some((f) => f.includes('/'));
    tables.push({ name: e.name, glob: `${e.name}/${nested ? '*/' : ''}*.parquet`, files });
  }
  return tables;
}

const yamlString = (s: string) => JSON.stringify(s); // a JSON string is a valid YAML flow scalar
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Write `out/README.md`. Extra column descriptions (e.g. stage signals) may be passed in. */
export async function writeDatasetCard(out: string, extra: Record<string, ColumnSpec[]> = {}): Promise<string> {
  const tables = await tableFolders(out);
  const known = knownColumns();
  for (const [t, cols] of Object.entries(extra)) for (const c of cols) (known.get(t) ?? known.set(t, new Map()).get(t)!).set(c.name, c.description);
  let manifest: { version?: string; configHash?: string; rows?: Record<string, number> } | null = null;
  try {
    manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
  } catch {
    /* not a corpus run dir (e.g. corpus dedup output) */
  }
  const db = await Db.open({ threads: 1 });
  const schemas = new Map<string, { name: string; type: string }[]>();
  try {
    for (const t of tables) {
      const rows = await db.all(
        `DESCRIBE SELECT * FROM read_parquet(${sqlString(resolve(out, t.glob))}, union_by_name = true, hive_partitioning = false)`,
      );
      schemas.set(t.name, rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) })));
    }
  } finally {
    db.close();
  }
  const dflt = tables.some((t) => t.name === 'docs') ? 'docs' : tables[0]?.name;
  const yaml = ['---', 'configs:'];
  for (const t of tables) {
    yaml.push(`- config_name: ${t.name}`);
    if (t.name === dflt) yaml.push('  default: true');
    yaml.push('  data_files:', '  - split: train', `    path: ${yamlString(t.glob)}`);
  }
  if (tables.length === 0) yaml.push('[]');
  yaml.push('tags:', '- interleaved', '- image-text', '- multimodal', '---');
  const lines = [
    ...yaml,
    '',
    '# Interleaved image-text corpus',
    '',
    'Web pages turned into documents of text and images in reading order by interleaved-corpus' +
      (manifest?.version ? ` ${manifest.version}` : '') +
      (manifest?.configHash ? ` (config ${manifest.configHash}, in manifest.json)` : '') +
      ': filtered for language, quality, safety, duplicates and coherence, tokenized with V2PE positions, and packed ' +
      'into Dataset-Decomposition buckets. Every table folder holds only Parquet; run metadata is in `manifest.json`, ' +
      '`stats.json` and `_meta/`.',
    '',
    'Each table is one config: `load_dataset("<this dir>", "docs")`, `"packed"`, `"images"`, `"varlen"`. ' +
      'Image tokens always have pixels: `docs.segments[i].image_id` and `packed.image_spans[j].image_id` are keys of ' +
      '`images.image_id` (one row per image, sorted by image_id, so a lookup reads few row groups).',
    '',
  ];
  for (const t of tables) {
    lines.push(`## ${t.name}`, '', TABLES[t.name] ?? `table \`${t.name}\``, '', `Files: \`${t.glob}\``, '');
    const desc = known.get(t.name);
    lines.push('| column | type | description |', '|---|---|---|');
    for (const c of schemas.get(t.name) ?? []) lines.push(`| \`${c.name}\` | \`${cell(c.type)}\` | ${cell(desc?.get(c.name) ?? '')} |`);
    lines.push('');
  }
  const path = join(out, 'README.md');
  await writeFileAtomically(path, lines.join('\n'));
  return path;
}
