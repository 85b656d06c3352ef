/**
 * Throughput of the training-ready end of the pipeline, on real data of this machine:
 *   1. tokenizer MB/s on the text segments the extract stage makes of ../shared/corpus/html pages,
 *      native `tokenizers` vs pure-JS `@huggingface/tokenizers` (the reference), same Qwen3 vocabulary;
 *   2. packing tokens/s over the docs of a finished run (`--run DIR`, a `corpus run` output with the
 *      tokenize and positions stages): the decomposition alone in memory, the DuckDB read alone
 *      (the I/O floor, the reference), and `corpus pack` end to end; peak RSS.
 *
 *   npx tsx scripts/bench-pack.ts [--run DIR] [--passes 2]
 *
 * The machine has 2 cores shared with other engineers: numbers are medians of a few passes and noisy.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { extractHtml } from '../stages/extract/index.ts';
import { loadTokenizer, type TextTokenizer } from '../stages/tokenize/tokenizer.ts';
import { segmentImageSpans } from '../stages/lib/v2pe.ts';
import { packDefaults, packDocument, type DocImage } from '../stages/pack/index.ts';
import { packCorpus } from '../pipeline/commands/pack.ts';
import { openCorpus } from '../pipeline/query.ts';
import { sharedCorpus } from './lib/shared-corpus.ts';

const { values } = parseArgs({ options: { run: { type: 'string' }, passes: { type: 'string' } } });
const passes = Number(values.passes ?? 2);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rssMB = () => Math.round(process.resourceUsage().maxRSS / 1024);

// ---- 1. tokenizer ------------------------------------------------------------------------------
function pageTexts(): string[][] {
  const root = sharedCorpus('html');
  const docs: string[][] = [];
  for (const sub of readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)) {
    for (const f of readdirSync(join(root, sub))) {
      if (!f.endsWith('.html') || f.endsWith('.expected.html')) continue;
      const ex = extractHtml(readFileSync(join(root, sub, f), 'utf8'), `https://example.org/${f}`);
      const texts = ex.segments.filter((s) => s.kind === 'text' && s.text).map((s, i) => (i > 0 ? '\n\n' : '') + s.text!);
      if (texts.length) docs.push(texts);
    }
  }
  return docs;
}

async function tokenizerPass(tok: TextTokenizer, docs: string[][], inFlight: number): Promise<{ seconds: number; tokens: number }> {
  const t0 = performance.now();
  let tokens = 0;
  let next = 0;
  // like the stage: one encodeBatch per document, `inFlight` documents at a time
  const worker = async () => {
    while (next < docs.length) {
      const r = await tok.encodeBatch(docs[next++]!);
      for (const ids of r.ids) tokens += ids.length;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { seconds: (performance.now() - t0) / 1000, tokens };
}

const docs = pageTexts();
const bytes = docs.flat().reduce((n, t) => n + Buffer.byteLength(t), 0);
console.log(`tokenizer input: ${docs.length} pages from ../shared/corpus/html, ${docs.flat().length} text segments, ${(bytes / 1e6).toFixed(2)} MB UTF-8`);
for (const [backend, inFlight] of [['js', 1], ['native', 1], ['native', 4]] as const) {
  const t0 = performance.now();
  const tok = await loadTokenizer(null, backend);
  const load = (performance.now() - t0) / 1000;
  const runs = [];
  for (let p = 0; p < passes; p++) runs.push(await tokenizerPass(tok, docs, inFlight));
  const s = median(runs.map((r) => r.seconds));
  console.log(
    `  ${backend.padEnd(6)} ${inFlight} doc(s) in flight: load ${load.toFixed(1)} s, ${(bytes / 1e6 / s).toFixed(2)} MB/s, ` +
      `${((runs[0]!.tokens / s) / 1e3).toFixed(0)} k tokens/s (${runs[0]!.tokens} tokens), peak RSS ${rssMB()} MB`,
  );
}

// ---- 2. packing --------------------------------------------------------------------------------
if (values.run) {
  const run = values.run;
  const db = await openCorpus(run);
  const sql = `SELECT doc_id, input_ids, list_transform(segments, lambda s: {'kind': s.kind, 'tokens': s.tokens, 'tiles': s.tiles, 'delta': s.delta, 'image_id': s.image_id}) AS segments FROM docs`;
  // reference: stream the docs' token lists from Parquet into JS, nothing else
  let t0 = performance.now();
  const mem: { id: string; ids: number[]; images: DocImage[] }[] = [];
  let tokens = 0;
  for await (const batch of db.batches(sql)) {
    for (const r of batch) {
      const ids = r.input_ids as number[];
      tokens += ids.length;
      const segs = r.segments as { kind: string; tokens: number | null; tiles: number | null; delta: number | null; image_id: string | null }[];
      const images = segmentImageSpans(segs).spans.map((s) => ({ offset: s.offset, length: s.length, imageId: segs[s.segment]!.image_id, tiles: segs[s.segment]!.tiles ?? 0, delta: segs[s.segment]!.delta ?? 1 }));
      mem.push({ id: String(r.doc_id), ids, images });
    }
  }
  const readS = (performance.now() - t0) / 1000;
  db.close();
  console.log(`packing input: ${run}, ${mem.length} docs, ${tokens} tokens`);
  console.log(`  DuckDB read of docs.input_ids into JS (reference): ${readS.toFixed(2)} s, ${(tokens / readS / 1e6).toFixed(2)} M tokens/s`);
  // the decomposition + labels + positions alone, in memory
  const times = [];
  for (let p = 0; p < passes; p++) {
    t0 = performance.now();
    for (const d of mem) packDocument({ docId: d.id, inputIds: d.ids, images: d.images }, packDefaults);
    times.push((performance.now() - t0) / 1000);
  }
  const packS = median(times);
  console.log(`  packDocument in memory: ${packS.toFixed(2)} s, ${(tokens / packS / 1e6).toFixed(2)} M tokens/s`);
  mem.length = 0;
  const dest = mkdtempSync(join(tmpdir(), 'bench-pack-'));
  const e2e = [];
  for (let p = 0; p < passes; p++) {
    t0 = performance.now();
    await packCorpus(run, packDefaults, () => {}, join(dest, 'packed'));
    e2e.push((performance.now() - t0) / 1000);
  }
  const e2eS = median(e2e);
  console.log(`  corpus pack end to end (read, decompose, write zstd Parquet): ${e2eS.toFixed(2)} s, ${(tokens / e2eS / 1e6).toFixed(2)} M tokens/s, peak RSS ${rssMB()} MB`);
  rmSync(dest, { recursive: true, force: true });
}
