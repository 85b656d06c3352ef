/**
 * Where the CPU of the images path goes, per image, step by step, on the WARCs scripts/bench-images.ts
 * builds (real article pages + distinct 1024x768 JPEGs). Each step runs alone over every image, one
 * at a time, and is timed in process CPU (user + sys of all threads: libvips and onnxruntime work on
 * their own threads), so the numbers hold on a loaded machine where wall time does not.
 *
 *   npx tsx scripts/profile-images.ts [--dir /tmp/bench-images] [--images 720] [--nsfw 120]
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { loadNsfwClassifier } from '../stages/images/nsfw.ts';
import { colorHistogram, perceptualHash } from '../stages/images/phash.ts';
import { decodeThumbnail, readHeader } from '../stages/images/sharp.ts';
import { WarcImageIndex } from '../stages/images/warc-index.ts';
import { readWarc } from '../stages/read/warc.ts';
import { loadConfig } from '../pipeline/config.ts';
import { Counters } from '../pipeline/stats.ts';
import type { StageContext } from '../pipeline/stage.ts';

const { values } = parseArgs({ options: { dir: { type: 'string' }, images: { type: 'string' }, nsfw: { type: 'string' } } });
const DIR = values.dir ?? '/tmp/bench-images';
const meta = JSON.parse(readFileSync(`${DIR}/pages-images-${values.images ?? 720}.json`, 'utf8')) as { files: string[]; pages: number; images: number };
const NSFW_N = Number(values.nsfw ?? 120);
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

async function cpu<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const c0 = process.cpuUsage();
  const value = await run();
  const c = process.cpuUsage(c0);
  return { ms: (c.user + c.system) / 1000, value };
}
const line = (what: string, ms: number, n: number) => console.log(`${what.padEnd(58)} ${(ms / n).toFixed(2).padStart(7)} ms/image  (${(ms / 1000).toFixed(2)} s over ${n})`);

console.log(`# profile-images, ${meta.files.length} WARCs, ${meta.pages} pages, ${meta.images} images; load ${load()}`);
const n = meta.images;

// The reader's pass over the files (pages extracted to strings; image records skipped, i.e. inflated).
const ctx: StageContext = {
  config: loadConfig(),
  counters: new Counters(),
  reject: () => {},
  emit: () => {},
  resources: new Map(),
  unit: 'profile',
  segment: 'profile#0',
  signal: new AbortController().signal,
  log: () => {},
};
let t = await cpu(async () => {
  for (const f of meta.files) for await (const _p of readWarc(f, ctx)) void _p;
});
line('reader pass (pages read, image records skipped)', t.ms, n);

const idx = await cpu(async () => {
  const index = new WarcImageIndex();
  for (const f of meta.files) await index.addFile(f);
  return index;
});
line('image index pass (headers, bodies drained)', idx.ms, n);

const urls: string[] = [];
for (const f of meta.files) for await (const p of readWarc(f, ctx)) void p;
// Every indexed URL, in file order.
const refs = [...(idx.value as unknown as { byUrl: Map<string, unknown> }).byUrl.keys()];
urls.push(...refs);
const read = await cpu(async () => {
  const out: Buffer[] = [];
  for (const u of urls) out.push(await idx.value.read(idx.value.get(u)!, u));
  return out;
});
line('read one record by offset (inflate + HTTP head)', read.ms, urls.length);
const bytes = read.value;

t = await cpu(async () => {
  for (const b of bytes) createHash('sha256').update(b).digest('hex');
});
line('sha256 of the bytes', t.ms, bytes.length);
t = await cpu(async () => {
  for (const b of bytes) await readHeader(b);
});
line('readHeader (sharp metadata)', t.ms, bytes.length);
for (const side of [224, 64, 32]) {
  t = await cpu(async () => {
    for (const b of bytes) await decodeThumbnail(b, side, 50_000_000);
  });
  line(`decodeThumbnail ${side}x${side} (fill)`, t.ms, bytes.length);
}
const thumbs = await Promise.all(bytes.map((b) => decodeThumbnail(b, 224, 50_000_000)));
t = await cpu(async () => {
  for (const th of thumbs) {
    perceptualHash(th, 224);
    colorHistogram(th);
  }
});
line('pHash + colour histogram of a 224 thumbnail', t.ms, thumbs.length);
for (const [threads, batch] of [[1, 1], [1, 8], [1, 16]] as const) {
  const classify = await loadNsfwClassifier({ threads, batch });
  await Promise.all(thumbs.slice(0, 16).map((th) => classify(th)));
  t = await cpu(async () => void (await Promise.all(thumbs.slice(0, NSFW_N).map((th) => classify(th)))));
  line(`NSFW onnxruntime, ${threads} thread, batches up to ${batch}`, t.ms, Math.min(NSFW_N, thumbs.length));
}
console.log(`load ${load()}`);
