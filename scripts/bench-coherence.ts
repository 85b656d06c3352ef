/**
 * Throughput of the coherence stage's work (measure + segment drops + decision) on every real HTML page
 * of ../shared/corpus/html, beside the extract stage on the same pages as the reference, plus peak RSS.
 * Then the stage inside a real `corpus run` (one worker; the three HTML page sets and two WARCs of the
 * corpus, images offline, NSFW off): its docs/s from the run's stats (time:cumulative_seconds of
 * coherence minus that of dedup, the stage before it), wall and CPU (time:cumulative_cpu_seconds). Single-threaded; the machine is shared, so
 * compare runs made at the same time.
 *
 *   npx tsx scripts/bench-coherence.ts [--seconds 5] [--no-run]
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Doc } from '../schemas/doc.ts';
import { extractHtml } from '../stages/extract/index.ts';
import { applyCoherence, coherenceDefaults } from '../stages/coherence/index.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { defaultConfig, mergeConfig } from '../pipeline/config.ts';
import { runCorpus } from '../pipeline/run.ts';
import { queryCorpus } from '../pipeline/query.ts';
import { sharedCorpus } from './lib/shared-corpus.ts';

const CORPUS = sharedCorpus();
const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, 'no-run': { type: 'boolean', default: false } } });
const budget = Number(args.seconds) * 1000;

const pages: { file: string; html: string }[] = [];
for (const set of ['readability', 'newspaper4k', 'magic-html']) {
  const dir = join(CORPUS, 'html', set);
  for (const f of readdirSync(dir).sort()) {
    if (f.endsWith('.html') && !f.endsWith('.expected.html')) pages.push({ file: f, html: readFileSync(join(dir, f), 'utf8') });
  }
}

/**
 * CPU seconds of this thread alone (Linux: /proc/thread-self/schedstat, nanoseconds on a core), NaN elsewhere.
 * process.cpuUsage also counts V8's GC helper threads (~40% more on these pages) and, in a run, DuckDB's.
 */
function threadCpu(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e9;
  } catch {
    return NaN;
  }
}

function timed(label: string, fn: () => number): void {
  let docs = 0;
  let units = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  const thread0 = threadCpu();
  while (performance.now() - start < budget) {
    units += fn();
    docs += pages.length;
  }
  const s = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu0);
  const cpu = (used.user + used.system) / 1e6; // the shared machine's load bends wall time, not CPU time
  const own = threadCpu() - thread0;
  console.log(
    `${label.padEnd(34)} ${(docs / s).toFixed(0).padStart(6)} docs/s wall  ${(docs / cpu).toFixed(0).padStart(6)} docs/CPU-s  ` +
      `${(docs / own).toFixed(0).padStart(6)} docs/thread-CPU-s  ${(units / cpu).toFixed(0).padStart(8)} segments/CPU-s`,
  );
}

const docs: Doc[] = pages.map((p) => {
  const ex = extractHtml(p.html, 'http://fakehost/test/page.html');
  return {
    id: p.file, url: 'http://fakehost/', domain: 'fakehost', title: ex.title, fetchedAt: null,
    source: { file: p.file, offset: 0, recordId: null, recordType: 'file' }, lang: null, langScore: null, segments: ex.segments, signals: {},
  };
});
const segments = docs.reduce((n, d) => n + d.segments.length, 0);
console.log(`${pages.length} real pages (whole pages through the extract walk), ${Math.round(segments / docs.length)} segments/doc on average; ${args.seconds} s per line`);
timed('reference: extract (parse + walk)', () => pages.reduce((n, p) => n + extractHtml(p.html, 'http://fakehost/').segments.length, 0));
/** Coherence over every doc (with `lang`, or unknown when undefined); returns the segments seen. */
function coherenceAll(lang?: string): number {
  let n = 0;
  for (const d of docs) {
    applyCoherence({ ...d, ...(lang ? { lang } : {}), segments: [...d.segments], signals: {} }, coherenceDefaults);
    n += d.segments.length;
  }
  return n;
}
timed('coherence (lang = eng)', () => coherenceAll('eng'));
timed('coherence (lang unknown)', () => coherenceAll());
console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (one core of a shared 2-core machine)`);

if (!args['no-run']) {
  const out = mkdtempSync(join(tmpdir(), 'bench-coherence-'));
  const inputs = [
    ...['readability', 'newspaper4k', 'magic-html'].map((d) => join(CORPUS, 'html', d)),
    join(CORPUS, 'warc/netarchivesuite__solrwayback/IAH-20080430204825-00000-blackbook.warc.gz'),
    join(CORPUS, 'warc/chatnoir-eu__chatnoir-resiliparse/warcfile.warc.gz'),
  ];
  try {
    const config = mergeConfig(defaultConfig, { images: { nsfw: false, offline: true } });
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await runCorpus({ inputs, out, config, workers: 1, progress: false, log: () => {} });
    const wall = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(cpu0);
    const cpu = (used.user + used.system) / 1e6;
    const rows = await queryCorpus(out, `
      SELECT stage, sum(value) FILTER (WHERE counter = 'in') AS docs_in,
             sum(value) FILTER (WHERE counter = 'time:cumulative_seconds') AS cum_s,
             sum(value) FILTER (WHERE counter = 'time:cumulative_cpu_seconds') AS cum_cpu
      FROM stats GROUP BY stage ORDER BY cum_s`);
    const at = (name: string) => rows.find((r) => r.stage === name)!;
    const coh = at('coherence');
    const own = Number(coh.cum_s) - Number(at('dedup').cum_s);
    console.log(`\ncorpus run (1 worker, ${inputs.length} inputs, ${wall.toFixed(1)} s wall, ${cpu.toFixed(1)} CPU-s in this process, load ${loadavg()[0]!.toFixed(1)}): coherence saw ${coh.docs_in} docs in ` +
      `${own.toFixed(2)} s of its own (cumulative ${Number(coh.cum_s).toFixed(2)} s minus dedup's ${Number(at('dedup').cum_s).toFixed(2)} s) ` +
      `= ${(Number(coh.docs_in) / own).toFixed(0)} docs/s`);
    // The same from the run's CPU counter (time:cumulative_cpu_seconds): on a loaded machine wall time counts the waits for a core.
    const ownCpu = Number(coh.cum_cpu) - Number(at('dedup').cum_cpu);
    console.log(`  in CPU: ${ownCpu.toFixed(2)} CPU-s of its own = ${(Number(coh.docs_in) / ownCpu).toFixed(0)} docs/CPU-s`);
    for (const r of rows) console.log(`  ${String(r.stage).padEnd(10)} in ${String(r.docs_in ?? '-').padStart(5)}  cumulative ${Number(r.cum_s).toFixed(2)} s, ${Number(r.cum_cpu).toFixed(2)} CPU-s`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
