/**
 * `corpus dedup <out-dir…> --out DIR`: the global dedup pass over shards written by `corpus run`
 * (on one machine or many). Writes removal lists (removals, boilerplate, image_removals,
 * image_clusters) that each shard can be filtered by, and with --apply the filtered docs of every
 * shard under DIR/docs/shard=<name>/, so `corpus query DIR` shows the deduplicated corpus; documents
 * whose segments it cut get their token and position columns recomputed (../retokenize.ts).
 *
 * `--phase index|cluster|apply [--rank i --world-size n|auto]` runs one phase of it as one task of a
 * job array (stages/dedup/global.ts); without --phase the three run in this process.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, shardOf, UsageError } from '../args.ts';
import { loadConfig, mergeConfig, type Config } from '../config.ts';
import { retokenizeApplied } from '../retokenize.ts';
import {
  applyPhase,
  clusterPhase,
  globalDedup,
  indexPhase,
  parquetGlob,
  shardDedupConfig,
  type AppliedShard,
  type ApplyShard,
  type GlobalDedupSummary,
} from '../../stages/dedup/global.ts';
import { describeBanding } from '../../stages/dedup/index.ts';

const USAGE = 'usage: corpus dedup <out-dir…> --out DIR [--phase index|cluster|apply [--rank i --world-size n|auto] [--force]] [--threshold J] [--apply] [--config f.json]';

export async function dedupCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    out: { type: 'string', short: 'o' },
    config: { type: 'string' },
    threshold: { type: 'string' },
    apply: { type: 'boolean' },
    phase: { type: 'string' },
    rank: { type: 'string' },
    'world-size': { type: 'string' },
    force: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  });
  if (positionals.length === 0) throw new UsageError(USAGE);
  if (!values.out) throw new UsageError('corpus dedup needs --out DIR (where the removal lists go)');
  const phase = values.phase;
  if (phase !== undefined && !['index', 'cluster', 'apply'].includes(phase)) throw new UsageError(`--phase is index, cluster or apply, got ${phase}`);
  if (phase === undefined && (values['world-size'] !== undefined || values.rank !== undefined)) {
    throw new UsageError('--rank/--world-size go with --phase index or apply (without --phase everything runs in this process)');
  }
  if (phase === 'cluster' && (values['world-size'] !== undefined || values.rank !== undefined)) {
    throw new UsageError('--phase cluster is one task: it takes no --rank/--world-size (it finds the index tasks under --out)');
  }
  // Parameters: the shards' own (from their manifests) unless a --config file says otherwise; the
  // near-duplicate threshold can be retuned here without reprocessing anything.
  let dedup = values.config ? loadConfig(values.config).dedup : ((await shardDedupConfig(positionals).catch((e) => {
    throw new UsageError((e as Error).message);
  })) ?? loadConfig().dedup);
  if (values.threshold !== undefined) {
    const t = Number(values.threshold);
    if (!(t > 0 && t <= 1)) throw new UsageError(`--threshold is a Jaccard similarity in (0, 1], got ${values.threshold}`);
    dedup = mergeConfig(dedup, { nearDup: { threshold: t } });
  }
  const log = values.quiet ? () => {} : (m: string) => process.stderr.write(`${m}\n`);
  const shards = { dirs: positionals, out: values.out, config: dedup, log };
  // Tokens of the documents apply cut are recomputed with the shard's own config before the file is renamed into place.
  let notRetokenized = 0;
  const post = async (file: string, s: ApplyShard): Promise<Record<string, unknown>> => {
    const original = await parquetGlob(s.dir, 'docs');
    if (!original) return {};
    const t0 = Date.now();
    try {
      const r = await retokenizeApplied(file, original, await shardRunConfig(s.dir, values.config));
      if (r.changed) log(`dedup: shard ${s.name}: ${r.retokenized} of ${r.changed} cut documents retokenized in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      for (const f of r.failed) log(`dedup: shard ${s.name}: ${f.docId} kept without tokens: ${f.reason}`);
      return { retokenized: { ...r, failed: r.failed.length } };
    } catch (e) {
      // E.g. the run's tokenizer.json is not where its manifest says: the shard's cut documents keep
      // the run's token columns, which summary.json and the exit code say.
      const error = `tokens of the cut documents not recomputed: ${(e as Error).message}`;
      notRetokenized++;
      process.stderr.write(`dedup: shard ${s.name}: ${error} (make the run's tokenizer available and rerun corpus dedup --apply)\n`);
      return { retokenized: { error } };
    }
  };
  if (phase === 'index') {
    const m = await indexPhase({ ...shards, ...shardOf(values), force: values.force });
    process.stderr.write(`dedup index ${m.rank}/${m.worldSize}: ${m.pairs} pairs -> ${values.out}\n`);
    return 0;
  }
  if (phase === 'cluster') {
    report(await clusterPhase({ ...shards, force: values.force }), values.out);
    return 0;
  }
  if (phase === 'apply') {
    const done = await applyPhase({ ...shards, ...shardOf(values), force: values.force, post });
    process.stderr.write(`dedup apply: ${done.length} shards, ${done.reduce((n, a) => n + a.rows, 0)} docs kept -> ${values.out}\n`);
    return done.some((a) => (a.retokenized as { error?: string } | undefined)?.error) ? 1 : 0;
  }
  log(`dedup: ${describeBanding(dedup.nearDup)}`);
  const summary = await globalDedup({ ...shards, apply: values.apply, post });
  if (summary.applied) {
    // summary.json gains what was redone, so a later reader knows the token columns are current.
    const retokenized = Object.fromEntries(summary.applied.map((a: AppliedShard) => [a.shard, a.retokenized ?? { changed: 0, retokenized: 0, failed: 0 }]));
    const file = join(values.out, 'summary.json');
    await writeFile(file, JSON.stringify({ ...JSON.parse(await readFile(file, 'utf8')), keptDocs: summary.keptDocs, retokenized }, null, 2) + '\n');
  }
  report(summary, values.out);
  return notRetokenized ? 1 : 0;
}

function report(summary: GlobalDedupSummary, out: string): void {
  const r = summary.removals;
  process.stderr.write(
    `dedup: ${summary.nodes} docs in ${summary.shards.length} shards; ${summary.edges.url} URL + ${summary.edges.near} near-duplicate edges, ` +
      `${summary.components} clusters; remove ${summary.removalsInDocs} docs from docs (dup_url ${r.dup_url ?? 0}, near_dup ${r.near_dup ?? 0}, ` +
      `boilerplate_only ${r.boilerplate_only ?? 0}); ${summary.boilerplateParagraphs} boilerplate paragraphs, ${summary.logoImages} logo images; ` +
      `${summary.keptDocs} docs kept; ${summary.seconds.toFixed(1)} s -> ${out}\n`,
  );
}

/** The config a shard was run with (its manifest), for redoing its tokens; else --config or the defaults. */
async function shardRunConfig(dir: string, configFile: string | undefined): Promise<Config> {
  try {
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { config?: unknown };
    if (m.config) return loadConfig(undefined, m.config);
  } catch {
    /* no manifest: fall through */
  }
  return loadConfig(configFile);
}
