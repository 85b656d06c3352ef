/**
 * The Chromium the browser tests drive, found without a system install: `$CHROMIUM_PATH` if set,
 * else the binary shipped inside the npm package @sparticuz/chromium (a devDependency: brotli-compressed
 * in the package, unpacked on first use to a temp folder named for its version, nothing downloaded), else a
 * system `chromium`.
 * Never a silent skip: when none starts, the error says what was tried and what to do.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

/**
 * @sparticuz/chromium unpacks its binary to `<tmpdir>/chromium` and reuses any file already there, whatever
 * version wrote it. Unpacking into a folder named for the package version keeps a stale or foreign
 * /tmp/chromium out (the package reads the temp dir from TMPDIR, set here only for that call).
 */
async function shippedChromium(): Promise<string> {
  const { default: shipped } = await import('@sparticuz/chromium');
  const pkg = new URL('../../node_modules/@sparticuz/chromium/package.json', import.meta.url);
  const { version } = JSON.parse(readFileSync(pkg, 'utf8')) as { version: string };
  const dir = join(tmpdir(), `interleaved-corpus-chromium-${version}`);
  mkdirSync(dir, { recursive: true });
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return await shipped.executablePath();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
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
    const path = await shippedChromium();
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
