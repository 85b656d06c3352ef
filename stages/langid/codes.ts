/**
 * Language and script codes. Detectors speak different code systems (cld3 and tinyld: ISO 639-1
 * with quirks such as `iw`; franc: ISO 639-3 individual languages such as `cmn`, `arb`, `pes`).
 * We output one system: ISO 639-3, using the macrolanguage code where the 639-1 code denotes a
 * macrolanguage (zh -> zho, ar -> ara, fa -> fas, ms -> msa), because short-text detectors can
 * only tell the macrolanguage. Scripts are ISO 15924 codes measured on the text itself.
 */
import { iso6393, iso6393To1 } from 'iso-639-3';

/** ISO 639-1 -> ISO 639-3 (inverse of the iso-639-3 package table). */
const ONE_TO_THREE = new Map<string, string>(Object.entries(iso6393To1).map(([three, one]) => [one, three]));
const KNOWN_THREE = new Set(iso6393.map((l) => l.iso6393));

/**
 * Individual languages -> their macrolanguage (ISO 639-3 macrolanguage mappings, SIL), for the
 * individual codes franc and tinyld emit. Only entries whose macrolanguage has a 639-1 code.
 */
const INDIVIDUAL_TO_MACRO: Record<string, string> = {
  cmn: 'zho', arb: 'ara', pes: 'fas', prs: 'fas', zlm: 'msa', zsm: 'msa', swh: 'swa', uzn: 'uzb',
  azj: 'aze', plt: 'mlg', als: 'sqi', lvs: 'lav', ekk: 'est', khk: 'mon', pbu: 'pus', npi: 'nep',
  ydd: 'yid', nob: 'nor', quz: 'que', qug: 'que', quy: 'que', ayr: 'aym', fuv: 'ful', fuf: 'ful',
  knc: 'kau', ckb: 'kur',
};

/** Older or non-standard codes detectors still return. */
const ALIASES: Record<string, string> = { iw: 'he', in: 'id', ji: 'yi', jw: 'jv', mo: 'ro' };

/**
 * Any detector output (`en`, `zh-Latn`, `iw`, `cmn`, `fil`) -> ISO 639-3, or null for unknown
 * (`und`, empty, unmapped).
 */
export function toIso3(code: string | null | undefined): string | null {
  if (!code) return null;
  let c = code.toLowerCase().split(/[-_]/)[0]!;
  if (c === 'und' || c === 'zxx' || c === '') return null;
  c = ALIASES[c] ?? c;
  if (c.length === 2) c = ONE_TO_THREE.get(c) ?? c;
  c = INDIVIDUAL_TO_MACRO[c] ?? c;
  return c.length === 3 && KNOWN_THREE.has(c) ? c : null;
}

/** Scripts we tell apart, as [ISO 15924 code, Unicode Script property value]. */
const SCRIPTS: [string, RegExp][] = (
  [
    ['Latn', 'Latin'], ['Cyrl', 'Cyrillic'], ['Arab', 'Arabic'], ['Hebr', 'Hebrew'], ['Grek', 'Greek'],
    ['Deva', 'Devanagari'], ['Beng', 'Bengali'], ['Guru', 'Gurmukhi'], ['Gujr', 'Gujarati'], ['Orya', 'Oriya'],
    ['Taml', 'Tamil'], ['Telu', 'Telugu'], ['Knda', 'Kannada'], ['Mlym', 'Malayalam'], ['Sinh', 'Sinhala'],
    ['Thai', 'Thai'], ['Laoo', 'Lao'], ['Khmr', 'Khmer'], ['Mymr', 'Myanmar'], ['Tibt', 'Tibetan'],
    ['Geor', 'Georgian'], ['Armn', 'Armenian'], ['Ethi', 'Ethiopic'], ['Hang', 'Hangul'], ['Hira', 'Hiragana'],
    ['Kana', 'Katakana'], ['Hani', 'Han'], ['Thaa', 'Thaana'], ['Mong', 'Mongolian'], ['Tfng', 'Tifinagh'],
  ] as const
).map(([code, name]) => [code, new RegExp(`\\p{Script=${name}}`, 'u')]);

const LETTER = /\p{L}/u;

/** Script of each non-Latin-1 code point seen so far (null: not a letter, or a script we do not list). */
const SCRIPT_OF = new Map<number, string | null>();

function scriptOf(cp: number, ch: string): string | null {
  let s = SCRIPT_OF.get(cp);
  if (s === undefined) {
    s = null;
    if (LETTER.test(ch)) {
      s = 'Zyyy'; // a letter of a script we do not list: counted as a letter, in no script
      for (const [code, re] of SCRIPTS) {
        if (re.test(ch)) {
          s = code;
          break;
        }
      }
    }
    SCRIPT_OF.set(cp, s);
  }
  return s;
}

/**
 * Letters per script (ISO 15924), with Japanese (Han with kana) as `Jpan` and Korean (Hangul,
 * possibly with Han) as `Kore`; `letters` counts every letter, including those of unlisted scripts.
 */
export function scriptCounts(text: string): { counts: Map<string, number>; letters: number } {
  const counts = new Map<string, number>();
  let letters = 0;
  let latin = 0;
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    // Fast path: ASCII and Latin-1/Extended letters (most web text) without regex tests.
    if (cp < 0x250) {
      if ((cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) || (cp >= 0xc0 && cp !== 0xd7 && cp !== 0xf7)) {
        if (latin++ === 0) counts.set('Latn', 0); // keeps first-seen order, which breaks ties
      }
      continue;
    }
    let ch: string;
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      cp = text.codePointAt(i)!;
      ch = String.fromCodePoint(cp);
      i++;
    } else ch = text[i]!;
    const script = scriptOf(cp, ch);
    if (script === null) continue;
    letters++;
    if (script !== 'Zyyy') counts.set(script, (counts.get(script) ?? 0) + 1);
  }
  letters += latin;
  if (latin > 0) counts.set('Latn', latin);
  const kana = (counts.get('Hira') ?? 0) + (counts.get('Kana') ?? 0);
  const han = counts.get('Hani') ?? 0;
  const hangul = counts.get('Hang') ?? 0;
  // Kana or Hangul mixed with Han is one writing system, not two scripts competing.
  if (kana > 0 && kana + han >= hangul) counts.set('Jpan', kana + han);
  if (hangul > 0 && hangul + han > kana) counts.set('Kore', hangul + han);
  if (counts.has('Jpan') || counts.has('Kore')) for (const k of ['Hira', 'Kana', 'Hani', 'Hang']) counts.delete(k);
  return { counts, letters };
}

/** The script with most letters in `counts` (first listed wins a tie), or 'Zyyy' when none is listed. */
export function topScript(counts: Map<string, number>): string {
  let best: string | null = null;
  let bestN = 0;
  for (const [code, n] of counts) if (n > bestN) [best, bestN] = [code, n];
  return best ?? 'Zyyy';
}

/**
 * Dominant script of a text (ISO 15924), counting letters only. Japanese (Han with kana) is
 * `Jpan`, Korean (Hangul, possibly with Han) is `Kore`; Han alone is `Hani`. Null without letters.
 */
export function dominantScript(text: string): string | null {
  const { counts, letters } = scriptCounts(text);
  return letters === 0 ? null : topScript(counts);
}
