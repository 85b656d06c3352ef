/**
 * The polite, SSRF-safe HTTP fetcher: the one module that uses undici and p-queue.
 *
 *   global queue (concurrency)  x  per-host queue (concurrency + min interval between starts)
 *   -> robots.txt check (cached per origin) -> GET with connect/headers/body/total timeouts
 *   -> redirects followed by hand (each hop checked again), retries with backoff on 5xx/429
 *
 * A fetch never throws: it returns { ok: false, reason } with a short machine-readable reason
 * (timeout, status_404, too_large, private_address, robots, ...) that callers count.
 */
import { Agent, request } from 'undici';
import PQueue from 'p-queue';
import type { FetchConfig } from './config.ts';
import { BlockedAddressError, checkLiteralHost, guardedLookup } from './ssrf.ts';
import type { Exchange, FetchFailure, FetchResult } from './result.ts';
import { RobotsCache } from './robots.ts';
import { CorpusError } from '../lib/errors.ts';

export type { Exchange, FetchFailure, FetchResult } from './result.ts';

export interface FetchOptions {
  /** Allowed content types (prefix match, e.g. 'image/'); a missing Content-Type is accepted. */
  accept?: string[];
  /** Smaller body limit than the configured one. */
  maxBytes?: number;
  /** Skip the robots.txt check (used to fetch robots.txt itself). */
  skipRobots?: boolean;
  signal?: AbortSignal;
}

class FetchError extends CorpusError {
  readonly code = 'ERR_FETCH';
  constructor(
    readonly reason: FetchFailure,
    message: string,
  ) {
    super(message);
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new FetchError('aborted', 'aborted'));
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new FetchError('aborted', 'aborted'));
      },
      { once: true },
    );
  });

/** Map an undici / socket / DNS error to a failure reason. */
function reasonOf(err: unknown): FetchFailure {
  if (err instanceof FetchError) return err.reason;
  for (let e = err as { code?: string; name?: string; cause?: unknown } | undefined, i = 0; e && i < 4; e = e.cause as typeof e, i++) {
    if (e instanceof BlockedAddressError || e.code === 'ERR_SSRF_BLOCKED') return 'private_address';
    const code = e.code ?? '';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NODATA' || code === 'EAI_NONAME') return 'dns';
    if (code.endsWith('_TIMEOUT') || e.name === 'TimeoutError' || code === 'ETIMEDOUT') return 'timeout';
    if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'connect';
    if (e.name === 'AbortError' || code === 'ABORT_ERR') return 'aborted';
  }
  return 'network';
}

