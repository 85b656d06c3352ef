/**
 * The optional model scorer on the real onnxruntime-node: the test builds two tiny ONNX "towers"
 * (opset 13 protobuf written with onnx-proto) and a WordPiece tokenizer.json, then checks the
 * embeddings against the same arithmetic done in plain JS, and that the coherence signals use them.
 */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import type { Doc, Segment } from '../schemas/doc.ts';
import { ClipScorer, toPixelTensor, type ClipModelConfig } from '../stages/coherence/onnx.ts';
import { measureCoherence } from '../stages/coherence/signals.ts';
import { applyCoherence, coherenceDefaults } from '../stages/coherence/index.ts';
import { defaultConfig, mergeConfig } from '../pipeline/config.ts';
import { runCorpus } from '../pipeline/run.ts';
import { queryCorpus } from '../pipeline/query.ts';
import { fixture } from './helpers/fixtures.ts';

const { onnx } = onnxProto;
const FLOAT = 1;
const INT64 = 7;
const D = 4;
const VOCAB = ['[PAD]', '[UNK]', 'red', 'green', 'blue', 'fire', 'grass', 'sky'];
// Token embeddings: colour words on the colour axes, objects near their colour, [UNK] on its own axis.
const EMB: number[][] = [
  [0, 0, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0.2], [0, 1, 0, 0.2], [0, 0, 1, 0.2],
];
const SIDE = 8;

const valueInfo = (name: string, elemType: number, dims: (number | string)[]) => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
});

function modelBytes(graph: object): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'interleaved-corpus-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: onnx.GraphProto.create(graph),
  });
  return onnx.ModelProto.encode(model).finish();
}

/** pixel_values [N,3,S,S] -> mean over H,W -> [N,3] -> MatMul [3,D] -> image_embeds [N,D]. */
function imageTower(): Uint8Array {
  const W = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]; // RGB -> first three axes
  return modelBytes({
    name: 'image_tower',
    input: [valueInfo('pixel_values', FLOAT, ['N', 3, SIDE, SIDE])],
    output: [valueInfo('image_embeds', FLOAT, ['N', D])],
    initializer: [{ name: 'W', dataType: FLOAT, dims: [3, D], floatData: W }],
    node: [
      { opType: 'ReduceMean', input: ['pixel_values'], output: ['rgb'], attribute: [{ name: 'axes', type: 7, ints: [2, 3] }, { name: 'keepdims', type: 2, i: 0 }] },
      { opType: 'MatMul', input: ['rgb', 'W'], output: ['image_embeds'] },
    ],
  });
}

/** input_ids [N,L] -> Gather(E) [N,L,D] -> mean over L -> text_embeds [N,D]; also takes attention_mask (unused). */
function textTower(): Uint8Array {
  return modelBytes({
    name: 'text_tower',
    input: [valueInfo('input_ids', INT64, ['N', 'L']), valueInfo('attention_mask', INT64, ['N', 'L'])],
    output: [valueInfo('text_embeds', FLOAT, ['N', D])],
    initializer: [{ name: 'E', dataType: FLOAT, dims: [VOCAB.length, D], floatData: EMB.flat() }],
    node: [
      { opType: 'Gather', input: ['E', 'input_ids'], output: ['tok'], attribute: [{ name: 'axis', type: 2, i: 0 }] },
      { opType: 'ReduceMean', input: ['tok'], output: ['text_embeds'], attribute: [{ name: 'axes', type: 7, ints: [1] }, { name: 'keepdims', type: 2, i: 0 }] },
      { opType: 'Identity', input: ['attention_mask'], output: ['unused'] },
    ],
  });
}

const tokenizerJson = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [
    { id: 0, content: '[PAD]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    { id: 1, content: '[UNK]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
  ],
  normalizer: { type: 'Lowercase' },
  pre_tokenizer: { type: 'Whitespace' },
  post_processor: null,
  decoder: null,
  model: {
    type: 'WordPiece',
    unk_token: '[UNK]',
    continuing_subword_prefix: '##',
    max_input_chars_per_word: 100,
    vocab: Object.fromEntries(VOCAB.map((w, i) => [w, i])),
  },
};

