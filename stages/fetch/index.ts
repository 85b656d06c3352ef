/**
 * fetch: not a stage, a library the images stage and `corpus crawl` share. One polite, SSRF-safe
 * HTTP client (undici + p-queue behind fetcher.ts), robots.txt (robots-parser) and the address guard
 * (ipaddr.js). Settings: FetchConfig, section `fetch` of the run config.
 */
export { fetchDefaults, type FetchConfig } from './config.ts';
export { Fetcher, parseRetryAfter, type Exchange, type FetchFailure, type FetchOptions, type FetchResult } from './fetcher.ts';
export { blockedRange, BlockedAddressError } from './ssrf.ts';
