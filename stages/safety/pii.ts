/**
 * PII scrub: e-mail addresses, phone numbers and IP addresses in text are replaced by placeholders
 * and counted. Phone numbers are found by a loose candidate pattern and kept only when
 * libphonenumber-js (Google's libphonenumber metadata) says the number is valid for the page's
 * country (from its ccTLD) or, with a leading +, for any country. IPs are checked by node:net.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { createRequire } from 'node:module';
import type { CountryCode } from 'libphonenumber-js/max';

/** libphonenumber-js with its full metadata, loaded on first use (it is large). */
let phoneLib: typeof import('libphonenumber-js/max') | null = null;
const lib = () => (phoneLib ??= createRequire(import.meta.url)('libphonenumber-js/max') as typeof import('libphonenumber-js/max'));

export interface PiiPlaceholders {
  email: string;
  phone: string;
  ip: string;
}

export interface PiiCounts {
  emails: number;
  phones: number;
  ips: number;
}

const EMAIL = /[\p{L}\p{N}._%+-]+@(?:[\p{L}\p{N}-]+\.)+\p{L}{2,}/gu;
const IPV4 = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d)/g;
const IPV6 = /(?<![\w:])(?=[0-9a-f:]*[0-9a-f])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])/gi;
/** Candidate phone numbers: optional + or (, then digits with spaces, dots, dashes, parentheses. */
const PHONE = /(?<![\w+(])(?:\+\s?|\()?\d[\d\s().-]{5,}\d(?![\w])/g;
const DATE = /^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$/;

/** Phone country of a page: its ccTLD when libphonenumber knows it (uk -> GB), else `fallback`. */
export function phoneCountry(domain: string, fallback: string | null): CountryCode | undefined {
  const tld = domain.split('.').pop()?.toUpperCase() ?? '';
  const cc = tld === 'UK' ? 'GB' : tld;
  if (cc.length === 2 && lib().isSupportedCountry(cc)) return cc;
  return fallback && lib().isSupportedCountry(fallback) ? (fallback as CountryCode) : undefined;
}

function isPhone(candidate: string, country: CountryCode | undefined): boolean {
  const c = candidate.trim();
  if (DATE.test(c)) return false;
  const digits = c.replace(/\D/g, '').length;
  if (digits < 7 || digits > 15) return false;
  const parse = lib().parsePhoneNumberFromString;
  const parsed = c.startsWith('+') ? parse(c) : country ? parse(c, country) : undefined;
  return parsed?.isValid() ?? false;
}

/** Replace PII in `text`; adds what it replaced to `counts`. */
export function scrubPii(text: string, country: CountryCode | undefined, placeholders: PiiPlaceholders, counts: PiiCounts): string {
  if (!/\d|@/.test(text)) return text; // nothing to find: the common case
  let out = text.replace(EMAIL, () => {
    counts.emails++;
    return placeholders.email;
  });
  out = out.replace(IPV4, (m) => {
    if (!isIPv4(m)) return m;
    counts.ips++;
    return placeholders.ip;
  });
  out = out.replace(IPV6, (m) => {
    if (!isIPv6(m) || !/\d/.test(m) || m.split(':').length < 3) return m;
    counts.ips++;
    return placeholders.ip;
  });
  out = out.replace(PHONE, (m) => {
    const lead = m.match(/^\s*/)![0];
    if (!isPhone(m, country)) return m;
    counts.phones++;
    return lead + placeholders.phone;
  });
  return out;
}
