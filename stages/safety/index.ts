/**
 * safety: URL/domain blocklist, multilingual flagged words, PII scrub.
 *
 * Signals (columns below) are measured first; the decision reads them through rules shared with
 * SQL (stages/lib/rules.ts): drop a document whose URL host is on the blocklist, or whose
 * flagged-word ratio is above `maxFlaggedRatio` (per-language overridable). Image segments whose
 * host is on the blocklist are removed (counted). E-mails, phone numbers and IPs in the text, alt
 * texts and title are replaced by placeholders (counted), in kept and rejected documents alike.
 */
import type { ColumnSpec, Doc } from '../../schemas/doc.ts';
import { docStage, drop } from '../../pipeline/stage.ts';
import { dropReason, thresholdRules, type LangOverrides, type Rule } from '../lib/rules.ts';
import { Blocklist } from './blocklist.ts';
import { countFlagged } from './flagged.ts';
import { phoneCountry, scrubPii, type PiiCounts, type PiiPlaceholders } from './pii.ts';

export type SafetyThresholds = {
  /** Drop a document whose flagged-word ratio is above this (null = off). */
  maxFlaggedRatio: number | null;
};

export type SafetyConfig = SafetyThresholds & {
  /** File of blocked domains, one per line (subdomains included); null = no blocklist. */
  blocklistFile: string | null;
  /** Replace e-mails, phone numbers and IPs by placeholders. */
  scrubPii: boolean;
  piiPlaceholders: PiiPlaceholders;
  /** Country for phone numbers without +country code when the page's domain is not a ccTLD (ISO 3166 alpha-2). */
  phoneDefaultCountry: string | null;
  /** Per-language thresholds, e.g. [{ "lang": "tha", "maxFlaggedRatio": 0.02 }]. */
  byLang: LangOverrides<SafetyThresholds>;
};

export const safetyDefaults: SafetyConfig = {
  maxFlaggedRatio: 0.01, // OBELICS: flagged-word ratio <= 0.01 (paragraph and document level)
  blocklistFile: null, // none shipped: point it at e.g. a UT1 "adult" domains list
  scrubPii: true, // mOSCAR and MINT-1T mask PII in text
  piiPlaceholders: { email: '<EMAIL>', phone: '<PHONE>', ip: '<IP>' },
  phoneDefaultCountry: 'US', // .com/.org/.net pages: the most common national format on the English web
  byLang: [],
};

const col = (name: string, type: string, description: string): ColumnSpec => ({ name, type, description });

export const safetyColumns: ColumnSpec[] = [
  col('safety_blocked_domain', 'VARCHAR', 'safety: blocklist entry the document URL host falls under (domain or subdomain), null if none'),
  col('safety_flagged_words', 'INTEGER', 'safety: LDNOOBW flagged words and phrases (naughty-words) in the text, per segment language'),
  col('safety_flagged_ratio', 'DOUBLE', 'safety: flagged words over words of segments whose language has a list; null if none has'),
  col('safety_images_blocked', 'INTEGER', 'safety: image segments removed because their host is on the blocklist'),
  col('safety_pii_emails', 'INTEGER', 'safety: e-mail addresses replaced by the placeholder'),
  col('safety_pii_phones', 'INTEGER', 'safety: phone numbers (valid per libphonenumber) replaced'),
  col('safety_pii_ips', 'INTEGER', 'safety: IPv4/IPv6 addresses replaced'),
];

/** Safety decision rules, in order. */
export function safetyRules(cfg: SafetyConfig): Rule[] {
  return [
    { reason: 'blocked_domain', column: 'safety_blocked_domain', kind: 'absent' },
    ...thresholdRules<SafetyThresholds>({ maxFlaggedRatio: cfg.maxFlaggedRatio }, cfg.byLang, {
      maxFlaggedRatio: ['flagged_words', 'safety_flagged_ratio', 'max'],
    }),
  ];
}

const blocklists = new Map<string, Blocklist>();

/** The blocklist of a config (read once per path), or null when none is configured. */
export function blocklistFor(cfg: SafetyConfig): Blocklist | null {
  if (!cfg.blocklistFile) return null;
  let b = blocklists.get(cfg.blocklistFile);
  if (!b) {
    try {
      b = Blocklist.fromFile(cfg.blocklistFile);
    } catch (e) {
      throw new Error(`safety.blocklistFile: cannot read ${cfg.blocklistFile} (${(e as Error).message})`);
    }
    blocklists.set(cfg.blocklistFile, b);
  }
  return b;
}

/** Measure the safety signals, remove blocked images, scrub PII. Returns the drop reason or null. */
export function screen(doc: Doc, cfg: SafetyConfig): string | null {
  const blocklist = blocklistFor(cfg);
  doc.signals.safety_blocked_domain = blocklist?.matchUrl(doc.url) ?? null;

  let imagesBlocked = 0;
  if (blocklist) {
    doc.segments = doc.segments.filter((s) => {
      const blocked = s.kind === 'image' && s.url ? blocklist.matchUrl(s.url) !== null : false;
      if (blocked) imagesBlocked++;
      return !blocked;
    });
  }

  let flagged = 0;
  let words = 0;
  let measured = false;
  for (const s of doc.segments) {
    if (s.kind !== 'text' || !s.text) continue;
    const c = countFlagged(s.text, s.lang ?? doc.lang);
    if (!c) continue;
    measured = true;
    flagged += c.flagged;
    words += c.words;
  }
  doc.signals.safety_flagged_words = flagged;
  doc.signals.safety_flagged_ratio = measured ? (words === 0 ? 0 : flagged / words) : null;
  doc.signals.safety_images_blocked = imagesBlocked;

  const counts: PiiCounts = { emails: 0, phones: 0, ips: 0 };
  if (cfg.scrubPii) {
    const country = phoneCountry(doc.domain, cfg.phoneDefaultCountry);
    for (const s of doc.segments) {
      if (s.text) s.text = scrubPii(s.text, country, cfg.piiPlaceholders, counts);
      if (s.alt) s.alt = scrubPii(s.alt, country, cfg.piiPlaceholders, counts);
    }
    if (doc.title) doc.title = scrubPii(doc.title, country, cfg.piiPlaceholders, counts);
  }
  doc.signals.safety_pii_emails = counts.emails;
  doc.signals.safety_pii_phones = counts.phones;
  doc.signals.safety_pii_ips = counts.ips;

  return dropReason(safetyRules(cfg), doc.signals, doc.lang);
}

export const safetyStage = docStage<Doc, Doc, { safety: SafetyConfig }>({
  name: 'safety',
  columns: safetyColumns,
  async open(config) {
    blocklistFor(config.safety); // a missing blocklist file fails the run before any unit starts
  },
  process(doc, ctx) {
    const reason = screen(doc, ctx.config.safety);
    const s = doc.signals;
    ctx.counters.add('pii:emails', s.safety_pii_emails as number);
    ctx.counters.add('pii:phones', s.safety_pii_phones as number);
    ctx.counters.add('pii:ips', s.safety_pii_ips as number);
    ctx.counters.add('images_blocked', s.safety_images_blocked as number);
    if (reason === 'blocked_domain') return drop(reason, `${doc.domain} is under ${String(s.safety_blocked_domain)}`);
    if (reason) return drop(reason, `safety_flagged_ratio=${String(s.safety_flagged_ratio)} (${String(s.safety_flagged_words)} words)`);
    return doc;
  },
});
