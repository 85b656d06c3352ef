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

/**
 * Dominant script of a text (ISO 15924), counting letters only. Japanese (Han with kana) is
 * `Jpan`, Korean (Hangul, possibly with Han) is `Kore`; Han alone is `Hani`. Null without letters.
 */
export function dominantScript(text: string): string | null {
  const counts = new Map<string, number>();
  let letters = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    // Fast path: ASCII and Latin-1/Extended letters (most web text) without regex tests.
    if (cp < 0x250) {
      if ((cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) || (cp >= 0xc0 && cp !== 0xd7 && cp !== 0xf7)) {
        letters++;
        counts.set('Latn', (counts.get('Latn') ?? 0) + 1);
      }
      continue;
    }
    if (!LETTER.test(ch)) continue;
    letters++;
    for (const [code, re] of SCRIPTS) {
      if (re.test(ch)) {
        counts.set(code, (counts.get(code) ?? 0) + 1);
        break;
      }
    }
  }
  if (letters === 0) return null;
  const kana = (counts.get('Hira') ?? 0) + (counts.get('Kana') ?? 0);
  const han = counts.get('Hani') ?? 0;
  const hangul = counts.get('Hang') ?? 0;
  // Kana or Hangul mixed with Han is one writing system, not two scripts competing.
  if (kana > 0 && kana + han >= hangul) counts.set('Jpan', kana + han);
  if (hangul > 0 && hangul + han > kana) counts.set('Kore', hangul + han);
  if (counts.has('Jpan') || counts.has('Kore')) for (const k of ['Hira', 'Kana', 'Hani', 'Hang']) counts.delete(k);
  let best: string | null = null;
  let bestN = 0;
  for (const [code, n] of counts) if (n > bestN) [best, bestN] = [code, n];
  return best ?? 'Zyyy';
}
