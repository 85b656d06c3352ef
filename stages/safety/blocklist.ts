/**
 * URL/domain blocklist: one domain per line (`#` comments, blank lines and a leading `*.` or `.`
 * ignored; a URL on a line counts as its host). A host is blocked when it is a listed domain or a
 * subdomain of one: label-wise suffix match, never a substring ("essex.ac.uk" is not "sex.com",
 * and neither is "sex.com.example.org").
 */
import { readFileSync } from 'node:fs';

export class Blocklist {
  private constructor(private readonly domains: Set<string>) {}

  static fromText(text: string): Blocklist {
    const domains = new Set<string>();
    for (let line of text.split(/\r?\n/)) {
      line = line.replace(/#.*/, '').trim().toLowerCase();
      if (!line) continue;
      if (line.includes('/')) line = hostOf(line.includes('://') ? line : `http://${line}`) ?? '';
      line = line.replace(/^\*?\./, '').replace(/\.$/, '');
      if (line) domains.add(line);
    }
    return new Blocklist(domains);
  }

  static fromFile(path: string): Blocklist {
    return Blocklist.fromText(readFileSync(path, 'utf8'));
  }

  get size(): number {
    return this.domains.size;
  }

  /** The listed domain `host` falls under, or null. */
  match(host: string): string | null {
    let h = host.toLowerCase().replace(/\.$/, '');
    for (;;) {
      if (this.domains.has(h)) return h;
      const dot = h.indexOf('.');
      if (dot < 0) return null;
      h = h.slice(dot + 1);
    }
  }

  /** The listed domain a URL's host falls under, or null (also for URLs that do not parse). */
  matchUrl(url: string): string | null {
    const host = hostOf(url);
    return host ? this.match(host) : null;
  }
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname || null;
  } catch {
    return null;
  }
}
