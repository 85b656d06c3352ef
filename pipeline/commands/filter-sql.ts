/**
 * `corpus filter-sql`: the keep/drop decisions of the stages (images NSFW, langid, quality, safety, coherence, pixels) as SQL
 * over the stored signal columns, for a config. Retune a threshold in a config file, print the SQL,
 * and query the existing output to see the effect without reprocessing:
 *
 *   corpus filter-sql --config retuned.json                 # WHERE clauses and reason expressions
 *   corpus filter-sql --config retuned.json --recheck out/  # rows whose stored decision differs
 *
 * With the config of the run, --recheck must print no disagreement (test/langid-filters-sql.test.ts).
 */
import { parse, UsageError } from '../args.ts';
import { loadConfig, type Config } from '../config.ts';
import { openCorpus } from '../query.ts';
import { documentRules, planStages } from '../stages.ts';
import { dropReasonSql, keepSql, type Rule } from '../../stages/lib/rules.ts';
import { qualitySegmentRules } from '../../stages/quality/index.ts';

export interface FilterSql {
  stage: string;
  rules: Rule[];
  /** Expression: the drop reason of a docs/rejects row, NULL when the stage keeps it. */
  reason: string;
  /** WHERE condition true for rows the stage keeps. */
  keep: string;
}

/** Document-level decisions of every stage that states them as rules (Stage.rules), in pipeline order. */
export function filterSql(config: Config): FilterSql[] {
  return documentRules(config).map(({ stage, rules }) => ({ stage, rules, reason: dropReasonSql(rules), keep: keepSql(rules) }));
}

/** Segment-level decision of the quality stage over the `quality_segments` table. */
export function qualitySegmentSql(config: Config): { reason: string; keep: string } {
  const rules = qualitySegmentRules(config.quality);
  return { reason: dropReasonSql(rules), keep: keepSql(rules) };
}

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * One query listing every row whose stored decision disagrees with the SQL decision of `config`:
 * for each filter stage, the documents that reached it (kept docs + rejects of that stage or a later
 * one) must be dropped by exactly the stage and reason recorded. Rejects with `error:*` reasons are
 * left out (no decision was made). Columns: check_stage, doc_id, url, stage, reason, recomputed.
 */
export function recheckSql(config: Config): string {
  const order = planStages(config).docStages.map((s) => s.name);
  const parts = filterSql(config).map(({ stage, reason }) => {
    const reached = order.slice(Math.max(0, order.indexOf(stage)));
    return `SELECT ${q(stage)} AS check_stage, doc_id, url, stage, reason, ${reason} AS recomputed
      FROM (SELECT * FROM docs UNION ALL BY NAME SELECT * FROM rejects WHERE stage IN (${reached.map(q).join(', ')}))
      WHERE NOT (stage = ${q(stage)} AND reason LIKE 'error:%')`;
  });
  return `SELECT * FROM (${parts.join('\nUNION ALL\n')})
    WHERE (stage = check_stage AND recomputed IS DISTINCT FROM reason)
       OR (stage IS DISTINCT FROM check_stage AND recomputed IS NOT NULL)`;
}

/** Rows of `quality_segments` whose stored `dropped` differs from the SQL segment decision. */
export function recheckSegmentsSql(config: Config): string {
  return `SELECT doc_id, seg_index, dropped, ${qualitySegmentSql(config).reason} AS recomputed
    FROM quality_segments WHERE recomputed IS DISTINCT FROM dropped`;
}

export async function filterSqlCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { config: { type: 'string' }, recheck: { type: 'string' } });
  if (positionals.length > 0) throw new UsageError('usage: corpus filter-sql [--config f.json] [--recheck OUT_DIR]');
  const config = loadConfig(values.config);
  if (!values.recheck) {
    for (const f of filterSql(config)) {
      process.stdout.write(`-- ${f.stage}: drop reason (NULL = kept)\n${f.reason}\n-- ${f.stage}: kept rows\nWHERE ${f.keep}\n\n`);
    }
    const seg = qualitySegmentSql(config);
    process.stdout.write(`-- quality segments (table quality_segments): drop reason\n${seg.reason}\n`);
    return 0;
  }
  const db = await openCorpus(values.recheck);
  try {
    const docs = await db.all(recheckSql(config));
    let segs: unknown[] = [];
    const hasSegments = (await db.all(`SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'quality_segments'`))[0]!.n;
    if (Number(hasSegments) > 0) segs = await db.all(recheckSegmentsSql(config));
    for (const r of docs.slice(0, 50)) process.stdout.write(`${JSON.stringify(r)}\n`);
    process.stdout.write(`${docs.length} document decisions and ${segs.length} segment decisions differ from this config\n`);
    return docs.length + segs.length === 0 ? 0 : 1;
  } finally {
    db.close();
  }
}
