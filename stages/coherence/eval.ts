/**
 * The coherence evaluation's parts that need no corpus: the fit/check split by site, the corruption
 * kinds, sampling, ROC-AUC, and the logistic fit behind `coherence.score`. Used by scripts/eval-coherence.ts,
 * scripts/fit-coherence.ts (which load real pages from ../shared) and by test/coherence-eval.test.ts
 * (which loads a committed extract of check-half pages). Not part of the stage's data path.
 *
 * Corruptions are of several shapes so that no single one can be learned as "the" incoherence:
 *   splice 10/25/50%   a contiguous block of another page's paragraphs inserted at a random place
 *   alternating        every other paragraph replaced by another page's paragraphs (in their order)
 *   shuffled           the paragraphs permuted among the text positions (images stay)
 *   img swap           all images replaced by another page's images (alt texts kept)
 *   img swap no-alt    the same with every alt stripped, judged against the original with alts stripped
 *   img reorder        the page's own images permuted among their positions (>= 3 images)
 * Donors come from the same half, from another site.
 */
import type { Doc, Segment } from '../../schemas/doc.ts';
import { imageSite, measureCoherence, scorePerspectives, type CoherenceSignals, type LogisticScore, type MeasureConfig } from './signals.ts';

// ---------- deterministic randomness ----------
export class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  /** mulberry32 */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

// ---------- split by site ----------
/** The site of a page URL: its registrable domain ("www.bbc.co.uk" -> "bbc.co.uk"); '' when not a URL. */
export const siteOf = (url: string): string => imageSite(url);

/** FNV-1a of the site: even = fit half, odd = check half (fixed, so no page of a site is on both sides). */
export function halfOf(site: string): 'fit' | 'check' {
  let h = 0x811c9dc5;
  for (let i = 0; i < site.length; i++) h = Math.imul(h ^ site.charCodeAt(i), 0x01000193) >>> 0;
  return h % 2 === 0 ? 'fit' : 'check';
}

export interface EvalPage {
  id: string;
  /** Registrable domain (or file name for pages without a URL): the unit of the split. */
  site: string;
  doc: Doc;
}

// ---------- corruptions ----------
export const clone = (d: Doc): Doc => ({ ...d, segments: d.segments.map((s) => ({ ...s })), signals: {} });
const isText = (s: Segment) => s.kind === 'text' && (s.text?.length ?? 0) > 0;
const texts = (d: Doc) => d.segments.filter(isText);
const images = (d: Doc) => d.segments.filter((s) => s.kind === 'image');

/** A block of the donor's paragraphs (a share of the host's paragraphs, >= 1) inserted at a random place. */
export function spliced(rng: Rng, doc: Doc, donor: Doc, share: number): Doc {
  const out = clone(doc);
  const donorText = texts(donor);
  const k = Math.min(donorText.length, Math.max(1, Math.round(share * texts(out).length)));
  const start = rng.int(donorText.length - k + 1);
  const at = rng.int(out.segments.length + 1);
  out.segments.splice(at, 0, ...donorText.slice(start, start + k).map((s) => ({ ...s })));
  return out;
}

/** Every other paragraph (odd text positions) replaced by consecutive paragraphs of the donor. */
export function alternating(rng: Rng, doc: Doc, donor: Doc): Doc {
  const out = clone(doc);
  const donorText = texts(donor);
  let k = rng.int(donorText.length);
  let t = 0;
  out.segments = out.segments.map((s) => (isText(s) && t++ % 2 === 1 ? { ...donorText[k++ % donorText.length]! } : s));
  return out;
}

/** The paragraphs permuted among the text positions; images keep theirs. */
export function shuffledText(rng: Rng, doc: Doc): Doc {
  const out = clone(doc);
  const pos = out.segments.flatMap((s, i) => (isText(s) ? [i] : []));
  const paras = pos.map((i) => out.segments[i]!);
  for (let i = paras.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [paras[i], paras[j]] = [paras[j]!, paras[i]!];
  }
  pos.forEach((p, k) => (out.segments[p] = paras[k]!));
  return out;
}

