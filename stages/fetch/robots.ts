/**
 * robots.txt per origin, fetched once and cached (bounded), parsed by `robots-parser`.
 * What an answer means follows RFC 9309 §2.3.1: 2xx -> the rules; 4xx -> no rules (all allowed);
 * 5xx -> complete disallow. When the host cannot be reached at all, the URL fails with that error
 * (dns, connect, private_address ...) rather than with `robots`, so the count says what went wrong.
 */
import { createRequire } from 'node:module';
import type { FetchConfig } from './config.ts';
import type { FetchFailure, FetchResult } from './result.ts';

interface Robot {
  isAllowed(url: string, ua?: string): boolean | undefined;
  getMatchingLineNumber(url: string, ua?: string): number;
}
// robots-parser is CommonJS and its typings declare no callable default export under NodeNext.
const robotsParser = createRequire(import.meta.url)('robots-parser') as (url: string, text: string) => Robot;
export type RobotsVerdict = true | { reason: FetchFailure; detail: string };

type Entry = { robot: Robot | null; disallowAll: boolean; failure: { reason: FetchFailure; detail: string } | null };

export class RobotsCache {
  private readonly entries = new Map<string, Promise<Entry>>();
  /** The product token matched against `User-agent:` lines: first word of the UA, before any '/'. */
  private readonly agentToken: string;

  constructor(
    private readonly config: FetchConfig,
    private readonly fetchRobots: (url: string) => Promise<FetchResult>,
  ) {
    this.agentToken = config.userAgent.split(/[\s/]/)[0] ?? config.userAgent;
  }

  async allowed(url: URL): Promise<RobotsVerdict> {
    const entry = await this.entry(url.origin);
    if (entry.failure) return entry.failure;
    if (entry.disallowAll) return { reason: 'robots', detail: `robots.txt of ${url.origin} unavailable (5xx): disallow all` };
    if (entry.robot && entry.robot.isAllowed(url.href, this.agentToken) === false) {
      return { reason: 'robots', detail: `disallowed by ${url.origin}/robots.txt line ${entry.robot.getMatchingLineNumber(url.href, this.agentToken)}` };
    }
    return true;
  }

  private entry(origin: string): Promise<Entry> {
    let e = this.entries.get(origin);
    if (e) {
      // Refresh LRU position.
      this.entries.delete(origin);
      this.entries.set(origin, e);
      return e;
    }
    e = this.load(origin);
    this.entries.set(origin, e);
    if (this.entries.size > this.config.robotsCacheSize) this.entries.delete(this.entries.keys().next().value!);
    return e;
  }

  private async load(origin: string): Promise<Entry> {
    const robotsUrl = `${origin}/robots.txt`;
    const res = await this.fetchRobots(robotsUrl);
    if (res.ok) {
      return { robot: robotsParser(robotsUrl, res.body.toString('utf8')), disallowAll: false, failure: null };
    }
    const status = res.reason.startsWith('status_') ? Number(res.reason.slice(7)) : 0;
    if (status >= 400 && status < 500) return { robot: null, disallowAll: false, failure: null };
    if (status >= 500) return { robot: null, disallowAll: true, failure: null };
    // A robots.txt that redirects too often, is too large or has an odd type: treat as no rules.
    if (['too_many_redirects', 'redirect_loop', 'too_large', 'content_type', 'scheme'].includes(res.reason)) {
      return { robot: null, disallowAll: false, failure: null };
    }
    return { robot: null, disallowAll: false, failure: { reason: res.reason, detail: `robots.txt: ${res.detail}` } };
  }
}
