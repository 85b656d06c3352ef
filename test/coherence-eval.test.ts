/**
 * A guard on what scripts/eval-coherence.ts reports, on a slice that runs in seconds and ships with the repo:
 * test/fixtures/coherence/pages.json.gz (scripts/make-coherence-fixtures.ts: real pages of the CHECK half,
 * split by site and never fitted on, from the MIT / CC-BY-4.0 / Apache-2.0 sets of the dev collection, as the
 * extract stage outputs them). Every corruption kind of stages/coherence/eval.ts. Bounds sit ~0.04 under the
 * values measured on this slice, so refit noise does not trip them but a regression does.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Segment } from '../schemas/doc.ts';
import { coherenceDefaults } from '../stages/coherence/index.ts';
import { aucTable, halfOf, sampleSet, siteOf, type EvalPage } from '../stages/coherence/eval.ts';

interface FixturePage {
  id: string;
  site: string;
  url: string;
  title: string | null;
  lang: string | null;
  segments: Segment[];
}

function fixturePages(): EvalPage[] {
  const raw = JSON.parse(gunzipSync(readFileSync(new URL('./fixtures/coherence/pages.json.gz', import.meta.url))).toString('utf8')) as FixturePage[];
  return raw.map((p) => ({
    id: p.id, site: p.site,
    doc: {
      id: p.id, url: p.url, domain: siteOf(p.url), title: p.title, fetchedAt: null,
      source: { file: p.id, offset: 0, recordId: null, recordType: 'file' },
      lang: p.lang, langScore: null, segments: p.segments, signals: {},
    },
  }));
}

describe('coherence evaluation on check-half pages (repo fixtures)', () => {
  const pages = fixturePages();

  it('holds only check-half pages of several sites', () => {
    expect(pages.length).toBeGreaterThan(60);
    for (const p of pages) expect(halfOf(p.site)).toBe('check');
    expect(new Set(pages.map((p) => p.site)).size).toBeGreaterThan(50);
  });

  it('tells every corruption kind from the originals, and explains every NULL score', () => {
    const samples = sampleSet(pages, 1, coherenceDefaults);
    const auc = aucTable(samples, coherenceDefaults);
    expect(auc.alternating).toBeGreaterThanOrEqual(BOUNDS.alternating);
    expect(auc['splice 25%']).toBeGreaterThanOrEqual(BOUNDS.splice25);
    expect(auc['splice 50%']).toBeGreaterThanOrEqual(BOUNDS.splice50);
    expect(auc['img swap']).toBeGreaterThanOrEqual(BOUNDS.swap);
    expect(auc['img swap no-alt']).toBeGreaterThanOrEqual(BOUNDS.swapNoAlt);
    expect(auc.shuffled).toBeGreaterThanOrEqual(BOUNDS.shuffled);
    for (const s of samples) expect(s.signals.coherence_score === null).toBe(s.signals.coh_unscored !== null);
    const origs = samples.filter((s) => s.kind === 'orig' && s.of === '');
    const rejected = origs.filter((s) => (s.signals.coherence_score ?? 1) < coherenceDefaults.minScore).length;
    expect(rejected / origs.length).toBeLessThanOrEqual(0.06);
  }, 60_000);
});

// Measured on this slice (89 pages, seed 1): alternating 0.968, splice 25% 0.860, 50% 0.934, img swap 0.945, no-alt 0.874, shuffled 0.912; 1/89 rejected.
const BOUNDS = { alternating: 0.92, splice25: 0.82, splice50: 0.89, swap: 0.9, swapNoAlt: 0.83, shuffled: 0.87 };
