/**
 * How a paragraph is written, apart from what it says: a passage pasted from another page keeps its own
 * habits (paragraph and word length, capitals, figures, typographic or straight quotes, commas, markup). One pass
 * over the characters. Used by coh_text_block_style: the block the idf cut finds, against the rest.
 */
export const STYLE_FEATURES = 7;

/**
 * [log words, mean word length, capitalised-word share, digit share, curly-quote share, commas per word, not a
 * <p>]: the last is the element the extractor took it from (a list item, a table cell or a heading among
 * paragraphs; 0 when unknown).
 */
export function styleOf(text: string, tag?: string | null): number[] {
  // Counts: words, capitalised words, letters, digits, curly quotes, straight quotes, commas.
  let [words, caps, letters, digits, curly, straight, commas] = [0, 0, 0, 0, 0, 0, 0];
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 0xc0 && c < 0x2000);
    const digit = c >= 48 && c <= 57;
    if (letter || digit) {
      if (!inWord) {
        words++;
        if (c >= 65 && c <= 90) caps++;
        inWord = true;
      }
      if (digit) digits++;
      else letters++;
    } else {
      inWord = false;
      if (c === 0x2019 || c === 0x2018 || c === 0x201c || c === 0x201d) curly++;
      else if (c === 39 || c === 34) straight++;
      else if (c === 44) commas++;
    }
  }
  const w = Math.max(1, words);
  return [Math.log(1 + words), (letters + digits) / w, caps / w, digits / Math.max(1, letters + digits), (curly + 0.5) / (curly + straight + 1), commas / w, tag === 'p' || !tag ? 0 : 1];
}

/**
 * The style contrast of paragraphs [a, b) against the others: the mean over features of the squared
 * difference of means in units of the document's spread (a t statistic, so that a small block needs a
 * larger difference to count). null without 2 paragraphs on both sides.
 */
export function styleContrast(styles: number[][], a: number, b: number): number | null {
  const n = styles.length;
  const nb = b - a;
  const nr = n - nb;
  if (nb < 2 || nr < 2) return null;
  const scale = Math.sqrt(1 / nb + 1 / nr);
  let sum = 0;
  for (let f = 0; f < STYLE_FEATURES; f++) {
    let all = 0;
    let inBlock = 0;
    for (let k = 0; k < n; k++) {
      all += styles[k]![f]!;
      if (k >= a && k < b) inBlock += styles[k]![f]!;
    }
    const mean = all / n;
    let sq = 0;
    for (let k = 0; k < n; k++) sq += (styles[k]![f]! - mean) ** 2;
    const sd = Math.sqrt(sq / (n - 1)) + 1e-6;
    const t = (inBlock / nb - (all - inBlock) / nr) / (sd * scale);
    sum += t * t;
  }
  return sum / STYLE_FEATURES;
}
