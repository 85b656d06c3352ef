/**
 * `corpus <command>`: the command table (argument helpers shared with the commands: args.ts). Each command is a function
 * from argv to an exit code; user mistakes print one line that says what to do, and exit 2.
 */
import { CorpusError } from '../stages/lib/errors.ts';

type Command = (argv: string[]) => Promise<number>;

const USAGE = `usage: corpus <command> [options]

commands:
  run <inputs…> --out DIR     run the pipeline over WARC, ARC or WACZ files, HTML files, directories or quoted globs
      [--config f.json] [--limit N] [--force] [--workers N] [--heap-mb MB] [--rank i --world-size n|auto]
      [--quiet] [--pack]
      [--offline] [--allow-private-network]   images: no HTTP (WARC + cache only) / allow fetching from private addresses
  extract <inputs…>           print extracted documents, one JSON line per page (the same extract code):
                              HTML files, .html.gz, directories (recursively), archives; a page that fails
                              is reported on stderr and the rest go on (exit 1 if any failed)
      [--format jsonl|markdown|text] [--url U] [--limit N] [--config f.json]
  query <dir…> "<sql>"        SQL over the Parquet output (views: docs, rejects, stats, images, packed …)
      [--format table|csv|json]
  crawl <urls.txt> --out F.warc.gz   fetch pages (and --images) politely into a WARC for corpus run
      [--images] [--allow-private-network] [--ignore-robots] [--config f.json]
  dedup <out-dir…> --out DIR  global dedup over shards: removal lists; --apply writes the filtered docs
      [--threshold J] [--apply] [--config f.json]
      [--phase index|cluster|apply [--rank i --world-size n|auto] [--force]]   spread over machines
  filter-sql [--config f.json] [--recheck DIR]
                              the stages' document decisions (Stage.rules) as SQL over the signal columns; --recheck
                              lists stored decisions that differ from the config's
  report <out-dir>            one self-contained HTML page: funnel, histograms, signals, sample documents
      [--out report.html] [--sample N]
  sample [--out DIR]          build the embedded sample WARC and run the pipeline on it (npm start)
  images <out-dir>            rewrite images/ as one row per image_id, sorted (done by run; after many ranks, run it once)
  pack <out-dir>              Dataset-Decomposition buckets of the tokenized docs -> packed/len=N/*.parquet
      [--min-log2 8] [--max-log2 13] [--min-follow 1] [--config f.json]
  schedule <out-dir>          Grow-P2 curriculum batch order of the packed buckets -> schedule/*.parquet
      --tokens-per-step T [--cycles 8] [--odds 32,16,8,4,2,1] [--seed 0]
  export-varlen <out-dir>     packed chunks concatenated up to a token budget with cu_seqlens -> varlen/*.parquet
      [--tokens-per-row B]
  export-wds <out-dir> --out DIR   WebDataset tar shards with the images inside, plus Energon's .nv-meta
      [--what docs|packed] [--shard-bytes N]
  help                        this text`;

const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./commands/run.ts')).runCommand,
  query: async () => (await import('./commands/query.ts')).queryCommand,
  extract: async () => (await import('./commands/extract.ts')).extractCommand,
  sample: async () => (await import('./commands/sample.ts')).sampleCommand,
  crawl: async () => (await import('./commands/crawl.ts')).crawlCommand,
  dedup: async () => (await import('./commands/dedup.ts')).dedupCommand,
  'filter-sql': async () => (await import('./commands/filter-sql.ts')).filterSqlCommand,
  report: async () => (await import('./commands/report.ts')).reportCommand,
  images: async () => (await import('./commands/images.ts')).imagesCommand,
  pack: async () => (await import('./commands/pack.ts')).packCommand,
  schedule: async () => (await import('./commands/schedule.ts')).scheduleCommand,
  'export-wds': async () => (await import('./commands/export-wds.ts')).exportWdsCommand,
  'export-varlen': async () => (await import('./commands/export-varlen.ts')).exportVarlenCommand,
};

/** The lines of USAGE about one command: its line and the indented option lines under it. */
export function commandUsage(name: string): string {
  const lines = USAGE.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`  ${name} `) || l === `  ${name}`);
  const out = [`usage: corpus ${lines[at]!.trim()}`];
  for (const l of lines.slice(at + 1)) {
    if (!l.startsWith('      ')) break;
    out.push(l);
  }
  return out.join('\n');
}


export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`corpus: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')}; see corpus help)\n`);
    return 2;
  }
  const end = rest.indexOf('--');
  if ((end < 0 ? rest : rest.slice(0, end)).some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(`${commandUsage(name)}\n`);
    return 0;
  }
  try {
    return await (await load())(rest);
  } catch (e) {
    // The user's to fix (UsageError, ConfigError, InputError, ...): one line, exit 2.
    if (e instanceof CorpusError && e.userError) {
      process.stderr.write(`corpus ${name}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