/** Every image replaced by the donor's images (in the donor's order, from a random start, cycling). */
export function swappedImages(rng: Rng, doc: Doc, donor: Doc): Doc {
  const out = clone(doc);
  const donorImgs = images(donor);
  let k = rng.int(donorImgs.length);
  out.segments = out.segments.map((s) => (s.kind === 'image' ? { ...donorImgs[k++ % donorImgs.length]! } : s));
  return out;
}

/** The page's own images permuted among their positions so that no image stays where it was. */
export function reorderedImages(rng: Rng, doc: Doc): Doc {
  const out = clone(doc);
  const pos = out.segments.flatMap((s, i) => (s.kind === 'image' ? [i] : []));
  // A random rotation by 1..n-1 of a random permutation's order: every image moves.
  const order = pos.map((p) => [rng.next(), p] as const).sort((a, b) => a[0] - b[0]).map(([, p]) => p);
  const shift = 1 + rng.int(order.length - 1);
  const src = order.map((p) => doc.segments[p]!);
  order.forEach((p, k) => (out.segments[p] = { ...src[(k + shift) % src.length]! }));
  return out;
}

export const stripAlt = (d: Doc): Doc => {
  const out = clone(d);
  out.segments = out.segments.map((s) => (s.kind === 'image' ? { ...s, alt: null } : s));
  return out;
};

/** One corruption kind: which pages it applies to, the original it is judged against, the corrupted version. */
export interface CorruptionKind {
  applies: (d: Doc) => boolean;
  original: (d: Doc) => Doc;
  make: (rng: Rng, page: EvalPage, donor: (need: (d: Doc) => boolean) => Doc) => Doc;
}

const distinctImages = (d: Doc) => new Set(images(d).map((s) => s.url)).size;
const same = (d: Doc) => d;

export const CORRUPTIONS: Record<string, CorruptionKind> = {
  'splice 10%': { applies: () => true, original: same, make: (r, p, donor) => spliced(r, p.doc, donor((d) => texts(d).length >= 0.1 * texts(p.doc).length), 0.1) },
  'splice 25%': { applies: () => true, original: same, make: (r, p, donor) => spliced(r, p.doc, donor((d) => texts(d).length >= 0.25 * texts(p.doc).length), 0.25) },
  'splice 50%': { applies: () => true, original: same, make: (r, p, donor) => spliced(r, p.doc, donor((d) => texts(d).length >= 0.5 * texts(p.doc).length), 0.5) },
  alternating: { applies: () => true, original: same, make: (r, p, donor) => alternating(r, p.doc, donor((d) => texts(d).length >= texts(p.doc).length / 2)) },
  shuffled: { applies: () => true, original: same, make: (r, p) => shuffledText(r, p.doc) },
  'img swap': { applies: (d) => images(d).length > 0, original: same, make: (r, p, donor) => swappedImages(r, p.doc, donor((d) => images(d).length > 0)) },
  'img swap no-alt': {
    applies: (d) => images(d).length > 0,
    original: stripAlt,
    make: (r, p, donor) => stripAlt(swappedImages(r, p.doc, donor((d) => images(d).length > 0))),
  },
  'img reorder': { applies: (d) => distinctImages(d) >= 3, original: same, make: (r, p) => reorderedImages(r, p.doc) },
};

// ---------- samples ----------
export interface Sample {
  /** 'orig' or a corruption kind; `of` = the kind whose original this is (originals differ per kind). */
  kind: string;
  of: string;
  page: number;
  signals: CoherenceSignals;
  hasImages: boolean;
}

/**
 * Every page's original and one corrupted version per kind that applies (donors: another site of `pages`),
 * measured with `cfg`. Originals are measured once per distinct original transform.
 */
