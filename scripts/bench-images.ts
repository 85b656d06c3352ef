/**
 * Images benchmark (the reference sharp operation is imported directly, as a yardstick only): decode + hash throughput on 1024x768 JPEGs, NSFW scoring throughput, and the
 * whole images stage (cache -> header -> thumbnail -> pHash/histogram [-> NSFW] -> table row).
 * Reference beside each number: references/node-ecosystem.md §4.4 / §3 measured on this machine
 * type (metadata + 64x64 grey raw with 4 in flight: 321/s; nsfwjs wasm MobileNetV2: 16.3/s).
 *
 *   npx tsx scripts/bench-images.ts [--images 200] [--nsfw 40]
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import PQueue from 'p-queue';
import sharp from 'sharp';
import { defaultConfig, mergeConfig } from '../pipeline/config.ts';
import { Counters } from '../pipeline/stats.ts';
import type { StageContext } from '../pipeline/stage.ts';
import type { Doc } from '../schemas/doc.ts';
import { imagesStage } from '../stages/images/index.ts';
import { loadNsfwClassifier } from '../stages/images/nsfw.ts';
import { colorHistogram, perceptualHash } from '../stages/images/phash.ts';
import { decodeThumbnail, readHeader } from '../stages/images/sharp.ts';
import { cachePath } from '../stages/images/source.ts';
import { makeImage } from '../test/fetch-site.ts';

const { values } = parseArgs({ options: { images: { type: 'string' }, nsfw: { type: 'string' } } });
const N = Number(values.images ?? 200);
const NSFW_N = Number(values.nsfw ?? 40);

const rssMb = () => (process.resourceUsage().maxRSS / 1024).toFixed(0);
const rate = (n: number, ms: number) => `${((n * 1000) / ms).toFixed(1)} images/s`;

console.log(`# bench-images: ${N} distinct 1024x768 JPEGs (q85), Node ${process.version}, shared 2-core machine`);
const t0 = performance.now();
const jpegs: Buffer[] = [];
for (let i = 0; i < N; i++) jpegs.push(await makeImage(1024, 768, 'jpeg', i + 1));
const avgKb = jpegs.reduce((n, b) => n + b.length, 0) / N / 1024;
console.log(`fixtures: ${N} in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${avgKb.toFixed(0)} KB average`);

async function decodeAndHash(bytes: Buffer, side: number) {
  createHash('sha256').update(bytes).digest('hex');
  await readHeader(bytes);
  const thumb = await decodeThumbnail(bytes, side, 50_000_000);
  return [perceptualHash(thumb, side), colorHistogram(thumb)] as const;
}

// The §4.4 reference operation measured here and now, so the ratio survives a loaded machine.
for (const inFlight of [1, 4]) {
  const q = new PQueue({ concurrency: inFlight });
  const refOp = async (b: Buffer) => {
    await sharp(b).metadata();
    return sharp(b).greyscale().resize(64, 64, { fit: 'fill' }).raw().toBuffer();
  };
  await Promise.all(jpegs.slice(0, 8).map((b) => q.add(() => refOp(b))));
  const t = performance.now();
  await Promise.all(jpegs.map((b) => q.add(() => refOp(b))));
  console.log(`reference now: sharp metadata + 64x64 grey raw (§4.4), ${inFlight} in flight: ${rate(N, performance.now() - t)}`);
}

for (const [side, label] of [[64, 'hash only (nsfw off)'], [224, 'hash + NSFW input']] as const) {
  for (const inFlight of [1, 4]) {
    const q = new PQueue({ concurrency: inFlight });
    await Promise.all(jpegs.slice(0, 8).map((b) => q.add(() => decodeAndHash(b, side)))); // warm-up
    const t = performance.now();
    await Promise.all(jpegs.map((b) => q.add(() => decodeAndHash(b, side))));
    console.log(
      `decode+sha256+pHash+hist, ${side}x${side} thumbnail (${label}), ${inFlight} in flight: ${rate(N, performance.now() - t)}` +
        `   [§4.4 on a quiet box: ${inFlight === 1 ? '201' : '321'}/s metadata + 64x64 grey]`,
    );
  }
}

const classify = await loadNsfwClassifier();
const thumbs = await Promise.all(jpegs.slice(0, NSFW_N).map((b) => decodeThumbnail(b, 224, 50_000_000)));
await classify(thumbs[0]!); // warm-up
let t = performance.now();
for (const th of thumbs) await classify(th);
console.log(`NSFW scoring (nsfwjs MobileNetV2, tfjs wasm, 224x224 in memory): ${rate(NSFW_N, performance.now() - t)}   [reference: 16.3/s incl. decode]`);

// The whole stage, images served from a cache directory (no network), one document of 10 images each.
const cacheDir = mkdtempSync(path.join(tmpdir(), 'bench-images-'));
try {
  const urls = jpegs.map((_, i) => `http://bench.invalid/img/${i}.jpg`);
  urls.forEach((u, i) => {
    const f = cachePath(cacheDir, u);
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, jpegs[i]!);
  });
  for (const nsfw of [false, true]) {
    const n = nsfw ? Math.min(N, NSFW_N * 2) : N;
    const config = mergeConfig(defaultConfig, { images: { offline: true, cacheDir, nsfw } });
    const docs: Doc[] = [];
    for (let i = 0; i < n; i += 10) {
      docs.push({
        id: `d${i}`, url: `http://bench.invalid/${i}`, domain: 'bench.invalid', title: null, fetchedAt: null,
        source: { file: 'bench', offset: 0, recordId: null, recordType: 'file' }, lang: null, langScore: null,
        segments: urls.slice(i, Math.min(i + 10, n)).map((url) => ({ kind: 'image' as const, url })), signals: {},
      });
    }
    let rows = 0;
    const ctx: StageContext = {
      config, counters: new Counters(), reject: () => {}, emit: () => void rows++, resources: new Map(), unit: 'bench', segment: 'bench#0',
      signal: new AbortController().signal, log: () => {},
    };
    t = performance.now();
    async function* input() {
      yield* docs;
    }
    for await (const _d of imagesStage.transform(input(), ctx)) void _d;
    console.log(`images stage end to end (cache -> row${nsfw ? ', NSFW on' : ', NSFW off'}): ${rate(n, performance.now() - t)}, ${rows} rows`);
  }
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
  await imagesStage.close?.();
}
console.log(`peak RSS ${rssMb()} MB`);
