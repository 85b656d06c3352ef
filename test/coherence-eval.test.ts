/**
 * A guard on what scripts/eval-coherence.ts reports, on a slice that runs in seconds: the check-half
 * (by site hash, never fitted on) fundus pages of ../shared/corpus/html (MIT; news from many publishers),
 * through the extract stage, >= 8 paragraphs, every corruption kind of stages/coherence/eval.ts. Bounds sit
 * ~0.04 under the values measured on this slice, so refit noise does not trip them but a regression does.
 * Needs ../shared (the corpus), like the other tests on real pages.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { coherenceDefaults } from '../stages/coherence/index.ts';
import { aucTable, halfOf, sampleSet, siteOf, type EvalPage } from '../stages/coherence/eval.ts';
import { extractHtml } from '../stages/extract/index.ts';

const DIR = new URL('../../shared/corpus/html/fundus', import.meta.url).pathname;

function checkPages(): EvalPage[] {
  const rows = readFileSync(join(DIR, '../DEVSETS-MANIFEST.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
  const out: EvalPage[] = [];
  for (const [set, stem, url] of rows) {
    if (set !== 'fundus' || !url || halfOf(siteOf(url)) !== 'check') continue;
    const meta = JSON.parse(readFileSync(join(DIR, `${stem}.json`), 'utf8')) as { html_lang?: string; title?: string };
    const ex = extractHtml(new TextDecoder().decode(gunzipSync(readFileSync(join(DIR, `${stem}.html.gz`)))), url);
    if (ex.segments.filter((s) => s.kind === 'text').length < 8) continue;
    out.push({
      id: stem!, site: siteOf(url),
      doc: {
        id: stem!, url, domain: siteOf(url), title: ex.title ?? meta.title ?? null, fetchedAt: null,
        source: { file: `${stem}.html.gz`, offset: 0, recordId: null, recordType: 'file' },
        lang: meta.html_lang ? meta.html_lang.slice(0, 2).toLowerCase() : null, langScore: null, segments: ex.segments, signals: {},
      },
    });
  }
  return out;
}

describe('coherence evaluation on check-half pages', () => {
  it('tells every corruption kind from the originals, and explains every NULL score', () => {
    const pages = checkPages();
    expect(pages.length).toBeGreaterThan(60);
    const samples = sampleSet(pages, 1, coherenceDefaults);
    const auc = aucTable(samples, coherenceDefaults);
    expect(auc['alternating']).toBeGreaterThanOrEqual(BOUNDS.alternating);
    expect(auc['splice 25%']).toBeGreaterThanOrEqual(BOUNDS.splice25);
    expect(auc['splice 50%']).toBeGreaterThanOrEqual(BOUNDS.splice50);
    expect(auc['img swap']).toBeGreaterThanOrEqual(BOUNDS.swap);
    expect(auc['img swap no-alt']).toBeGreaterThanOrEqual(BOUNDS.swapNoAlt);
    expect(auc['shuffled']).toBeGreaterThanOrEqual(BOUNDS.shuffled);
    for (const s of samples) expect(s.signals.coherence_score === null).toBe(s.signals.coh_unscored !== null);
    const origs = samples.filter((s) => s.kind === 'orig' && s.of === '');
    const rejected = origs.filter((s) => (s.signals.coherence_score ?? 1) < coherenceDefaults.minScore).length;
    expect(rejected / origs.length).toBeLessThanOrEqual(0.06);
  }, 60_000);
});

// Measured on this slice (95 pages, seed 1): alternating 0.913, splice 25% 0.881, 50% 0.905, img swap 0.919, no-alt 0.811, shuffled 0.652.
const BOUNDS = { alternating: 0.87, splice25: 0.84, splice50: 0.86, swap: 0.88, swapNoAlt: 0.77, shuffled: 0.61 };
