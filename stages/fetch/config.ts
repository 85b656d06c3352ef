/**
 * Settings of the polite fetcher (used by the images stage and `corpus crawl`). Kept apart from
 * fetcher.ts so that pipeline/config.ts can import the defaults without loading undici.
 */
export interface FetchConfig {
  /** Sent on every request, and the product token matched against robots.txt groups. */
  userAgent: string;
  /** Honour robots.txt (RFC 9309). */
  robots: boolean;
  /** Allow loopback, private, link-local and unique-local addresses (tests, intranet crawls). */
  allowPrivateNetwork: boolean;
  /** Requests in flight over all hosts. */
  concurrency: number;
  /** Requests in flight to one host. */
  perHostConcurrency: number;
  /** Minimum time between two requests started to one host, in ms (politeness). */
  perHostIntervalMs: number;
  connectTimeoutMs: number;
  /** Time to the response headers. */
  headersTimeoutMs: number;
  /** Longest silence between two body chunks. */
  bodyTimeoutMs: number;
  /** Whole request, redirects and retries excluded: stops a server that trickles bytes forever. */
  totalTimeoutMs: number;
  /** Retries after a 5xx, a 429 or a network error (so at most retries + 1 attempts). */
  retries: number;
  /** First backoff; doubles on each retry (plus jitter). */
  backoffMs: number;
  /** A Retry-After longer than this gives up instead of waiting. */
  maxRetryAfterMs: number;
  maxRedirects: number;
  /** Bodies larger than this are aborted (reason too_large). */
  maxBodyBytes: number;
  /** robots.txt files kept in memory (one per origin). */
  robotsCacheSize: number;
}

export const fetchDefaults: FetchConfig = {
  userAgent: 'interleaved-corpus/0.1 (research crawler; honours robots.txt)',
  robots: true,
  allowPrivateNetwork: false,
  // img2dataset (OBELICS) runs 128-256 threads per machine; 32 is plenty on 2 cores.
  concurrency: 32,
  // Common crawler politeness: at most 2 connections and 4 request starts per second per host.
  perHostConcurrency: 2,
  perHostIntervalMs: 250,
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 15_000,
  bodyTimeoutMs: 15_000,
  totalTimeoutMs: 60_000,
  retries: 2,
  backoffMs: 500,
  maxRetryAfterMs: 30_000,
  // Browsers follow 20; 5 is what RFC 9309 asks of robots.txt and is plenty for images.
  maxRedirects: 5,
  // OBELICS keeps images up to 20,000 px a side; 20 MB covers any sane encoding of those.
  maxBodyBytes: 20 * 1024 * 1024,
  robotsCacheSize: 10_000,
};