export function sampleSet(pages: EvalPage[], seed: number, cfg: MeasureConfig, kinds: Record<string, CorruptionKind> = CORRUPTIONS): Sample[] {
  const rng = new Rng(seed);
  const out: Sample[] = [];
  const measure = (d: Doc) => ({ signals: measureCoherence(d, cfg).signals, hasImages: d.segments.some((s) => s.kind === 'image') });
  const origCache = new Map<string, Sample>();
  pages.forEach((p, i) => {
    const donor = (need: (d: Doc) => boolean): Doc => {
      for (let tries = 0; tries < 50; tries++) {
        const q = pages[rng.int(pages.length)]!;
        if (q.site !== p.site && need(q.doc)) return q.doc;
      }
      const ok = pages.filter((q) => q.site !== p.site && need(q.doc));
      return (ok.length ? ok : pages.filter((q) => q !== p))[0]!.doc;
    };
    for (const [kind, k] of Object.entries(kinds)) {
      if (!k.applies(p.doc)) continue;
      const origKey = `${i}:${k.original === same ? '' : kind}`;
      if (!origCache.has(origKey)) {
        const s = { kind: 'orig', of: k.original === same ? '' : kind, page: i, ...measure(k.original(p.doc)) };
        origCache.set(origKey, s);
        out.push(s);
      }
      out.push({ kind, of: kind, page: i, ...measure(k.make(rng, p, donor)) });
    }
  });
  return out;
}

/** The originals a kind is judged against: those of its own transform (alt stripped, ...) or the plain ones. */
export function originalsFor(samples: Sample[], kind: string): Sample[] {
  const own = samples.filter((s) => s.kind === 'orig' && s.of === kind);
  const pages = new Set(samples.filter((s) => s.kind === kind).map((s) => s.page));
  return (own.length ? own : samples.filter((s) => s.kind === 'orig' && s.of === '')).filter((s) => pages.has(s.page));
}

// ---------- metrics ----------
/** ROC-AUC: probability that a random positive scores above a random negative (ties count half). */
export function auc(pos: number[], neg: number[]): number {
  // NaN (a signal not measured, when asked to skip those) takes no part.
  pos = pos.filter((v) => !Number.isNaN(v));
  neg = neg.filter((v) => !Number.isNaN(v));
  if (!pos.length || !neg.length) return NaN;
  // Rank-based (Mann-Whitney U) so that tens of thousands of samples stay cheap.
  const all = [...pos.map((v) => [v, 1] as const), ...neg.map((v) => [v, 0] as const)].sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]![0] === all[i]![0]) j++;
    const rank = (i + j + 1) / 2; // average rank of the tie group (1-based)
    for (let k = i; k < j; k++) if (all[k]![1] === 1) rankSum += rank;
    i = j;
  }
  return (rankSum - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

type Key = keyof CoherenceSignals;

/**
 * AUC per kind of `key` (default coherence_score) after rescoring every sample with `cfg`. A NULL score
 * counts as coherent (1): a document the stage cannot judge passes, as in a run.
 */
export function aucTable(samples: Sample[], cfg: Pick<MeasureConfig, 'score' | 'combine'>, key: Key = 'coherence_score', nullAs = 1): Record<string, number> {
  for (const s of samples) scorePerspectives(s.signals, cfg, s.hasImages);
  const val = (s: Sample) => (s.signals[key] as number | null) ?? nullAs;
  const kinds = [...new Set(samples.map((s) => s.kind))].filter((k) => k !== 'orig');
  return Object.fromEntries(kinds.map((k) => [k, auc(originalsFor(samples, k).map(val), samples.filter((s) => s.kind === k).map(val))]));
}

// ---------- fitting ----------
const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)]! : 0;
};

