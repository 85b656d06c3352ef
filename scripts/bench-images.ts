/**
 * Images benchmark, old path beside new on the same input and the same machine:
 *
 *  micro   decode + hash throughput on 1024x768 JPEGs, and NSFW scoring of 224x224 thumbnails in
 *          memory: nsfwjs on tfjs-WASM (the old scorer, test/helpers/nsfwjs-reference.ts) vs the same
 *          weights on onnxruntime (stages/images/nsfw.ts), CPU ms per image and images/s;
 *  parity  NSFW scores of onnxruntime vs nsfwjs on every real image of ../shared/corpus that decodes
 *          (max abs difference over the 5 classes);
 *  warc    `corpus run --offline --workers 2` (a child process; RSS and CPU of the process tree sampled
 *          every 100 ms) on two WARCs of real article pages from ../shared/corpus/html with distinct
 *          1024x768 JPEGs archived beside them at the URLs the pages use; the old path is the tree of
 *          --old-rev (default: main before issue #18) unpacked with `git archive` next to this
 *          checkout's node_modules. Prints images/s, CPU seconds per 1,000 images, peak RSS, and
 *          the nsfw_score difference between the two runs' images tables.
 *
 * The JPEGs are made from the corpus's real images (81, none larger than 1800x89 / 384x229): each
 * is a 2x2 mosaic of four of them, zoomed, cropped, flipped and colour-shifted at random, with
 * Gaussian sensor noise (sigma 6), JPEG q85 (~330 KB: more entropy than a typical photo), all distinct.
 * Pages: those whose extracted image count is 2-12 (720 images on 160 pages). Kept in --dir.
 *
 *   npx tsx scripts/bench-images.ts [--only micro,parity,warc] [--images 200] [--nsfw 40]
 *       [--warc-images 720] [--workers 2] [--old-rev 7e93764] [--dir /tmp/bench-images]
 */
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import PQueue from 'p-queue';
import sharp from 'sharp';
import { queryCorpus } from '../pipeline/query.ts';
import { extractHtml } from '../stages/extract/index.ts';
import { loadNsfwClassifier, type NsfwScores } from '../stages/images/nsfw.ts';
import { colorHistogram, perceptualHash } from '../stages/images/phash.ts';
import { decodeThumbnail, readHeader } from '../stages/images/sharp.ts';
import { WarcWriter } from '../stages/lib/warc-writer.ts';
import { corpusImages } from '../test/helpers/corpus-images.ts';
import { corpusPages } from '../test/helpers/corpus-warc.ts';
import { loadNsfwjsReference } from '../test/helpers/nsfwjs-reference.ts';
import { makeImage } from '../test/fetch-site.ts';
import { rssAndCpu, tree } from './lib/process-tree.ts';
import { sharedCorpus } from './lib/shared-corpus.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    images: { type: 'string' },
    nsfw: { type: 'string' },
    'warc-images': { type: 'string' },
    workers: { type: 'string' },
    'old-rev': { type: 'string' },
    dir: { type: 'string' },
  },
});
const only = new Set((values.only ?? 'micro,parity,warc').split(','));
const N = Number(values.images ?? 200);
const NSFW_N = Number(values.nsfw ?? 40);
const WARC_IMAGES = Number(values['warc-images'] ?? 720);
const WORKERS = Number(values.workers ?? 2);
const OLD_REV = values['old-rev'] ?? '7e93764';
const DIR = values.dir ?? '/tmp/bench-images';
const ROOT = new URL('..', import.meta.url).pathname;

const rate = (n: number, ms: number) => `${((n * 1000) / ms).toFixed(1)} images/s`;
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
const CLASSES = ['drawing', 'hentai', 'neutral', 'porn', 'sexy'] as const;
const maxDiff = (a: NsfwScores, b: NsfwScores) => Math.max(...CLASSES.map((k) => Math.abs(a[k] - b[k])));

console.log(`# bench-images, Node ${process.version}, ${new Date().toISOString()}, load ${load()} (2-core machine shared with other jobs)`);

/** Time `n` calls (after a warm-up), wall and process CPU (all threads). */
async function timed(n: number, run: () => Promise<void>): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  return { wall: performance.now() - t0, cpu: cpuMs(process.cpuUsage(c0)) / n };
}

