/**
 * The parse of stages/extract/parse.ts (a Tokenizer that skips ahead to the next character a state acts
 * on, a top-first stack, prototype-free attribute objects) gives the same events as htmlparser2's own
 * Parser with the same options: every open tag with its attributes, text chunk and close tag, in order.
 * Checked on HTML grown by fast-check from the pieces a tokenizer has states for (entities in text and
 * attributes, quoted and unquoted values, script/style/title/textarea/xmp bodies, comments, CDATA,
 * declarations, upper case, stray `<` and `&`) and on the real pages under test/fixtures/html.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Parser } from 'htmlparser2';
import { saxParse } from '../stages/extract/parse.ts';
import { flatRun, flatRunMeasure, isJsSpace, measure } from '../stages/extract/tree.ts';
import { FIXTURES } from './helpers/fixtures.ts';

type Event = [string, string, string?];

function events(html: string, parse: (html: string, h: Parameters<typeof saxParse>[1]) => void): Event[] {
  const out: Event[] = [];
  parse(html, {
    onopentag: (name, attribs) => out.push(['open', name, JSON.stringify(Object.entries(attribs))]),
    ontext: (text) => {
      // Text may come in chunks (split at entities); join adjacent ones as the handlers do.
      const last = out[out.length - 1];
      if (last?.[0] === 'text') last[1] += text;
      else out.push(['text', text]);
    },
    onclosetag: (name) => out.push(['close', name]),
  });
  return out;
}

const stock = (html: string, h: Parameters<typeof saxParse>[1]) =>
  new Parser(h, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true }).end(html);

const name = fc.constantFrom('div', 'P', 'a', 'Script', 'style', 'title', 'textarea', 'xmp', 'svg', 'img', 'br', 'li', 'x-y', 'sCrIpT', 'TITLE');
const value = fc.oneof(
  fc.constantFrom('a&amp;b', 'x&quot;y', '&#x41;&#65;', 'a&b', '&', 'q?a=1&b=2', "it's", 'say "hi"', '', ' spaced  out '),
  fc.string({ maxLength: 20 }),
);
const attr = fc.tuple(fc.constantFrom('class', 'ID', 'href', 'data-x', 'src', 'a-b', 'x'), value, fc.constantFrom('"', "'", '', 'none')).map(
  ([n, v, q]) => (q === 'none' ? ` ${n}` : ` ${n}=${q}${q ? v.replaceAll(q, '') : v.replace(/[\s>]/g, '')}${q}`),
);
const piece = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(name, fc.array(attr, { maxLength: 3 }), fc.constantFrom('>', '/>', ' >', '')).map(([t, as, e]) => `<${t}${as.join('')}${e}`) },
  { weight: 3, arbitrary: fc.tuple(name, fc.constantFrom('>', ' >', '\t>', 'x>', '')).map(([t, e]) => `</${t}${e}`) },
  { weight: 4, arbitrary: fc.constantFrom('Some text. ', 'a &amp; b &lt;c&gt; ', '&nbsp;&copy&notit;&#128512;&#0;&bogus;', '中文 テキスト عربي ', '  \n\t ', 'x < y && y > z') },
  { weight: 2, arbitrary: fc.constantFrom('<!-- c -->', '<!---->', '<!-->', '<![CDATA[x]]>', '<!DOCTYPE html>', '<?php x ?>', '<', '&', '</', '<!', '-->', ']]>', '</script', '</ScRiPt >', '"', "'", '=') },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);
const generated = fc.array(piece, { maxLength: 60 }).map((ps) => ps.join(''));

describe('saxParse gives htmlparser2 Parser events', () => {
  it('on generated HTML', () => {
    fc.assert(
      fc.property(generated, (html) => {
        expect(events(html, saxParse)).toEqual(events(html, stock));
      }),
      { numRuns: 3000 },
    );
  });

  it('on the real pages of test/fixtures/html', () => {
    const root = join(FIXTURES, 'html');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => /\.html?(\.gz)?$/.test(f));
    expect(files.length).toBeGreaterThan(50);
    for (const f of files) {
      const bytes = readFileSync(join(root, f));
      const html = (f.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
      expect(events(html, saxParse), f).toEqual(events(html, stock));
    }
  });
});

describe('flatRun: one pass for a text run', () => {
  it('isJsSpace is exactly what \\s matches, on every UTF-16 unit', () => {
    for (let c = 0; c < 0x10000; c++) expect(isJsSpace(c), c.toString(16)).toBe(/\s/.test(String.fromCharCode(c)));
  });

  const unit = fc.oneof(
    fc.constantFrom(' ', '  ', '\n', '\t', '\r\n', '\u00a0', '\u1680', '\u2000', '\u200b', '\u2028', '\u202f', '\u205f', '\u3000', '\ufeff', '\u0000', '\u001c'),
    fc.constantFrom('a', 'Word', ',', '.', '!', '?', ';', '。', '、', '中', 'テ', '한', '،', '؟', '।', '።', '։'),
    fc.string({ maxLength: 6 }).map((x) => x.replaceAll('\u0001', '')),
  );
  it('gives the text and measure of collapsing white space and trimming; null when a <br> marker is in it', () => {
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 40 }), fc.boolean(), (parts, br) => {
        const raw = parts.join('') + (br ? '\u0001' : '');
        const got = flatRun(raw);
        if (br) {
          expect(got).toBeNull();
          return;
        }
        const want = raw.replace(/\s+/g, ' ').trim();
        expect(got).toBe(want);
        expect(flatRunMeasure()).toEqual(measure(want));
      }),
      { numRuns: 5000 },
    );
  });

  it('gives the same on a run with many gaps (collapsed by the regex) and on a long single-spaced one (sliced whole)', () => {
    for (const raw of [' Line one,\n'.repeat(500), 'word. '.repeat(10_000), `\t${'a\u00a0b '.repeat(100)}\n`]) {
      const want = raw.replace(/\s+/g, ' ').trim();
      expect(flatRun(raw)).toBe(want);
      expect(flatRunMeasure()).toEqual(measure(want));
    }
  });
});
