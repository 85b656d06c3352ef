/**
 * NSFW scores with nsfwjs (GantMan's classes, MobileNetV2 224x224, the model OBELICS used in Keras)
 * on the tfjs WASM backend. The weights ship inside the nsfwjs package and the .wasm files inside
 * @tensorflow/tfjs-backend-wasm, so nothing is downloaded (setWasmPaths points at the package, not a
 * CDN). tfjs is imported lazily: runs with nsfw off never load it.
 * Measured: ~60 ms per image, ~16 images/s on one core (references/node-ecosystem.md §3).
 */
import { createRequire } from 'node:module';
import path from 'node:path';

export const NSFW_INPUT_SIDE = 224;

export interface NsfwScores {
  drawing: number;
  hentai: number;
  neutral: number;
  porn: number;
  sexy: number;
}

type Classifier = (rgb224: Uint8Array) => Promise<NsfwScores>;

let loading: Promise<Classifier> | null = null;

/** Load the model once per process (about 0.3-1.5 s). */
export function loadNsfwClassifier(): Promise<Classifier> {
  loading ??= (async () => {
    const tf = await import('@tensorflow/tfjs');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    wasm.setWasmPaths(dist);
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs wasm backend failed to initialise');
    await tf.ready();
    const nsfwjs = await import('nsfwjs');
    const model = await nsfwjs.load('MobileNetV2');
    return async (rgb224: Uint8Array) => {
      const input = tf.tensor3d(Int32Array.from(rgb224), [NSFW_INPUT_SIDE, NSFW_INPUT_SIDE, 3], 'int32');
      try {
        const predictions = await model.classify(input, 5);
        const scores: NsfwScores = { drawing: 0, hentai: 0, neutral: 0, porn: 0, sexy: 0 };
        for (const p of predictions) scores[p.className.toLowerCase() as keyof NsfwScores] = p.probability;
        return scores;
      } finally {
        input.dispose();
      }
    };
  })();
  // A failed load may be retried by the next caller.
  loading.catch(() => (loading = null));
  return loading;
}
