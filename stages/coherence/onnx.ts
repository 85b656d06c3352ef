/**
 * Optional model scorer: user-provided CLIP/SigLIP image and text towers (ONNX) plus the model's
 * tokenizer.json give unit-normalised embeddings of a document's images and paragraphs; the
 * coherence signals turn them into image-text and image-image cosines. The only file that imports
 * onnxruntime-node (and the only user of @huggingface/tokenizers here). Nothing is downloaded: the
 * paths must point at local files (docs/coherence.md explains how to export them).
 *
 * Pixels: the images stage decodes each image once; for the model it leaves raw interleaved RGB on
 * `segment.visual.pixels` = { data: Uint8Array, width, height }. Images without pixels are skipped
 * (counted as model:no_pixels).
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { Tokenizer } from '@huggingface/tokenizers';
import type { Doc } from '../../schemas/doc.ts';
import type { SegmentEmbeddings } from './signals.ts';

export interface ClipModelConfig {
  /** Image tower: input float32 [N, 3, imageSize, imageSize] -> output [N, D] (e.g. image_embeds). */
  imageModel: string;
  /** Text tower: input_ids int64 [N, L] (and attention_mask if it takes one) -> output [N, D]. */
  textModel: string;
  /** The model's tokenizer.json (Hugging Face format). */
  tokenizer: string;
  /** Square input side of the image tower (CLIP ViT-B/32: 224, SigLIP base: 224). */
  imageSize: number;
  /** Per-channel normalisation: CLIP mean [0.4815, 0.4578, 0.4082] std [0.2686, 0.2613, 0.2758]; SigLIP 0.5 / 0.5. */
  mean: [number, number, number];
  std: [number, number, number];
  /** Text length the tower was exported with (CLIP 77, SigLIP 64); texts are truncated and padded to it. */
  maxTextTokens: number;
  /** Padding id (CLIP: the EOS id 49407, SigLIP: 1); null = the tokenizer's <pad>, else 0. */
  padTokenId: number | null;
  /** onnxruntime intra-op threads (the machine is shared: keep small). */
  threads: number;
}

export interface RgbPixels {
  data: Uint8Array;
  width: number;
  height: number;
}

function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s) || 1;
  return v.map((x) => x / n);
}

/** Centre square crop + bilinear resize to side x side, normalised, CHW float32 (CLIP preprocessing). */
export function toPixelTensor(px: RgbPixels, side: number, mean: number[], std: number[]): Float32Array {
  const crop = Math.min(px.width, px.height);
  const x0 = (px.width - crop) / 2;
  const y0 = (px.height - crop) / 2;
  const out = new Float32Array(3 * side * side);
  const scale = crop / side;
  for (let y = 0; y < side; y++) {
    const sy = Math.min(px.height - 1, Math.max(0, y0 + (y + 0.5) * scale - 0.5));
    const ya = Math.floor(sy);
    const yb = Math.min(px.height - 1, ya + 1);
    const fy = sy - ya;
    for (let x = 0; x < side; x++) {
      const sx = Math.min(px.width - 1, Math.max(0, x0 + (x + 0.5) * scale - 0.5));
      const xa = Math.floor(sx);
      const xb = Math.min(px.width - 1, xa + 1);
      const fx = sx - xa;
      for (let c = 0; c < 3; c++) {
        const p = (yy: number, xx: number) => px.data[(yy * px.width + xx) * 3 + c]!;
        const v = (p(ya, xa) * (1 - fx) + p(ya, xb) * fx) * (1 - fy) + (p(yb, xa) * (1 - fx) + p(yb, xb) * fx) * fy;
        out[c * side * side + y * side + x] = (v / 255 - mean[c]!) / std[c]!;
      }
    }
  }
  return out;
}

function pickOutput(session: ort.InferenceSession, preferred: string[]): string {
  return preferred.find((n) => session.outputNames.includes(n)) ?? session.outputNames[0]!;
}

export class ClipScorer {
  private constructor(
    private readonly cfg: ClipModelConfig,
    private readonly image: ort.InferenceSession,
    private readonly text: ort.InferenceSession,
    private readonly tokenizer: Tokenizer,
    private readonly padId: number,
  ) {}

