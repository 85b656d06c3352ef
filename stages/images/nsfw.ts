/**
 * NSFW scores: nsfwjs' MobileNetV2 (GantMan's classes, 224x224, the model OBELICS used in Keras) run
 * by onnxruntime-node. The graph is built at first use from the weights inside the nsfwjs package
 * (nsfw-model.ts), so the scores are nsfwjs' own (max abs difference 2e-6 on the corpus images,
 * test/images-nsfw.test.ts) at ~6 ms of CPU per image instead of ~80 ms on tfjs-WASM. Nothing is
 * downloaded. onnxruntime and the model load on the first image to score: runs with nsfw off never
 * pay for them.
 *
 * Requests are batched as they queue up (InferenceSession.run holds the JS thread, so images decoded
 * meanwhile on libuv threads wait for the next run and go together, up to `batch`).
 */
import type * as Ort from 'onnxruntime-node';
import { kerasToOnnx, loadNsfwjsMobileNetV2, NSFW_CLASS_ORDER } from './nsfw-model.ts';

export const NSFW_INPUT_SIDE = 224;
const INPUT_BYTES = NSFW_INPUT_SIDE * NSFW_INPUT_SIDE * 3;

export interface NsfwScores {
  drawing: number;
  hentai: number;
  neutral: number;
  porn: number;
  sexy: number;
}

export interface NsfwRuntime {
  /** onnxruntime intra-op threads of this process's (worker's) session. */
  threads: number;
  /** Most images per inference call. */
  batch: number;
}

/** Scores of one 224x224 interleaved-RGB thumbnail. */
export type NsfwClassifier = (rgb224: Uint8Array) => Promise<NsfwScores>;

interface Pending {
  rgb: Uint8Array;
  resolve: (s: NsfwScores) => void;
  reject: (e: unknown) => void;
}

class Batcher {
  private readonly pending: Pending[] = [];
  private running = false;

  constructor(
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
    private readonly maxBatch: number,
  ) {}

  classify = (rgb: Uint8Array): Promise<NsfwScores> => {
    if (rgb.length !== INPUT_BYTES) return Promise.reject(new Error(`NSFW input must be ${NSFW_INPUT_SIDE}x${NSFW_INPUT_SIDE} RGB (${INPUT_BYTES} bytes), got ${rgb.length}`));
    return new Promise((resolve, reject) => {
      this.pending.push({ rgb, resolve, reject });
      if (!this.running) void this.drain();
    });
  };

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.maxBatch);
        try {
          const data = batch.length === 1 ? batch[0]!.rgb : Buffer.concat(batch.map((b) => b.rgb));
          const input = new this.ort.Tensor('uint8', data, [batch.length, NSFW_INPUT_SIDE, NSFW_INPUT_SIDE, 3]);
          const { probs } = await this.session.run({ rgb: input });
          const p = probs!.data as Float32Array;
          const k = NSFW_CLASS_ORDER.length;
          batch.forEach((b, i) => {
            const s = {} as NsfwScores;
            NSFW_CLASS_ORDER.forEach((name, j) => (s[name] = p[i * k + j]!));
            b.resolve(s);
          });
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}

let loading: { key: string; classifier: Promise<NsfwClassifier> } | null = null;

/** The classifier of this process (worker thread): built once, about 1 s (model conversion + session). */
export function loadNsfwClassifier(runtime: NsfwRuntime = { threads: 1, batch: 1 }): Promise<NsfwClassifier> {
  const key = `${runtime.threads}/${runtime.batch}`;
  if (loading?.key === key) return loading.classifier;
  const classifier = (async () => {
    const ort = await import('onnxruntime-node');
    const { model, shards } = await loadNsfwjsMobileNetV2();
    const session = await ort.InferenceSession.create(kerasToOnnx(model, shards), {
      intraOpNumThreads: Math.max(1, runtime.threads),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    return new Batcher(ort, session, Math.max(1, runtime.batch)).classify;
  })();
  loading = { key, classifier };
  // A failed load may be retried by the next caller.
  classifier.catch(() => {
    if (loading?.classifier === classifier) loading = null;
  });
  return classifier;
}
