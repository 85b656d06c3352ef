/**
 * SSRF guard: a URL taken from a crawled page must not make us connect to our own machine, our
 * private network or a cloud metadata service. The check runs on the *resolved* address, inside the
 * socket's DNS lookup, so it also covers redirects and DNS rebinding (the address we check is the
 * address we connect to). Address ranges come from ipaddr.js.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { CorpusError } from '../lib/errors.ts';

/** Error raised for a refused address; the fetcher counts it as `private_address`. */
export class BlockedAddressError extends CorpusError {
  readonly code = 'ERR_SSRF_BLOCKED';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: string,
  ) {
    super(`refusing to connect to ${host} (${address}, ${range} range)`);
  }
}

/** Cloud metadata endpoints: refused even with allowPrivateNetwork (there is no reason to crawl them). */
const METADATA_ADDRESSES = new Set([
  '169.254.169.254', // AWS, GCP, Azure, OpenStack
  '169.254.170.2', // AWS ECS task metadata
  '100.100.100.200', // Alibaba Cloud
  'fd00:ec2::254', // AWS IPv6
]);

/**
 * Why `address` may not be connected to, or null when it may. Only global unicast is allowed by
 * default; loopback, private (RFC 1918), link-local, unique-local, carrier-grade NAT, reserved,
 * multicast and unspecified are refused. IPv4-mapped IPv6 is checked as the IPv4 it carries.
 */
export function blockedRange(address: string, allowPrivateNetwork = false): string | null {
  if (!ipaddr.isValid(address)) return 'invalid';
  const ip = ipaddr.process(address); // ::ffff:a.b.c.d -> a.b.c.d
  const normalized = ip.toString();
  if (METADATA_ADDRESSES.has(normalized)) return 'metadata';
  if (allowPrivateNetwork) return null;
  const range = ip.range();
  return range === 'unicast' ? null : range;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A drop-in for dns.lookup (the `lookup` option of net/tls.connect) that refuses blocked addresses.
 * Of the addresses a name resolves to, only allowed ones are returned; none allowed -> error.
 */
export function guardedLookup(allowPrivateNetwork: boolean) {
  return function lookup(hostname: string, options: object, callback: LookupCallback): void {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as LookupAddress[];
      const allowed = list.filter((a) => blockedRange(a.address, allowPrivateNetwork) === null);
      if (allowed.length === 0) {
        const first = list[0];
        return callback(
          new BlockedAddressError(hostname, first?.address ?? '?', first ? blockedRange(first.address, allowPrivateNetwork)! : 'none') as never,
          [],
        );
      }
      if ((options as { all?: boolean }).all) return callback(null, allowed);
      callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

/** Check a URL whose host is an IP literal (no DNS lookup happens for those): throws when blocked. */
export function checkLiteralHost(url: URL, allowPrivateNetwork: boolean): void {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(host)) return;
  const range = blockedRange(host, allowPrivateNetwork);
  if (range !== null) throw new BlockedAddressError(url.hostname, host, range);
}
