/**
 * Fetch benchmark against a loopback server with 1,000 images: the polite fetcher (robots.txt,
 * address guard, per-host queue, body limit) beside plain undici `request` at the same concurrency
 * (the reference: what the transport alone does on the same input).
 *
 *   npx tsx scripts/bench-fetch.ts [--images 1000] [--concurrency 16]
 */
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import PQueue from 'p-queue';
import { Fetcher, fetchDefaults } from '../stages/fetch/index.ts';
import { makeImage, serve, startSite, type Handler } from '../test/fetch-site.ts';

const { values } = parseArgs({ options: { images: { type: 'string' }, concurrency: { type: 'string' } } });
const N = Number(values.images ?? 1000);
const C = Number(values.concurrency ?? 16);

// 20 distinct JPEGs of 640x480 served under N URLs (the server is not what is measured).
const bodies: Buffer[] = [];
for (let i = 0; i < 20; i++) bodies.push(await makeImage(640, 480, 'jpeg', i + 1));
const routes: Record<string, Handler> = { '/robots.txt': serve('User-agent: *\nDisallow: /private/\n', 'text/plain') };
for (let i = 0; i < N; i++) routes[`/img/${i}.jpg`] = serve(bodies[i % bodies.length]!, 'image/jpeg');
const site = await startSite(routes);
const urls = Array.from({ length: N }, (_, i) => `${site.origin}/img/${i}.jpg`);
const avgKb = bodies.reduce((n, b) => n + b.length, 0) / bodies.length / 1024;
console.log(`# bench-fetch: ${N} images (~${avgKb.toFixed(0)} KB) from 127.0.0.1, ${C} in flight, Node ${process.version}, shared 2-core machine`);

function report(label: string, ms: number, bytes: number, failed: number) {
  console.log(`${label}: ${((N * 1000) / ms).toFixed(0)} images/s, ${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s, ${failed} failed, ${(ms / 1000).toFixed(2)} s`);
}

// Reference: plain undici.
{
  const agent = new Agent({ connections: C });
  const q = new PQueue({ concurrency: C });
  let bytes = 0;
  let failed = 0;
  const t = performance.now();
  await Promise.all(
    urls.map((u) =>
      q.add(async () => {
        try {
          const res = await request(u, { dispatcher: agent });
          const b = Buffer.from(await res.body.arrayBuffer());
          bytes += b.length;
        } catch {
          failed++;
        }
      }),
    ),
  );
  report('reference: plain undici request', performance.now() - t, bytes, failed);
  await agent.close();
}

// The polite fetcher: one host, so per-host concurrency = C and no interval (loopback benchmark).
for (const robots of [true, false]) {
  const fetcher = new Fetcher({
    ...fetchDefaults,
    allowPrivateNetwork: true,
    robots,
    concurrency: C,
    perHostConcurrency: C,
    perHostIntervalMs: 0,
  });
  let bytes = 0;
  let failed = 0;
  const t = performance.now();
  await Promise.all(
    urls.map(async (u) => {
      const r = await fetcher.fetch(u, { accept: ['image/'] });
      if (r.ok) bytes += r.body.length;
      else failed++;
    }),
  );
  report(`polite fetcher (robots ${robots ? 'on' : 'off'}, SSRF guard, queues)`, performance.now() - t, bytes, failed);
  await fetcher.close();
}
// With default politeness (2 connections, 250 ms between requests per host) one host is capped at 4/s by design.
console.log(`default politeness on one host: at most ${(1000 / fetchDefaults.perHostIntervalMs).toFixed(0)} requests/s per host (by design)`);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
await site.close();
