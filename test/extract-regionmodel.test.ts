/**
 * The learned region model (stages/extract/regionmodel.ts): the shipped trees load and match the
 * feature list, candidates are the rules' block, its ancestors and other well-valued blocks outside
 * boilerplate, trees evaluate as written, and the model never leaves a page with less than the rules
 * would keep when its own region keeps almost nothing. Pages here are generated HTML.
 */
import { describe, expect, it } from 'vitest';
import { FEATURES, shippedRunModel } from '../stages/extract/runmodel.ts';
import { buildTree } from '../stages/extract/tree.ts';
import { selectContent } from '../stages/extract/content.ts';
import { extractDefaults } from '../stages/extract/index.ts';
import {
  chooseRegion, NREGION, REGION_FEATURES, regionCandidates, regionFeatures, shippedRegionModel, treeSum, type Tree,
} from '../stages/extract/regionmodel.ts';

const para = (topic: string) =>
  `<p>This paragraph about ${topic} is long enough to read as content, with commas, clauses and a full stop at the end of it. ` +
  `It goes on with a second sentence about ${topic}, so that the block is plainly the body of the page.</p>`;

const page = `<html><body><nav><a href="/">Home</a> <a href="/a">About</a></nav>
  <div id="wrap"><div class="story">${para('tides')}${para('the moon')}</div>
  <div class="more">${para('lighthouses')}</div></div>
  <div class="comments">${para('a reader')}</div><footer>(c) 2026</footer></body></html>`;

describe('region model', () => {
  it('ships trees fitted on the current feature list', () => {
    const m = shippedRegionModel();
    expect(m).not.toBeNull();
    expect(m!.features).toEqual([...REGION_FEATURES]);
    expect(m!.trees.length).toBeGreaterThan(0);
    for (const t of m!.trees) for (const f of t.feature) expect(f).toBeLessThan(NREGION);
  });

  it('ships the run model too, fitted on its current feature list (a stale file would be ignored silently)', () => {
    const m = shippedRunModel();
    expect(m).not.toBeNull();
    expect(m!.features).toEqual([...FEATURES]);
    expect(m!.weights).toHaveLength(FEATURES.length);
  });

  it('takes the rules\' block first, then its ancestors and other blocks, none of them boilerplate', () => {
    const tree = buildTree(page, 'https://example.org/a');
    const sel = selectContent(tree, { ...extractDefaults, regionModel: false });
    const view = { text: sel.text, link: sel.link, value: sel.value, strong: sel.strong, positiveText: sel.positiveText };
    const cands = regionCandidates(tree, view, sel.ruleRegion);
    expect(cands[0]).toBe(sel.ruleRegion);
    expect(new Set(cands.map((b) => b.index)).size).toBe(cands.length);
    for (const b of cands) expect(sel.strong[b.index]).toBe(0);
    if (sel.ruleRegion.parent && !sel.strong[sel.ruleRegion.parent.index]) expect(cands).toContain(sel.ruleRegion.parent);
    const x = regionFeatures(tree, view, cands);
    expect(x.length).toBe(cands.length * NREGION);
    expect(x.every(Number.isFinite)).toBe(true);
    // An impossible margin keeps the rules' choice.
    const m = shippedRegionModel()!;
    expect(chooseRegion({ ...m, margin: Infinity }, tree, view, sel.ruleRegion)).toBeNull();
  });

  it('evaluates a tree as written: feature below the threshold goes left', () => {
    const t: Tree = { feature: [1, -1, -1], threshold: [0.5, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, -1, 2] };
    const x = Float64Array.from([9, 0.2, 7, 0.9]);
    expect(treeSum([t], 0.5, x, 0)).toBe(-0.5);
    expect(treeSum([t], 0.5, x, 2)).toBe(2.5);
  });

  it('keeps the story and drops the comments with the model on', () => {
    const tree = buildTree(page, 'https://example.org/a');
    const sel = selectContent(tree, extractDefaults);
    const kept = tree.items.filter((it, i) => sel.keep[i] && it.kind === 'text').map((it) => (it as { text: string }).text).join(' ');
    expect(kept).toMatch(/tides.*the moon/s);
    expect(kept).not.toMatch(/a reader/);
  });
});
