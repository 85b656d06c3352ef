/** What a fetch gives back: shared by the fetcher and the robots.txt cache it consults. */

/** Why a fetch failed; status failures are `status_<code>`. */
export type FetchFailure =
  | 'bad_url'
  | 'scheme'
  | 'private_address'
  | 'dns'
  | 'connect'
  | 'timeout'
  | 'too_large'
  | 'content_type'
  | 'redirect_loop'
  | 'too_many_redirects'
  | 'robots'
  | 'network'
  | 'aborted'
  | `status_${number}`;

/** One request/response exchange; a redirect chain has several. Kept for WARC writing. */
export interface Exchange {
  url: string;
  /** ISO-8601 time the request was sent. */
  date: string;
  requestHeaders: Record<string, string>;
  status: number;
  /** Response headers, lower-case names, as received (multi-valued joined with ", "). */
  headers: Record<string, string>;
  body: Buffer;
}

export type FetchResult =
  | { ok: true; url: string; status: number; headers: Record<string, string>; body: Buffer; exchanges: Exchange[] }
  | { ok: false; url: string; reason: FetchFailure; detail: string; exchanges: Exchange[] };
