/**
 * `corpus run <inputs…> --out DIR`: the pipeline over archives and pages (pipeline/run.ts), then the
 * images table compacted and, with --pack, the packed buckets.
 */
import { intOpt, parse, shardOf, UsageError } from '../args.ts';
import { loadConfig } from '../config.ts';

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    out: { type: 'string', short: 'o' },
    config: { type: 'string' },
    limit: { type: 'string' },
    force: { type: 'boolean' },
    workers: { type: 'string', short: 'w' },
    'heap-mb': { type: 'string' },
    rank: { type: 'string' },
    'world-size': { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    offline: { type: 'boolean' },
    'allow-private-network': { type: 'boolean' },
    pack: { type: 'boolean' },
  });
  if (positionals.length === 0) throw new UsageError('corpus run needs inputs: WARC files, HTML files or directories');
  if (!values.out) throw new UsageError('corpus run needs --out DIR (where the Parquet shards go)');
  const config = loadConfig(values.config);
  config.run.limit = intOpt(values.limit, 'limit', config.run.limit);
  if (values.offline) config.images.offline = true;
  if (values['allow-private-network']) config.fetch.allowPrivateNetwork = true;
  const { rank, worldSize } = shardOf(values);
  const workers = values.workers === undefined ? undefined : intOpt(values.workers, 'workers', 1);
  if (workers === 0) throw new UsageError('--workers must be at least 1');
  // Loaded here, not at the top: DuckDB and every stage cost ~0.5 s of CPU at start-up that other
  // commands (corpus extract over a few pages) do not need.
  const { runCorpus } = await import('../run.ts');
  const { formatFunnel } = await import('../funnel.ts');
  const result = await runCorpus({
    inputs: positionals,
    out: values.out,
    config,
    force: values.force,
    rank,
    worldSize,
    workers,
    workerHeapMb: values['heap-mb'] === undefined ? undefined : Math.max(64, intOpt(values['heap-mb'], 'heap-mb', 1024)),
    progress: !values.quiet,
  });
  if (!values.quiet) process.stderr.write(formatFunnel(result.stats) + '\n');
  process.stderr.write(
    `done: ${result.unitsDone} units run, ${result.unitsSkipped} already complete, ${result.unitsFailed.length} failed; ` +
      `${result.docs} docs, ${result.rejects} rejects -> ${values.out}\n`,
  );
  if (result.unitsFailed.length > 0) {
    process.stderr.write(`failed units (rerun the same command to retry them):\n${result.unitsFailed.map((f) => `  ${f.unit}: ${f.error}`).join('\n')}\n`);
    return 3;
  }
  // Images once per image_id, sorted: only when this process saw the whole input (other ranks may still be writing).
  if (worldSize === 1) await (await import('./images.ts')).compactImages(values.out);
  else process.stderr.write(`run corpus images ${values.out} once every rank is done (one row per image, sorted by image_id)\n`);
  if (values.pack && worldSize > 1) process.stderr.write(`--pack skipped with --world-size ${worldSize}: run corpus pack ${values.out} once every rank is done\n`);
  else if (values.pack) await (await import('./pack.ts')).packAfterRun(values.out, config);
  return 0;
}
