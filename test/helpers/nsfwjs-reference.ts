/**
 * The reference the NSFW scores are held to: nsfwjs 4.4 itself (MobileNetV2 on tfjs, WASM backend,
 * the .wasm files from the package: nothing downloaded). The pipeline stopped using it (issue #18:
 * ~60 ms of CPU per image); test/images-nsfw.test.ts and scripts/bench-images.ts compare against it.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { NsfwScores } from '../../stages/images/nsfw.ts';

let loading: Promise<(rgb224: Uint8Array) => Promise<NsfwScores>> | null = null;

export function loadNsfwjsReference(): Promise<(rgb224: Uint8Array) => Promise<NsfwScores>> {
  loading ??= (async () => {
    const tf = await import('@tensorflow/tfjs');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs wasm backend failed to initialise');
    await tf.ready();
    const nsfwjs = await import('nsfwjs');
    const info = console.info;
    console.info = () => {}; // nsfwjs announces the model it loads
    const model = await nsfwjs.load('MobileNetV2').finally(() => (console.info = info));
    return async (rgb224: Uint8Array) => {
      const input = tf.tensor3d(Int32Array.from(rgb224), [224, 224, 3], 'int32');
      try {
        const scores: NsfwScores = { drawing: 0, hentai: 0, neutral: 0, porn: 0, sexy: 0 };
        for (const p of await model.classify(input, 5)) scores[p.className.toLowerCase() as keyof NsfwScores] = p.probability;
        return scores;
      } finally {
        input.dispose();
      }
    };
  })();
  return loading;
}
