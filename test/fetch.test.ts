/**
 * The fetcher against a real HTTP server on 127.0.0.1 (allowPrivateNetwork on, as a loopback test
 * must): every failure comes back as a result with its own reason; nothing throws.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fetcher, fetchDefaults, parseRetryAfter, blockedRange, type FetchConfig } from '../stages/fetch/index.ts';
import { makeImage, serve, startSite, type Site } from './fetch-site.ts';

const testConfig: FetchConfig = {
  ...fetchDefaults,
  allowPrivateNetwork: true,
  // Generous for a loaded 2-core box; the slow routes below are well beyond them.
  headersTimeoutMs: 2_000,
  bodyTimeoutMs: 2_000,
  totalTimeoutMs: 5_000,
  connectTimeoutMs: 1_000,
  retries: 2,
  backoffMs: 20,
  maxRetryAfterMs: 2_000,
  maxBodyBytes: 1024 * 1024,
  perHostIntervalMs: 0,
  perHostConcurrency: 4,
};

let site: Site;
let jpeg: Buffer;
const hits = new Map<string, number>();
const hit = (p: string) => {
  const n = (hits.get(p) ?? 0) + 1;
  hits.set(p, n);
  return n;
};

beforeAll(async () => {
  jpeg = await makeImage(320, 240);
  const big = Buffer.alloc(2 * 1024 * 1024, 7);
  site = await startSite({
    '/robots.txt': serve('User-agent: *\nDisallow: /private/\n', 'text/plain'),
    '/ok.jpg': serve(jpeg, 'image/jpeg'),
    '/private/secret.jpg': serve(jpeg, 'image/jpeg'),
    '/slow.jpg': async (_req, res) => {
      await new Promise((r) => setTimeout(r, 5000));
      if (!res.destroyed) serve(jpeg, 'image/jpeg')(_req, res);
    },
    '/trickle.jpg': async (_req, res) => {
      // Headers at once, then one byte every 300 ms: only the total deadline stops this.
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      for (let i = 0; i < 30 && !res.destroyed; i++) {
        res.write(Buffer.from([i]));
        await new Promise((r) => setTimeout(r, 300));
      }
      res.end();
    },
    '/404.jpg': (_req, res) => void res.writeHead(404).end('gone'),
    '/500.jpg': (_req, res) => {
      hit('/500.jpg');
      res.writeHead(500).end('boom');
    },
    '/429-once.jpg': (req, res) => {
      if (hit('/429-once.jpg') === 1) return void res.writeHead(429, { 'retry-after': '1' }).end();
      serve(jpeg, 'image/jpeg')(req, res);
    },
    '/429.jpg': (_req, res) => {
      hit('/429.jpg');
      res.writeHead(429, { 'retry-after': '1' }).end();
    },
    '/429-long.jpg': (_req, res) => void res.writeHead(429, { 'retry-after': '3600' }).end(),
    '/big.jpg': serve(big, 'image/jpeg'),
    '/big-chunked.jpg': (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg' }); // no Content-Length
      for (let i = 0; i < 32; i++) res.write(big.subarray(0, 64 * 1024));
      res.end();
    },
    '/html.jpg': serve('<html>not an image</html>', 'text/html; charset=utf-8'),
    '/loop/a': (_req, res) => void res.writeHead(302, { location: '/loop/b' }).end(),
    '/loop/b': (_req, res) => void res.writeHead(302, { location: '/loop/a' }).end(),
    '/hop1': (_req, res) => void res.writeHead(301, { location: '/hop2' }).end(),
    '/hop2': (_req, res) => void res.writeHead(302, { location: '/ok.jpg' }).end(),
    '/to-metadata': (_req, res) => void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
    '/to-ftp': (_req, res) => void res.writeHead(302, { location: 'ftp://127.0.0.1/x.jpg' }).end(),
  });
});

afterAll(async () => {
  await site?.close();
});

describe('fetcher against a loopback server', () => {
  it('fetches an image and follows redirects, keeping every exchange', async () => {
    const f = new Fetcher(testConfig);
    const r = await f.fetch(`${site.origin}/hop1`, { accept: ['image/'] });
    await f.close();
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.body.equals(jpeg)).toBe(true);
    expect(r.url).toBe(`${site.origin}/ok.jpg`);
    expect(r.exchanges.map((e) => e.status)).toEqual([301, 302, 200]);
    expect(r.exchanges[0]!.requestHeaders['user-agent']).toMatch(/^interleaved-corpus\//);
  });

  it('gives each failure its own reason and finishes the batch', async () => {
    const f = new Fetcher(testConfig);
    const cases: [string, string][] = [
      ['/slow.jpg', 'timeout'],
      ['/trickle.jpg', 'timeout'],
      ['/404.jpg', 'status_404'],
      ['/500.jpg', 'status_500'],
      ['/429.jpg', 'status_429'],
      ['/429-long.jpg', 'status_429'],
      ['/big.jpg', 'too_large'],
      ['/big-chunked.jpg', 'too_large'],
      ['/html.jpg', 'content_type'],
      ['/loop/a', 'redirect_loop'],
      ['/to-metadata', 'private_address'],
      ['/to-ftp', 'scheme'],
      ['/private/secret.jpg', 'robots'],
    ];
    const started = Date.now();
    const results = await Promise.all(cases.map(([p]) => f.fetch(`${site.origin}${p}`, { accept: ['image/'] })));
    await f.close();
    const got = results.map((r) => (r.ok ? 'ok' : r.reason));
    expect(got).toEqual(cases.map(([, reason]) => reason));
    // Counted by kind on the fetcher too.
    expect(f.counters.get('fail:timeout')).toBe(2);
    expect(f.counters.get('fail:robots')).toBe(1);
    // 500 and 429 were retried (retries + 1 attempts); the 1-hour Retry-After was not waited for.
    expect(hits.get('/500.jpg')).toBe(testConfig.retries + 1);
    expect(hits.get('/429.jpg')).toBe(testConfig.retries + 1);
    expect(Date.now() - started).toBeLessThan(20_000);
    // The disallowed URL was never requested.
    expect(site.log).not.toContain('/private/secret.jpg');
  });

  it('honours Retry-After on 429 and then succeeds', async () => {
    const f = new Fetcher(testConfig);
    const t0 = Date.now();
    const r = await f.fetch(`${site.origin}/429-once.jpg`, { accept: ['image/'] });
    await f.close();
    expect(r.ok).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(f.counters.get('retry')).toBe(1);
  });

  it('refuses loopback without allowPrivateNetwork, by IP literal and by name (DNS), before connecting', async () => {
    const f = new Fetcher({ ...testConfig, allowPrivateNetwork: false });
    const before = site.log.length;
    const byIp = await f.fetch(`${site.origin}/ok.jpg`);
    const byName = await f.fetch(`${site.origin.replace('127.0.0.1', 'localhost')}/ok.jpg`);
    const v6 = await f.fetch('http://[::1]:9/x.jpg');
    const mapped = await f.fetch('http://[::ffff:127.0.0.1]:9/x.jpg');
    await f.close();
    expect([byIp, byName, v6, mapped].map((r) => (r.ok ? 'ok' : r.reason))).toEqual([
      'private_address',
      'private_address',
      'private_address',
      'private_address',
    ]);
    expect(site.log.length).toBe(before);
  });

  it('paces requests to one host (per-host interval)', async () => {
    const f = new Fetcher({ ...testConfig, robots: false, perHostIntervalMs: 100 });
    const t0 = Date.now();
    await Promise.all([1, 2, 3, 4, 5].map(() => f.fetch(`${site.origin}/ok.jpg`)));
    await f.close();
    // 5 starts at least 100 ms apart: >= 400 ms.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
  });
});

describe('SSRF ranges', () => {
  it('classifies addresses', () => {
    const blocked = [
      '127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.1.1', '100.64.0.1', '0.0.0.0',
      '224.0.0.1', '::1', 'fe80::1', 'fc00::1', 'fd12:3456::1', '::ffff:10.0.0.1', '::',
    ];
    for (const a of blocked) expect(blockedRange(a), a).not.toBeNull();
    for (const a of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '::ffff:8.8.8.8']) expect(blockedRange(a), a).toBeNull();
    // Cloud metadata stays refused even when private networks are allowed.
    expect(blockedRange('169.254.169.254', true)).toBe('metadata');
    expect(blockedRange('fd00:ec2::254', true)).toBe('metadata');
    expect(blockedRange('10.0.0.1', true)).toBeNull();
  });

  it('parses Retry-After as seconds or a date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(parseRetryAfter('soon')).toBeNull();
  });
});