/** L2-regularised logistic regression (gradient descent on standardised inputs, balanced classes), in raw units. */
export function fitLogistic(rows: { x: (number | null)[]; y: 0 | 1 }[], features: Key[], fill: number[], l2 = 0.01): LogisticScore {
  const X = rows.map((r) => r.x.map((v, j) => v ?? fill[j]!));
  const d = features.length;
  const mu = features.map((_, j) => X.reduce((s, x) => s + x[j]!, 0) / X.length);
  const sd = features.map((_, j) => Math.sqrt(X.reduce((s, x) => s + (x[j]! - mu[j]!) ** 2, 0) / X.length) || 1);
  const Z = X.map((x) => x.map((v, j) => (v - mu[j]!) / sd[j]!));
  const pos = rows.filter((r) => r.y === 1).length;
  const cw = [rows.length / (2 * (rows.length - pos)), rows.length / (2 * pos)];
  const w = new Array<number>(d).fill(0);
  let b = 0;
  for (let it = 0; it < 1500; it++) {
    const gw = new Array<number>(d).fill(0);
    let gb = 0;
    for (let i = 0; i < Z.length; i++) {
      const z = Z[i]!;
      let t = b;
      for (let j = 0; j < d; j++) t += z[j]! * w[j]!;
      const e = (1 / (1 + Math.exp(-t)) - rows[i]!.y) * cw[rows[i]!.y]!;
      gb += e;
      for (let j = 0; j < d; j++) gw[j]! += e * z[j]!;
    }
    for (let j = 0; j < d; j++) w[j]! -= 0.5 * (gw[j]! / Z.length + l2 * w[j]!);
    b -= 0.5 * (gb / Z.length);
  }
  const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
  const weights: LogisticScore['weights'] = {};
  const fills: LogisticScore['fill'] = {};
  let bias = b;
  features.forEach((f, j) => {
    weights[f] = r4(w[j]! / sd[j]!);
    bias -= (w[j]! * mu[j]!) / sd[j]!;
    fills[f] = r4(fill[j]!);
  });
  return { bias: r4(bias), weights, fill: fills };
}

/**
 * Puts a perspective on a common scale before the minimum: its logit standardised over the fit originals
 * and shifted by `shift`, so a typical real document scores sigmoid(shift) and one `shift` standard
 * deviations below it 0.5, whatever the raw spread (else the widest logits would decide every minimum).
 */
export function calibrate(m: LogisticScore, originals: CoherenceSignals[], shift = 2): LogisticScore {
  const logit = (s: CoherenceSignals) =>
    m.bias + Object.entries(m.weights).reduce((z, [k, w]) => z + w! * ((s[k as Key] as number | null) ?? m.fill[k as Key]!), 0);
  const z = originals.map(logit);
  const mu = z.reduce((a, b) => a + b, 0) / z.length;
  const sd = Math.sqrt(z.reduce((a, b) => a + (b - mu) ** 2, 0) / z.length) || 1;
  const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
  const weights = Object.fromEntries(Object.entries(m.weights).map(([k, w]) => [k, r4(w! / sd)]));
  return { bias: r4((m.bias - mu) / sd + shift), weights, fill: m.fill };
}

/** One perspective's model: its signal columns and the corruption kinds it is fit against. */
export interface PerspectiveSpec {
  features: Key[];
  negatives: RegExp;
}

/**
 * Fits each perspective's logistic model on `samples` (originals = 1, its corruption kinds = 0; a NULL
 * signal takes its median over the originals), calibrated over the originals.
 */
export function fitPerspective(samples: Sample[], spec: PerspectiveSpec): LogisticScore {
  if (!spec.features.length) return { bias: 0, weights: {}, fill: {} };
  const origs = samples.filter((s) => s.kind === 'orig' && s.of === '');
  const fill = spec.features.map((f) => median(origs.map((s) => s.signals[f]).filter((v): v is number => typeof v === 'number')));
  const rows = samples
    .filter((s) => (s.kind === 'orig' && (s.of === '' || spec.negatives.test(s.of))) || spec.negatives.test(s.kind))
    .map((s) => ({ x: spec.features.map((f) => s.signals[f] as number | null), y: (s.kind === 'orig' ? 1 : 0) as 0 | 1 }));
  return calibrate(fitLogistic(rows, spec.features, fill), origs.map((s) => s.signals));
}
