/**
 * `corpus help` starts without loading DuckDB or any other native module: the config it reads imports
 * stage defaults only from files without heavy imports (e.g. stages/write/config.ts, not the writer).
 * Checked in a child process through /proc/self/maps at exit (Linux): the shared objects really mapped.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../pipeline/bin.mjs', import.meta.url).pathname;
// Runs before the CLI in the same process; at exit it prints the files under node_modules the process mapped.
const PRELOAD = `import { readFileSync } from 'node:fs';
process.on('exit', () => {
  const maps = readFileSync('/proc/self/maps', 'utf8');
  const mapped = [...new Set(maps.split('\\n').map((l) => l.split(/\\s+/)[5]).filter((p) => p && p.includes('node_modules')))];
  process.stderr.write('MAPPED ' + JSON.stringify(mapped) + '\\n');
});`;

describe('corpus help', () => {
  it('prints the commands without loading DuckDB (no native module mapped)', () => {
    const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(PRELOAD)}`, BIN, 'help'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/corpus run/);
    const line = r.stderr.split('\n').find((l) => l.startsWith('MAPPED '));
    expect(line, r.stderr).toBeDefined();
    expect(JSON.parse(line!.slice('MAPPED '.length))).toEqual([]);
  });
});

describe('user errors', () => {
  // Each command's user mistakes are one CorpusError subclass with a code: the CLI prints the message
  // alone (no stack; after any progress lines) and exits 2, whichever module threw it.
  const cases: [string, string[], RegExp][] = [
    ['a bad flag (UsageError)', ['extract', '--no-such-flag'], /^corpus extract: .*no-such-flag/],
    ['a missing input (InputError)', ['extract', '/nonexistent/page.html'], /^corpus extract: .*\/nonexistent\/page\.html/],
    ['a bad config (ConfigError)', ['extract', '--config', 'data:,', 'x.html'], /^corpus extract: /],
    ['dedup without shards (GlobalDedupError)', ['dedup', '/nonexistent-shards', '--out', '/tmp/corpus-no-such-dedup'], /^corpus dedup: /],
  ];
  for (const [what, args, message] of cases) {
    it(`${what}: one line, exit 2`, () => {
      const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr, 'no stack trace').not.toMatch(/^\s+at /m);
      expect(r.stderr.trim().split('\n').at(-1)).toMatch(message);
    });
  }
});
