/**
 * `corpus export-wds` throughput beside a plain copy of the same bytes.
 *
 *   npx tsx scripts/bench-export.ts --run out/ [--what docs|packed] [--repeat 3]
 *
 * `--run` is the output dir of a `corpus run … --pack`. For each repeat: export-wds into a temporary
 * dir (MB/s of tar written, samples/s), then the reference: copy the written shards file by file
 * (node:fs copyFile, the floor any exporter pays to put those bytes on disk). Prints peak RSS.
 */
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { exportWds } from '../pipeline/commands/export-wds.ts';

const { values } = parseArgs({ options: { run: { type: 'string' }, what: { type: 'string' }, repeat: { type: 'string' } } });
if (!values.run) throw new Error('usage: npx tsx scripts/bench-export.ts --run out/ [--what docs|packed] [--repeat 3]');
const what = (values.what ?? 'docs') as 'docs' | 'packed';
const repeat = Number(values.repeat ?? 3);
let peak = 0;
const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);

for (let i = 0; i < repeat; i++) {
  const dest = await mkdtemp(join(tmpdir(), 'bench-wds-'));
  const copy = await mkdtemp(join(tmpdir(), 'bench-copy-'));
  let t = performance.now();
  const s = await exportWds(values.run, dest, { what });
  const exportS = (performance.now() - t) / 1000;
  t = performance.now();
  for (const n of await readdir(dest)) if (n.endsWith('.tar')) await copyFile(join(dest, n), join(copy, n));
  const copyS = (performance.now() - t) / 1000;
  const mb = s.bytes / 1e6;
  console.log(
    `${what}: ${s.samples} samples, ${s.images} images, ${mb.toFixed(1)} MB | export-wds ${exportS.toFixed(2)} s = ${(mb / exportS).toFixed(1)} MB/s, ` +
      `${(s.samples / exportS).toFixed(0)} samples/s | plain copy ${copyS.toFixed(3)} s = ${(mb / copyS).toFixed(1)} MB/s`,
  );
  await rm(dest, { recursive: true, force: true });
  await rm(copy, { recursive: true, force: true });
}
clearInterval(sample);
console.log(`peak RSS ${(peak / 1e6).toFixed(0)} MB`);