if (only.has('micro')) {
  console.log(`\n## micro: ${N} distinct 1024x768 JPEGs (q85)`);
  const jpegs: Buffer[] = [];
  for (let i = 0; i < N; i++) jpegs.push(await makeImage(1024, 768, 'jpeg', i + 1));
  const decodeAndHash = async (bytes: Buffer, side: number) => {
    createHash('sha256').update(bytes).digest('hex');
    await readHeader(bytes);
    const thumb = await decodeThumbnail(bytes, side, 50_000_000);
    return [perceptualHash(thumb, side), colorHistogram(thumb)] as const;
  };
  // The references/node-ecosystem.md §4.4 operation measured here and now, so the ratio survives a loaded machine.
  for (const inFlight of [1, 4]) {
    const q = new PQueue({ concurrency: inFlight });
    const refOp = async (b: Buffer) => {
      await sharp(b).metadata();
      return sharp(b).greyscale().resize(64, 64, { fit: 'fill' }).raw().toBuffer();
    };
    await Promise.all(jpegs.slice(0, 8).map((b) => q.add(() => refOp(b))));
    const t = await timed(N, () => Promise.all(jpegs.map((b) => q.add(() => refOp(b)))).then(() => {}));
    console.log(`reference: sharp metadata + 64x64 grey raw (§4.4), ${inFlight} in flight: ${rate(N, t.wall)}, CPU ${t.cpu.toFixed(2)} ms/image`);
  }
  for (const side of [64, 224]) {
    for (const inFlight of [1, 4]) {
      const q = new PQueue({ concurrency: inFlight });
      await Promise.all(jpegs.slice(0, 8).map((b) => q.add(() => decodeAndHash(b, side))));
      const t = await timed(N, () => Promise.all(jpegs.map((b) => q.add(() => decodeAndHash(b, side)))).then(() => {}));
      console.log(`decode+sha256+pHash+hist to ${side}x${side}, ${inFlight} in flight: ${rate(N, t.wall)}, CPU ${t.cpu.toFixed(2)} ms/image`);
    }
  }
  const thumbs = await Promise.all(jpegs.slice(0, NSFW_N).map((b) => decodeThumbnail(b, 224, 50_000_000)));
  const reference = await loadNsfwjsReference();
  await reference(thumbs[0]!);
  let t = await timed(NSFW_N, async () => {
    for (const th of thumbs) await reference(th);
  });
  console.log(`NSFW old: nsfwjs MobileNetV2 on tfjs-WASM, 224x224 in memory, one at a time: ${rate(NSFW_N, t.wall)}, CPU ${t.cpu.toFixed(1)} ms/image`);
  for (const [threads, batch] of [[1, 1], [1, 8], [2, 1], [2, 8]] as const) {
    const classify = await loadNsfwClassifier({ threads, batch });
    await Promise.all(thumbs.slice(0, 8).map((th) => classify(th)));
    t = await timed(NSFW_N, () => Promise.all(thumbs.map((th) => classify(th))).then(() => {}));
    console.log(`NSFW new: same weights on onnxruntime, ${threads} thread${threads > 1 ? 's' : ''}, batches up to ${batch}: ${rate(NSFW_N, t.wall)}, CPU ${t.cpu.toFixed(1)} ms/image`);
  }
}

if (only.has('parity')) {
  const images = await corpusImages(sharedCorpus());
  const reference = await loadNsfwjsReference();
  const classify = await loadNsfwClassifier({ threads: 1, batch: 8 });
  let worst = { diff: 0, url: '' };
  let scored = 0;
  let undecodable = 0;
  for (const img of images) {
    let thumb: Buffer;
    try {
      thumb = await decodeThumbnail(img.bytes, 224, 50_000_000);
    } catch {
      undecodable++;
      continue;
    }
    const d = maxDiff(await classify(thumb), await reference(thumb));
    scored++;
    if (d >= worst.diff) worst = { diff: d, url: img.url };
  }
  console.log(`\n## parity: NSFW scores, onnxruntime vs nsfwjs (tfjs-WASM), every real image of ../shared/corpus/warc`);
  console.log(`${scored} images scored (${undecodable} do not decode), max abs difference over 5 classes ${worst.diff.toExponential(2)} (${worst.url}); ≤ 1e-3: ${worst.diff <= 1e-3 ? 'yes' : 'NO'}`);
}

