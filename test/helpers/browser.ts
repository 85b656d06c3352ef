/**
 * The Chromium the browser tests drive, found without a system install: `$CHROMIUM_PATH` if set,
 * else the binary shipped inside the npm package @sparticuz/chromium (a devDependency: brotli-compressed
 * in the package, unpacked to the temp dir on first use, nothing downloaded), else a system `chromium`.
 * Never a silent skip: when none starts, the error says what was tried and what to do.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Flags for this kind of machine: root (no sandbox), no GPU, a closed network (no background connections). */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

function starts(path: string): string | null {
  if (!existsSync(path)) return 'not found';
  const r = spawnSync(path, ['--headless', '--no-sandbox', '--version'], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) return r.error.message;
  return r.status === 0 ? null : `exit ${r.status}: ${(r.stderr || r.stdout).trim().split('\n')[0]}`;
}

export async function findChromium(): Promise<string> {
  const tried: string[] = [];
  const env = process.env.CHROMIUM_PATH;
  if (env) {
    const why = starts(env);
    if (why === null) return env;
    // An explicit choice that does not work is an error, not a reason to pick another browser.
    throw new Error(`CHROMIUM_PATH=${env} does not start (${why}): point it at a Chromium binary or unset it`);
  }
  try {
    const { default: shipped } = await import('@sparticuz/chromium');
    const path = await shipped.executablePath();
    const why = starts(path);
    if (why === null) return path;
    tried.push(`@sparticuz/chromium (${path}): ${why}`);
  } catch (e) {
    tried.push(`@sparticuz/chromium: ${(e as Error).message}`);
  }
  for (const path of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    const why = starts(path);
    if (why === null) return path;
    tried.push(`${path}: ${why}`);
  }
  throw new Error(`no Chromium that starts (tried ${tried.join('; ')}): run npm ci (it installs @sparticuz/chromium) or set CHROMIUM_PATH`);
}
