import { loadCombined, type DetectFn } from './detect.ts';
export async function createDetector(): Promise<{ detect: DetectFn }> {
  return { detect: await loadCombined() };
}