/** Deterministic PRNG (xorshift32) in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** One distinct 1024x768 photo-like JPEG from four real corpus images (see the header comment). */
async function mosaicJpeg(sources: Buffer[], seed: number): Promise<Buffer> {
  const r = rng(seed * 2654435761);
  const tiles = await Promise.all(
    [0, 1, 2, 3].map(async (k) => {
      const src = sources[Math.floor(r() * sources.length)]!;
      const zoom = 1 + r() * 0.6;
      const w = Math.round(512 * zoom);
      const h = Math.round(384 * zoom);
      let img = sharp(src).flatten({ background: '#ffffff' }).resize(w, h, { fit: 'cover' });
      img = sharp(await img.raw().toBuffer(), { raw: { width: w, height: h, channels: 3 } })
        .extract({ left: Math.floor(r() * (w - 512)), top: Math.floor(r() * (h - 384)), width: 512, height: 384 })
        .modulate({ brightness: 0.85 + r() * 0.3, saturation: 0.8 + r() * 0.4, hue: Math.round(r() * 60 - 30) });
      if (r() < 0.5) img = img.flop();
      return { input: await img.png({ compressionLevel: 0 }).toBuffer(), left: (k % 2) * 512, top: Math.floor(k / 2) * 384 };
    }),
  );
  const px = await sharp({ create: { width: 1024, height: 768, channels: 3, background: '#808080' } }).composite(tiles).raw().toBuffer();
  // Sensor-like noise (Gaussian, sigma 6) so that no two images share bytes and the JPEG has a photo's entropy.
  for (let i = 0; i < px.length; i += 2) {
    const u = Math.max(r(), 1e-9);
    const v = r();
    const m = 6 * Math.sqrt(-2 * Math.log(u));
    px[i] = Math.max(0, Math.min(255, px[i]! + m * Math.cos(2 * Math.PI * v)));
    if (i + 1 < px.length) px[i + 1] = Math.max(0, Math.min(255, px[i + 1]! + m * Math.sin(2 * Math.PI * v)));
  }
  return sharp(px, { raw: { width: 1024, height: 768, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
}

/** Two WARCs of real article pages, each page followed by the JPEGs it shows (built once, kept in DIR). */
async function buildWarcs(): Promise<{ files: string[]; pages: number; images: number; bytes: number }> {
  const files = [0, 1].map((i) => path.join(DIR, `pages-images-${WARC_IMAGES}-${i}.warc.gz`));
  const meta = path.join(DIR, `pages-images-${WARC_IMAGES}.json`);
  if (files.every(existsSync) && existsSync(meta)) return JSON.parse(readFileSync(meta, 'utf8'));
  mkdirSync(DIR, { recursive: true });
  const t0 = performance.now();
  const sources = (await corpusImages(sharedCorpus())).map((i) => i.bytes).filter((b) => !b.subarray(0, 256).toString('latin1').includes('<svg'));
  const writers = await Promise.all(files.map((f) => WarcWriter.open(f, { description: 'bench-images: corpus pages with 1024x768 JPEGs' })));
  const hashes = new Set<string>();
  let pages = 0;
  let images = 0;
  let bytes = 0;
  const date = '2026-11-28T00:00:00Z';
  try {
    const all = await corpusPages(sharedCorpus());
    for (let copy = 0; images < WARC_IMAGES && copy < 50; copy++) {
      for (const p of all) {
        if (images >= WARC_IMAGES) break;
        const url = `https://copy${copy}.corpus.example/${p.name}`;
        const urls = [...new Set(extractHtml(p.html.toString('utf8'), url).segments.filter((s) => s.kind === 'image' && s.url).map((s) => s.url!))];
        // Article pages with a handful of pictures (the 120 pages / 720 images = 6 a page).
        if (urls.length < 2 || urls.length > 12) continue;
        const w = writers[pages % 2]!;
        await w.writeExchange({ url, date, status: 200, headers: { 'Content-Type': 'text/html' }, body: p.html });
        pages++;
        for (const u of urls.slice(0, WARC_IMAGES - images)) {
          const jpeg = await mosaicJpeg(sources, images + 1);
          const h = createHash('sha256').update(jpeg).digest('hex');
          if (hashes.has(h)) throw new Error('bench-images: two generated JPEGs are identical');
          hashes.add(h);
          await w.writeExchange({ url: u, date, status: 200, headers: { 'Content-Type': 'image/jpeg', 'Content-Length': String(jpeg.length) }, body: jpeg });
          images++;
          bytes += jpeg.length;
        }
      }
    }
  } finally {
    await Promise.all(writers.map((w) => w.close()));
  }
  const out = { files, pages, images, bytes };
  writeFileSync(meta, JSON.stringify(out));
  console.log(`built ${files.length} WARCs: ${pages} pages, ${images} distinct JPEGs (${(bytes / images / 1024).toFixed(0)} KB average) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return out;
}

class SkipOld extends Error {}

interface RunResult {
  seconds: number;
  cpu: number;
  peakRss: number;
  analysed: number;
  out: string;
}

/** `corpus run` of the tree at `root` as a child process; RSS and CPU of its process tree sampled every 100 ms. */
async function corpusRun(label: string, root: string, inputs: string[], out: string): Promise<RunResult> {
  rmSync(out, { recursive: true, force: true });
  const loadBefore = load();
  const t0 = performance.now();
  const args = [path.join(root, 'pipeline/bin.mjs'), 'run', ...inputs, '--out', out, '--workers', String(WORKERS), '--quiet', '--offline'];
  const child = spawn('node', args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b) => (stderr += b));
  const exited = once(child, 'exit');
  let done = false;
  void exited.then(() => (done = true));
  let peakRss = 0;
  let cpu = 0;
  while (!done) {
    const s = await rssAndCpu(await tree(child.pid!));
    peakRss = Math.max(peakRss, s.rss);
    cpu = Math.max(cpu, s.cpu);
    await new Promise((r) => setTimeout(r, 100));
  }
  const [code] = await exited;
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`${label}: corpus run exited ${code}\n${stderr.slice(-2000)}`);
  const [row] = await queryCorpus(out, 'SELECT count(*) AS n FROM images WHERE reason IS NULL AND nsfw_score IS NOT NULL');
  const analysed = Number(row!.n);
  console.log(
    `${label.padEnd(44)} ${rate(analysed, seconds * 1000).padStart(16)}  ${analysed} images in ${seconds.toFixed(1)} s  ` +
      `CPU ${cpu.toFixed(1)} s = ${((cpu / analysed) * 1000).toFixed(0)} core-s per 1,000 images  peak RSS ${(peakRss / 1e6).toFixed(0)} MB  load ${loadBefore} -> ${load()}`,
  );
  return { seconds, cpu, peakRss, analysed, out };
}

if (only.has('warc')) {
  const warcs = await buildWarcs();
  console.log(`\n## warc: corpus run --offline --workers ${WORKERS} on ${warcs.files.length} WARCs, ${warcs.pages} real article pages, ${warcs.images} distinct 1024x768 JPEGs (${(warcs.bytes / warcs.images / 1024).toFixed(0)} KB average)`);
  const oldRoot = mkdtempSync(path.join(tmpdir(), 'bench-images-old-'));
  try {
    const rev = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']).toString().trim();
    if (OLD_REV === 'none') {
      // Only this tree (no side-by-side run): e.g. while profiling.
      await corpusRun(`this tree (${rev})`, ROOT, warcs.files, path.join(DIR, 'out-new'));
      throw new SkipOld();
    }
    execFileSync('sh', ['-c', `git -C "${ROOT}" archive ${OLD_REV} | tar -x -C "${oldRoot}"`]);
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(oldRoot, 'node_modules'));
    const oldRun = await corpusRun(`old (${OLD_REV})`, oldRoot, warcs.files, path.join(DIR, 'out-old'));
    const newRun = await corpusRun(`new (${rev})`, ROOT, warcs.files, path.join(DIR, 'out-new'));
    console.log(`new / old: ${((newRun.analysed / newRun.seconds) / (oldRun.analysed / oldRun.seconds)).toFixed(1)}x images/s, ${(oldRun.cpu / oldRun.analysed / (newRun.cpu / newRun.analysed)).toFixed(1)}x less CPU per image, peak RSS ${(newRun.peakRss / 1e6).toFixed(0)} vs ${(oldRun.peakRss / 1e6).toFixed(0)} MB`);
    const diff = await queryCorpus(
      newRun.out,
      `SELECT count(*) AS n, max(greatest(abs(o.nsfw_porn - n.nsfw_porn), abs(o.nsfw_hentai - n.nsfw_hentai), abs(o.nsfw_sexy - n.nsfw_sexy))) AS d
       FROM read_parquet('${oldRun.out}/images/*.parquet') o JOIN read_parquet('${newRun.out}/images/*.parquet') n USING (image_id)
       WHERE o.nsfw_score IS NOT NULL AND n.nsfw_score IS NOT NULL`,
    );
    console.log(`nsfw scores, old run vs new run, same image_id: ${diff[0]!.n} images, max abs difference of porn/hentai/sexy ${Number(diff[0]!.d).toExponential(2)}`);
  } catch (err) {
    if (!(err instanceof SkipOld)) throw err;
  } finally {
    rmSync(oldRoot, { recursive: true, force: true });
  }
}
console.log(`\nbench process peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
