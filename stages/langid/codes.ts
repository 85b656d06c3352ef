/**
 * Scripts, as ISO 15924 codes measured on the text itself (language codes: stages/lib/language.ts).
 */
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
