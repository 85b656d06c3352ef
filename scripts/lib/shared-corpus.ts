/**
 * Where benches and evals find the development corpus: $CORPUS_DIR, else ../shared/corpus beside the
 * repository. It is not part of a clone (the test suite uses test/fixtures/), so a script that needs it
 * stops with one line saying so instead of failing deep inside.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';

export function sharedCorpus(sub = ''): string {
  const root = process.env.CORPUS_DIR ?? new URL('../../../shared/corpus', import.meta.url).pathname;
  const dir = join(root, sub);
  if (!existsSync(dir)) {
    const script = basename(process.argv[1] ?? 'this script');
    console.error(`${script}: needs the development corpus at ${dir} (../shared/corpus beside the repository, or set CORPUS_DIR); the test suite does not, it uses test/fixtures/`);
    process.exit(2);
  }
  return dir;
}