const solid = (r: number, g: number, b: number, w = 12, h = 10) => {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set([r, g, b], i * 3);
  return { data, width: w, height: h };
};

const unit = (v: number[]) => {
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
};

let dir: string;
let scorer: ClipScorer;
let cfg: ClipModelConfig;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coherence-onnx-'));
  writeFileSync(join(dir, 'image.onnx'), imageTower());
  writeFileSync(join(dir, 'text.onnx'), textTower());
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson));
  cfg = {
    imageModel: join(dir, 'image.onnx'),
    textModel: join(dir, 'text.onnx'),
    tokenizer: join(dir, 'tokenizer.json'),
    imageSize: SIDE,
    mean: [0, 0, 0],
    std: [1, 1, 1],
    maxTextTokens: 6,
    padTokenId: 0,
    threads: 1,
  };
  scorer = await ClipScorer.open(cfg);
});

afterAll(async () => {
  await scorer?.release();
  rmSync(dir, { recursive: true, force: true });
});

describe('ClipScorer on onnxruntime-node', () => {
  it('embeds texts exactly as the tower arithmetic says, padded and truncated to maxTextTokens', async () => {
    const [fire, long] = await scorer.embedTexts(['Red fire', 'green grass green grass green grass sky blue']);
    // "red fire" + 4 pads: mean of E[red], E[fire], 4 zero rows, then L2-normalised.
    const expected = unit([0, 1, 2, 3].map((k) => (EMB[2]![k]! + EMB[5]![k]!) / 6));
    expect(Array.from(fire!)).toEqual(expected.map((x) => expect.closeTo(x, 5)));
    // 8 tokens truncated to 6 keeping the last: green grass green grass green blue.
    const ids = [3, 6, 3, 6, 3, 4];
    const exp2 = unit([0, 1, 2, 3].map((k) => ids.reduce((s, id) => s + EMB[id]![k]!, 0) / 6));
    expect(Array.from(long!)).toEqual(exp2.map((x) => expect.closeTo(x, 5)));
  });

  it('embeds images after centre-crop, resize and normalisation', async () => {
    const [red, mixed] = await scorer.embedImages([solid(255, 0, 0), solid(0, 128, 255, 30, 7)]);
    expect(Array.from(red!)).toEqual([1, 0, 0, 0].map((x) => expect.closeTo(x, 5)));
    expect(Array.from(mixed!)).toEqual(unit([0, 128 / 255, 1, 0]).map((x) => expect.closeTo(x, 4)));
    const t = toPixelTensor(solid(10, 20, 30), 4, [0, 0, 0], [1, 1, 1]);
    expect(t.length).toBe(3 * 16);
    expect(t[0]).toBeCloseTo(10 / 255, 6);
    expect(t[16 * 2 + 5]).toBeCloseTo(30 / 255, 6);
  });

  it('feeds image-text and image-image cosines into the coherence signals', async () => {
    const seg = (s: Partial<Segment>): Segment => ({ kind: 'text', ...s }) as Segment;
    const doc = (segments: Segment[]): Doc => ({
      id: 'd', url: 'http://x/', domain: 'x', title: null, fetchedAt: null,
      source: { file: 'f', offset: 0, recordId: null, recordType: 'file' }, lang: 'en', langScore: null, segments, signals: {},
    });
    const redImg = seg({ kind: 'image', url: 'http://x/a.jpg', visual: { pixels: solid(255, 0, 0) } });
    const greenImg = seg({ kind: 'image', url: 'http://x/b.jpg', visual: { pixels: solid(0, 255, 0) } });
    const aligned = doc([seg({ text: 'red fire' }), redImg, seg({ text: 'green grass' }), seg({ text: 'nothing here' }), seg({ text: 'nothing more' }), seg({ text: 'and more' }), greenImg, seg({ text: 'green grass' })]);
    const swapped = doc([seg({ text: 'red fire' }), greenImg, seg({ text: 'blue sky' }), seg({ text: 'nothing here' }), seg({ text: 'nothing more' }), seg({ text: 'and more' }), redImg, seg({ text: 'blue sky' })]);
    const counts: string[] = [];
    const a = measureCoherence(aligned, coherenceDefaults, await scorer.embedDocument(aligned, (k) => counts.push(k))).signals;
    const b = measureCoherence(swapped, coherenceDefaults, await scorer.embedDocument(swapped, (k) => counts.push(k))).signals;
    expect(counts).toEqual([]);
    expect(a.coh_model_image_text!).toBeGreaterThan(0.9);
    expect(b.coh_model_image_text!).toBeLessThan(a.coh_model_image_text! - 0.5);
    expect(a.coh_model_image_image).toBeCloseTo(0, 5); // red vs green: orthogonal
    expect(a.coh_align_score!).toBeGreaterThan(b.coh_align_score!);
    // An image without pixels is skipped and counted.
    const noPixels = doc([seg({ text: 'red' }), seg({ kind: 'image', url: 'http://x/c.jpg' })]);
    const emb = await scorer.embedDocument(noPixels, (k) => counts.push(k));
    expect(emb.image.size).toBe(0);
    expect(counts).toEqual(['model:no_pixels']);
    // The stage's decision path takes the embeddings too.
    const out = applyCoherence(aligned, { ...coherenceDefaults, minScore: 0 }, await scorer.embedDocument(aligned, () => {}));
    expect('segments' in out && out.signals.coh_model_image_text).toBeGreaterThan(0.9);
  });
});

