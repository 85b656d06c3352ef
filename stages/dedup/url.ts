/**
 * The URL key of URL dedup: two fetches of the same page under cosmetically different URLs get the
 * same key. normalize-url (maintained, ESM, Node >= 20 for 9.x) does the work: lower-case scheme and
 * host, default ports, "www.", trailing slash, sorted query, percent-encoding; we add the fragment,
 * http = https, and the tracking parameters of the config.
 */
import normalizeUrl from 'normalize-url';

/** Compile the config's tracking-parameter patterns (regex sources matched against the whole name). */
export function trackingParamPatterns(sources: string[]): RegExp[] {
  return sources.map((s) => new RegExp(`^(?:${s})$`, 'i'));
}

/** The dedup key of a URL; the input lower-cased and trimmed when it does not parse. */
export function urlKey(url: string, trackingParams: RegExp[]): string {
  try {
    return normalizeUrl(url, {
      forceHttps: true,
      stripHash: true,
      stripWWW: true,
      removeQueryParameters: trackingParams,
      sortQueryParameters: true,
      removeTrailingSlash: true,
      removeSingleSlash: true,
      removeDirectoryIndex: false,
      // Keep the key a URL: never drop the protocol, never touch auth (they name other resources).
      stripProtocol: false,
      stripAuthentication: false,
    });
  } catch {
    return url.trim().toLowerCase();
  }
}
