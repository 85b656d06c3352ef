/**
 * `corpus dedup <out-dir…> --out DIR`: the global dedup pass over shards written by `corpus run`
 * (on one machine or many). Writes removal lists (removals, boilerplate, image_removals,
 * image_clusters) that each shard can be filtered by, and with --apply the filtered docs of every
 * shard under DIR/docs/shard=<name>/, so `corpus query DIR` shows the deduplicated corpus; documents
 * whose segments it cut get their token and position columns recomputed (../retokenize.ts).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, UsageError } from '../cli.ts';
import { loadConfig, mergeConfig, type Config } from '../config.ts';
import { retokenizeApplied, type RetokenizeResult } from '../retokenize.ts';
import { GlobalDedupError, globalDedup, parquetGlob, shardDedupConfig } from '../../stages/dedup/global.ts';
import { describeBanding } from '../../stages/dedup/index.ts';

export async function dedupCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    out: { type: 'string', short: 'o' },
    config: { type: 'string' },
    threshold: { type: 'string' },
    apply: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  });
  if (positionals.length === 0) throw new UsageError('usage: corpus dedup <out-dir…> --out DIR [--threshold J] [--apply] [--config f.json]');
  if (!values.out) throw new UsageError('corpus dedup needs --out DIR (where the removal lists go)');
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
  log(`dedup: ${describeBanding(dedup.nearDup)}`);
  let summary;
  try {
    summary = await globalDedup({ dirs: positionals, out: values.out, config: dedup, apply: values.apply, log });
  } catch (e) {
    if (e instanceof GlobalDedupError) throw new UsageError(e.message);
    throw e;
  }
  let shardsNotRetokenized = 0;
  if (values.apply) {
    const retokenized: Record<string, (Omit<RetokenizeResult, 'failed'> & { failed: number }) | { error: string }> = {};
    for (let i = 0; i < positionals.length; i++) {
      const name = summary.shards[i]!;
      const applied = join(values.out, 'docs', `shard=${name}`, 'part-0.parquet');
      const original = await parquetGlob(positionals[i]!, 'docs');
      if (!original || !existsSync(applied)) continue;
      const t0 = Date.now();
      let r: RetokenizeResult;
      try {
        r = await retokenizeApplied(applied, original, await shardRunConfig(positionals[i]!, values.config));
      } catch (e) {
        // E.g. the run's tokenizer.json is not where its manifest says: the shard's cut documents keep
        // the run's token columns, which summary.json and the exit code say.
        const error = `tokens of the cut documents not recomputed: ${(e as Error).message}`;
        retokenized[name] = { error };
        shardsNotRetokenized++;
        process.stderr.write(`dedup: shard ${name}: ${error} (make the run's tokenizer available and rerun corpus dedup --apply)\n`);
        continue;
      }
      retokenized[name] = { ...r, failed: r.failed.length };
      if (r.changed) log(`dedup: shard ${name}: ${r.retokenized} of ${r.changed} cut documents retokenized in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      for (const f of r.failed) log(`dedup: shard ${name}: ${f.docId} kept without tokens: ${f.reason}`);
    }
    // summary.json gains what was redone, so a later reader knows the token columns are current.
    const file = join(values.out, 'summary.json');
    await writeFile(file, JSON.stringify({ ...JSON.parse(await readFile(file, 'utf8')), retokenized }, null, 2) + '\n');
  }
  const r = summary.removals;
  process.stderr.write(
    `dedup: ${summary.nodes} docs in ${summary.shards.length} shards; ${summary.edges.url} URL + ${summary.edges.near} near-duplicate edges, ` +
      `${summary.components} clusters; remove ${summary.removalsInDocs} docs from docs (dup_url ${r.dup_url ?? 0}, near_dup ${r.near_dup ?? 0}, ` +
      `boilerplate_only ${r.boilerplate_only ?? 0}); ${summary.boilerplateParagraphs} boilerplate paragraphs, ${summary.logoImages} logo images; ` +
      `${summary.keptDocs} docs kept; ${summary.seconds.toFixed(1)} s -> ${values.out}\n`,
  );
  return shardsNotRetokenized ? 1 : 0;
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
