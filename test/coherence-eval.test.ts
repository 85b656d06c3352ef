/**
 * A guard on what scripts/eval-coherence.ts reports: the shipped coherence defaults still separate
 * real pages from their corrupted versions on the held-out half (pages the weights never saw). The
 * script prints the exact AUCs; this keeps a change to the signals or the fit from silently losing
 * them. Bounds sit ~0.03 under the measured values (the eval with this seed: spliced 25% 0.905,
 * all images swapped 0.833), so refit noise does not trip them but a real regression does.
 */
import { describe, expect, it } from 'vitest';
import { coherenceDefaults } from '../stages/coherence/index.ts';
import { aucTable, sampleSet } from '../scripts/fit-coherence.ts';
import { loadPages, visualPools, withVisuals } from '../scripts/coherence-eval-data.ts';

describe('coherence evaluation on real held-out pages', () => {
  it('meets the aims: spliced paragraphs and swapped images are told from the originals', async () => {
    const pools = await visualPools();
    const pages = loadPages('main', 'heldout');
    pages.forEach((p, i) => withVisuals(p.doc, pools[i % pools.length]!));
    expect(pages.length).toBe(34);
    const samples = sampleSet(pages, 8, 4, coherenceDefaults);
    const auc = aucTable(samples, coherenceDefaults);
    expect(auc['spliced 25%']).toBeGreaterThanOrEqual(0.87);
    expect(auc['spliced 50%']).toBeGreaterThanOrEqual(0.9);
    expect(auc['swapped img 50%']).toBeGreaterThanOrEqual(0.83);
    expect(auc['swapped img all']).toBeGreaterThanOrEqual(0.8);
    // The perspectives alone, for the failure each one is for.
    expect(aucTable(samples, coherenceDefaults, 'coh_text_score')['spliced 25%']).toBeGreaterThanOrEqual(0.87);
    expect(aucTable(samples, coherenceDefaults, 'coh_align_score')['swapped img all']).toBeGreaterThanOrEqual(0.88);
  }, 120_000);
});