/** Retry-After: delta-seconds or an HTTP date; ms to wait, or null when absent/unparseable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : Math.max(0, t - now);
}

/** Stop reading a body we don't want; undici reports the abort as an error nobody needs to see. */
function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => {});
  body.destroy();
}

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export class Fetcher {
  /** Outcome counts over the fetcher's life: ok, fail:<reason>, retry, robots:<...>. */
  readonly counters = new Map<string, number>();
  private readonly agent: Agent;
  private readonly global: PQueue;
  private readonly hosts = new Map<string, PQueue>();
  private readonly robots: RobotsCache;

  constructor(readonly config: FetchConfig) {
    this.agent = new Agent({
      connections: config.perHostConcurrency,
      connect: { timeout: config.connectTimeoutMs, lookup: guardedLookup(config.allowPrivateNetwork) as never },
      headersTimeout: config.headersTimeoutMs,
      bodyTimeout: config.bodyTimeoutMs,
    });
    this.global = new PQueue({ concurrency: config.concurrency });
    this.robots = new RobotsCache(config, (url) => this.fetch(url, { skipRobots: true, maxBytes: 512 * 1024 }));
  }

  private count(key: string): void {
    this.counters.set(key, (this.counters.get(key) ?? 0) + 1);
  }

  /** Queue of one host; removed again once idle so a long crawl does not keep one per host seen. */
  private hostQueue(host: string): PQueue {
    let q = this.hosts.get(host);
    if (!q) {
      const interval = this.config.perHostIntervalMs;
      q = new PQueue({
        concurrency: this.config.perHostConcurrency,
        ...(interval > 0 ? { interval, intervalCap: 1, strict: true } : {}),
      });
      q.on('idle', () => {
        // Keep the queue while its rate window is still open, so back-to-back calls stay spaced.
        setTimeout(() => {
          if (q!.size === 0 && q!.pending === 0) this.hosts.delete(host);
        }, interval).unref();
      });
      this.hosts.set(host, q);
    }
    return q;
  }

  /** GET `url`, following redirects; never throws. */
  async fetch(url: string, opts: FetchOptions = {}): Promise<FetchResult> {
    const exchanges: Exchange[] = [];
    let current = url;
    const seen = new Set<string>();
    try {
      for (let hop = 0; ; hop++) {
        let parsed: URL;
        try {
          parsed = new URL(current);
        } catch {
          throw new FetchError('bad_url', `not a URL: ${current.slice(0, 200)}`);
        }
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
          throw new FetchError('scheme', `scheme ${parsed.protocol} not fetched`);
        }
        parsed.hash = '';
        if (seen.has(parsed.href)) throw new FetchError('redirect_loop', `redirect loop at ${parsed.href}`);
        seen.add(parsed.href);
        checkLiteralHost(parsed, this.config.allowPrivateNetwork);
        if (this.config.robots && !opts.skipRobots) {
          const verdict = await this.robots.allowed(parsed);
          if (verdict !== true) throw new FetchError(verdict.reason, verdict.detail);
        }
        const ex = await this.attempts(parsed, opts);
        exchanges.push(ex);
        if (ex.status >= 300 && ex.status < 400 && ex.headers.location) {
          if (hop >= this.config.maxRedirects) {
            throw new FetchError('too_many_redirects', `more than ${this.config.maxRedirects} redirects`);
          }
          current = new URL(ex.headers.location, parsed).href;
          continue;
        }
        if (ex.status < 200 || ex.status >= 300) {
          throw new FetchError(`status_${ex.status}`, `HTTP ${ex.status} for ${parsed.href}`);
        }
        this.count('ok');
        return { ok: true, url: parsed.href, status: ex.status, headers: ex.headers, body: ex.body, exchanges };
      }
    } catch (err) {
      const reason = reasonOf(err);
      this.count(`fail:${reason}`);
      return { ok: false, url: current, reason, detail: String((err as Error)?.message ?? err).slice(0, 300), exchanges };
    }
  }

  /** One URL, with retries on 5xx / 429 / reset connections. Returns the last exchange. */
  private async attempts(url: URL, opts: FetchOptions): Promise<Exchange> {
    for (let attempt = 0; ; attempt++) {
      let ex: Exchange;
      try {
        ex = await this.hostQueue(url.host).add(() => this.global.add(() => this.once(url, opts)));
      } catch (err) {
        const reason = reasonOf(err);
        if (reason === 'network' && attempt < this.config.retries) {
          this.count('retry');
          await sleep(this.backoff(attempt), opts.signal);
          continue;
        }
        throw err;
      }
      const retryable = ex.status === 429 || ex.status >= 500;
      if (!retryable || attempt >= this.config.retries) return ex;
      const retryAfter = parseRetryAfter(ex.headers['retry-after']);
      if (retryAfter !== null && retryAfter > this.config.maxRetryAfterMs) return ex;
      this.count('retry');
      await sleep(retryAfter ?? this.backoff(attempt), opts.signal);
    }
  }

  private backoff(attempt: number): number {
    return this.config.backoffMs * 2 ** attempt * (0.75 + Math.random() * 0.5);
  }

  /** A single GET, body read up to the limit. Throws FetchError / undici errors. */
  private async once(url: URL, opts: FetchOptions): Promise<Exchange> {
    const requestHeaders: Record<string, string> = {
      'user-agent': this.config.userAgent,
      accept: opts.accept ? `${opts.accept.map((a) => (a.endsWith('/') ? `${a}*` : a)).join(', ')};q=1, */*;q=0.1` : '*/*',
      // Plain bodies: what we store and decode is exactly what the server sent.
      'accept-encoding': 'identity',
    };
    const timeout = AbortSignal.timeout(this.config.totalTimeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const date = new Date().toISOString();
    try {
      return await this.exchange(url, opts, requestHeaders, date, signal);
    } catch (err) {
      // The total deadline surfaces as a generic abort from undici: name it.
      if (timeout.aborted && !opts.signal?.aborted) {
        throw new FetchError('timeout', `no complete response within ${this.config.totalTimeoutMs} ms`);
      }
      throw err;
    }
  }

  private async exchange(
    url: URL,
    opts: FetchOptions,
    requestHeaders: Record<string, string>,
    date: string,
    signal: AbortSignal,
  ): Promise<Exchange> {
    const res = await request(url, { method: 'GET', headers: requestHeaders, dispatcher: this.agent, signal });
    const headers = flatHeaders(res.headers);
    const exchange = (body: Buffer): Exchange => ({ url: url.href, date, requestHeaders, status: res.statusCode, headers, body });
    const limit = Math.min(opts.maxBytes ?? Infinity, this.config.maxBodyBytes);
    // Redirects and errors: keep a little of the body (it goes to the WARC), don't read megabytes.
    const isSuccess = res.statusCode >= 200 && res.statusCode < 300;
    if (isSuccess && opts.accept) {
      const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type && !opts.accept.some((a) => type.startsWith(a))) {
        discard(res.body);
        throw new FetchError('content_type', `content type ${type} not in ${opts.accept.join(', ')}`);
      }
    }
    const declared = Number(headers['content-length']);
    if (isSuccess && Number.isFinite(declared) && declared > limit) {
      discard(res.body);
      throw new FetchError('too_large', `Content-Length ${declared} > ${limit}`);
    }
    const cap = isSuccess ? limit : Math.min(limit, 64 * 1024);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > cap) {
        discard(res.body);
        if (isSuccess) throw new FetchError('too_large', `body over ${limit} bytes`);
        break;
      }
      chunks.push(chunk as Buffer);
    }
    return exchange(Buffer.concat(chunks));
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
