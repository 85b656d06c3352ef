/**
 * `corpus extract` over many inputs in one process: directories read recursively (.html, .html.gz),
 * one JSON line per page with text and images in order, a page that fails reported on stderr while
 * the others go on, the exit code saying how it went; one-line errors for user mistakes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FIXTURES as CORPUS } from './helpers/fixtures.ts';

const BIN = new URL('../pipeline/bin.mjs', import.meta.url).pathname;
const HTML = join(CORPUS, 'html');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function corpus(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile('node', [BIN, 'extract', ...args], { maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 99) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'corpus-extract-'));
  await mkdir(join(dir, 'a', 'deeper'), { recursive: true });
  await copyFile(join(HTML, 'readability/001.html'), join(dir, 'a', '001.html'));
  await copyFile(join(HTML, 'fundus/at_DerStandard_2024_05_03.html.gz'), join(dir, 'a', 'deeper', 'standard.html.gz'));
  const wcxb = await readFile(join(HTML, 'wcxb/dev-0661.html.gz'));
  await writeFile(join(dir, 'a', 'deeper', 'cut.html.gz'), wcxb.subarray(0, Math.floor(wcxb.length / 2)));
  await writeFile(join(dir, 'a', 'deeper', 'plain-named-gz.html.gz'), '<title>T</title><p>Saved without compression.</p>');
  await writeFile(join(dir, 'a', 'notes.txt'), 'not a page');
  // A directory named like a page cannot be read as one: that page fails, the rest go on.
  await mkdir(join(dir, 'b'));
  await writeFile(join(dir, 'b', 'ok.html.gz'), gzipSync('<h1>Heading</h1><p>First paragraph.</p><ul><li>one</li><li>two</li></ul><p>Last.</p>'));
  await writeFile(join(dir, 'b', 'too-big.html'), `<p>${'x'.repeat(2048)}</p>`);
  await writeFile(join(dir, 'cfg.json'), JSON.stringify({ read: { maxHtmlBytes: 1024 } }));
});

describe('corpus extract <files|dirs…>', () => {
  it('writes one JSON line per page of every directory, in path order, with text and images in order', async () => {
    const r = await corpus(join(dir, 'a'), join(dir, 'b', 'ok.html.gz'));
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.input.slice(dir.length + 1))).toEqual([
      'a/001.html', 'a/deeper/cut.html.gz', 'a/deeper/plain-named-gz.html.gz', 'a/deeper/standard.html.gz', 'b/ok.html.gz',
    ]);
    const standard = lines[3];
    expect(standard.url).toMatch(/^https:\/\/www\.derstandard\.at\//);
    expect(standard.title).toMatch(/Kalifat/);
    expect(standard.text.length).toBeGreaterThan(2000);
    // images: the image segments, in document order
    expect(standard.images.map((i: { url: string }) => i.url)).toEqual(
      standard.segments.filter((s: { kind: string }) => s.kind === 'image').map((s: { url: string }) => s.url),
    );
    // a cut .gz gives the text it has
    expect(lines[1].text.length).toBeGreaterThan(100);
    expect(lines[2].text).toBe('Saved without compression.');
    // blocks are separated by a blank line, list items by one newline
    expect(lines[4].text).toBe('Heading\n\nFirst paragraph.\n\none\ntwo\n\nLast.');
    expect(lines[0].url).toBeNull(); // a local file without a canonical URL
  });

  it('reports a page that fails on stderr, goes on, and exits 1 saying how many failed', async () => {
    const r = await corpus(join(dir, 'b'), '--config', join(dir, 'cfg.json'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed .*too-big\.html: too_large/);
    expect(r.stderr).toMatch(/1 of 2 pages failed/);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0].input).toMatch(/ok\.html\.gz$/);
  });

  it('prints plain text with a header per page, and Markdown', async () => {
    const t = await corpus(join(dir, 'b', 'ok.html.gz'), '--format', 'text');
    expect(t.code).toBe(0);
    expect(t.stdout).toBe('Heading\n\nFirst paragraph.\n\none\ntwo\n\nLast.\n');
    const many = await corpus(join(dir, 'a', 'deeper'), '--format', 'text');
    expect(many.stdout.match(/^==> .* <==$/gm)).toHaveLength(3);
    const md = await corpus(join(dir, 'b', 'ok.html.gz'), '--format', 'markdown');
    expect(md.stdout).toMatch(/## Heading\n\nFirst paragraph\.\n\n- one\n- two\n\nLast\.\n$/);
  });

  it('--explain says which site rule or which scored region chose the content (jsonl field, stderr line)', async () => {
    const page = `<html><body><nav><a href="/">Home</a> <a href="/x">X</a></nav><div id="story" class="story-text">
      <p>The harbour reopened on Monday after a year of repairs, with ferries running to the islands again.</p>
      <p>Fishermen said the new quay, longer and deeper than the old one, would let larger boats land their catch.</p></div>
      <div class="box"><p>Subscribe to our letters.</p></div></body></html>`;
    await writeFile(join(dir, 'story.html'), page);
    await writeFile(join(dir, 'rules.json'), JSON.stringify({ extract: { siteRules: [{ domain: 'example.com', content: '.story-text', name: 'ex' }] } }));
    const j = await corpus(join(dir, 'story.html'), '--explain', '--url', 'https://other.example.org/s');
    expect(j.code).toBe(0);
    const line = JSON.parse(j.stdout);
    expect(line.explain.rule).toBeNull();
    expect(line.explain.chosenBy).toMatch(/^scored region .*<div#story\.story-text> \(value \d+/);
    expect(line.explain.empty).toBeNull();
    const plain = await corpus(join(dir, 'story.html'), '--explain', '--format', 'text', '--url', 'https://www.example.com/s', '--config', join(dir, 'rules.json'));
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^The harbour reopened/);
    expect(plain.stderr).toMatch(/^corpus extract: explain .*story\.html: site rule "ex": content \.story-text \(1 element\(s\)\)\n$/);
    // without the flag, no explain
    const quiet = await corpus(join(dir, 'story.html'));
    expect(JSON.parse(quiet.stdout).explain).toBeUndefined();
    // a bad selector in the rules is a one-line config error before any page
    await writeFile(join(dir, 'bad-rules.json'), JSON.stringify({ extract: { siteRules: [{ domain: 'example.com', content: 'div[[' }] } }));
    const bad = await corpus(join(dir, 'story.html'), '--config', join(dir, 'bad-rules.json'));
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/extract\.siteRules\[0\]\.content: not a valid CSS selector/);
  });

  it('says in one line what to do about missing inputs and bad flags (exit 2)', async () => {
    for (const [args, msg] of [
      [[join(dir, 'missing.html')], /input not found: .*missing\.html/],
      [[join(dir, 'a'), '--format', 'xml'], /--format is jsonl, markdown or text, got xml/],
      [[join(dir, 'a'), '--limit', 'x'], /--limit takes a whole number/],
      [[join(dir, 'a'), '--frobnicate'], /Unknown option '--frobnicate'/],
      [[], /usage: corpus extract/],
    ] as const) {
      const r = await corpus(...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
    }
  });
});