  static async open(cfg: ClipModelConfig): Promise<ClipScorer> {
    const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: cfg.threads, interOpNumThreads: 1 };
    const [image, text] = await Promise.all([
      ort.InferenceSession.create(cfg.imageModel, opts),
      ort.InferenceSession.create(cfg.textModel, opts),
    ]);
    const tokJson = JSON.parse(readFileSync(cfg.tokenizer, 'utf8')) as object;
    const tokenizer = new Tokenizer(tokJson, {});
    const padId = cfg.padTokenId ?? tokenizer.token_to_id('<pad>') ?? 0;
    return new ClipScorer(cfg, image, text, tokenizer, padId);
  }

  async release(): Promise<void> {
    await Promise.all([this.image.release(), this.text.release()]);
  }

  /** Unit-normalised text embeddings, one per input text. */
  async embedTexts(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const L = this.cfg.maxTextTokens;
    const ids = new BigInt64Array(texts.length * L).fill(BigInt(this.padId));
    const mask = new BigInt64Array(texts.length * L);
    texts.forEach((t, r) => {
      let enc: number[] = this.tokenizer.encode(t, { add_special_tokens: true }).ids;
      // Keep the last (end-of-text) token when truncating: CLIP pools at the EOS position.
      if (enc.length > L) enc = [...enc.slice(0, L - 1), enc[enc.length - 1]!];
      enc.forEach((id, k) => {
        ids[r * L + k] = BigInt(id);
        mask[r * L + k] = 1n;
      });
    });
    const feeds: Record<string, ort.Tensor> = { [this.text.inputNames[0]!]: new ort.Tensor('int64', ids, [texts.length, L]) };
    if (this.text.inputNames.includes('attention_mask')) feeds.attention_mask = new ort.Tensor('int64', mask, [texts.length, L]);
    if (this.text.inputNames.includes('input_ids')) {
      delete feeds[this.text.inputNames[0]!];
      feeds.input_ids = new ort.Tensor('int64', ids, [texts.length, L]);
    }
    const out = await this.text.run(feeds);
    return this.rows(out[pickOutput(this.text, ['text_embeds', 'pooler_output', 'embeddings'])]!, texts.length);
  }

  /** Unit-normalised image embeddings, one per RGB image. */
  async embedImages(images: RgbPixels[]): Promise<Float32Array[]> {
    if (images.length === 0) return [];
    const S = this.cfg.imageSize;
    const batch = new Float32Array(images.length * 3 * S * S);
    images.forEach((px, i) => batch.set(toPixelTensor(px, S, this.cfg.mean, this.cfg.std), i * 3 * S * S));
    const name = this.image.inputNames.includes('pixel_values') ? 'pixel_values' : this.image.inputNames[0]!;
    const out = await this.image.run({ [name]: new ort.Tensor('float32', batch, [images.length, 3, S, S]) });
    return this.rows(out[pickOutput(this.image, ['image_embeds', 'pooler_output', 'embeddings'])]!, images.length);
  }

  private rows(t: ort.Tensor, n: number): Float32Array[] {
    if (t.dims.length !== 2 || t.dims[0] !== n) {
      throw new Error(`model output must be [N, D] pooled embeddings, got [${t.dims.join(', ')}]`);
    }
    const d = t.dims[1]!;
    const data = t.data as Float32Array;
    return Array.from({ length: n }, (_, i) => l2normalize(data.slice(i * d, (i + 1) * d)));
  }

  /** Embeddings of a document's text segments and of its images that carry pixels. */
  async embedDocument(doc: Doc, count: (key: string) => void): Promise<SegmentEmbeddings> {
    const textIdx: number[] = [];
    const texts: string[] = [];
    const imageIdx: number[] = [];
    const pixels: RgbPixels[] = [];
    doc.segments.forEach((s, i) => {
      if (s.kind === 'text' && s.text) {
        textIdx.push(i);
        texts.push(s.text);
      } else if (s.kind === 'image') {
        const px = s.visual?.pixels as RgbPixels | undefined;
        if (px?.data && px.width > 0 && px.height > 0 && px.data.length >= px.width * px.height * 3) {
          imageIdx.push(i);
          pixels.push(px);
        } else count('model:no_pixels');
      }
    });
    const emb: SegmentEmbeddings = { text: new Map(), image: new Map() };
    if (imageIdx.length === 0) return emb; // nothing to align: skip the text tower too
    const [te, ie] = await Promise.all([this.embedTexts(texts), this.embedImages(pixels)]);
    te.forEach((e, k) => emb.text.set(textIdx[k]!, e));
    ie.forEach((e, k) => emb.image.set(imageIdx[k]!, e));
    return emb;
  }
}