describe('model path in a corpus run', () => {
  it('decodes model pixels in the images stage and writes model similarities for a real WARC', async () => {
    const out = mkdtempSync(join(tmpdir(), 'coherence-onnx-run-'));
    try {
      const file = fixture('warc/netarchivesuite__solrwayback/IAH-20080430204825-00000-blackbook.warc.gz');
      // archive.org pages of 2008 whose images are archived in the same WARC; they are small (logos,
      // buttons): let them through OBELICS' size filters to have pixels to embed.
      const config = mergeConfig(defaultConfig, { images: { nsfw: false, offline: true, minSide: 1, maxAspect: 100 }, coherence: { model: cfg, minScore: 0 } });
      await runCorpus({ inputs: [file], out, config, workers: 1, progress: false, log: () => {} });
      const rows = await queryCorpus(out, 'SELECT url, coh_images, coh_model_image_text AS it, coh_model_image_image AS ii FROM docs');
      const withModel = rows.filter((r) => r.it !== null);
      expect(withModel.length).toBeGreaterThan(2);
      // The towers' arithmetic: every embedding has non-negative components (mean colours; token rows
      // of E), so cosines lie in [0, 1]; two images of one page: cosine of their mean colours.
      for (const r of withModel) {
        expect(Number(r.it)).toBeGreaterThanOrEqual(0);
        expect(Number(r.it)).toBeLessThanOrEqual(1);
      }
      const ii = withModel.filter((r) => r.ii !== null).map((r) => Number(r.ii));
      expect(ii.length).toBeGreaterThan(0);
      for (const v of ii) expect(v).toBeGreaterThan(0.5); // mean colours of real pictures: all channels positive
      // Every image segment with a usable image reached the model with its pixels; only refused ones had none.
      const stats = await queryCorpus(out, "SELECT sum(value) AS n FROM stats WHERE stage = 'coherence' AND counter = 'model:no_pixels'");
      const usable = await queryCorpus(out, "SELECT sum(len(list_filter(segments, s -> s.kind = 'image' AND s.image_id IS NOT NULL))) AS n FROM docs");
      const imageSegments = rows.reduce((n, r) => n + Number(r.coh_images ?? 0), 0);
      expect(Number(usable[0]!.n)).toBeGreaterThan(2);
      expect(imageSegments - Number(stats[0]?.n ?? 0)).toBe(Number(usable[0]!.n));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
