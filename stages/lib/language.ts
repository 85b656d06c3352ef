/**
 * Language codes, one system for the whole pipeline. Detectors speak different ones (cld3 and tinyld:
 * ISO 639-1 with quirks such as `iw`; franc: ISO 639-3 individual languages such as `cmn`, `arb`,
 * `pes`); word lists are keyed by ISO 639-1 (stopwords-iso, naughty-words). We store ISO 639-3 and
 * use the macrolanguage where the 639-1 code denotes one (zh -> zho, ar -> ara, fa -> fas), because
 * short-text detectors can only tell the macrolanguage. The code tables are the `iso-639-3` package's;
 * only the macrolanguage membership and old aliases are written here.
 */
import { createRequire } from 'node:module';
import { iso6393, iso6393To1 } from 'iso-639-3';

/** ISO 639-1 -> ISO 639-3 (inverse of the iso-639-3 package table). */
const ONE_TO_THREE = new Map<string, string>(Object.entries(iso6393To1).map(([three, one]) => [one, three]));
const KNOWN_THREE = new Set(iso6393.map((l) => l.iso6393));

/**
 * Individual languages -> their macrolanguage (ISO 639-3 macrolanguage mappings, SIL), for the
 * individual codes detectors emit. Only entries whose macrolanguage has a 639-1 code.
 */
const INDIVIDUAL_TO_MACRO: Record<string, string> = {
  cmn: 'zho', yue: 'zho', wuu: 'zho', arb: 'ara', pes: 'fas', prs: 'fas', zlm: 'msa', zsm: 'msa', swh: 'swa',
  uzn: 'uzb', azj: 'aze', plt: 'mlg', als: 'sqi', lvs: 'lav', ekk: 'est', khk: 'mon', pbu: 'pus', npi: 'nep',
  ydd: 'yid', nob: 'nor', nno: 'nor', quz: 'que', qug: 'que', quy: 'que', ayr: 'aym', fuv: 'ful', fuf: 'ful',
  knc: 'kau', ckb: 'kur', kmr: 'kur',
};

/** Older or non-standard codes detectors still return. */
const ALIASES: Record<string, string> = { iw: 'he', in: 'id', ji: 'yi', jw: 'jv', mo: 'ro' };

/**
 * Any detector output or list key (`en`, `zh-Latn`, `iw`, `cmn`, `fil`) -> ISO 639-3, or null for
 * unknown (`und`, empty, unmapped).
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

/** ISO 639-1 code of a language given in any system toIso3 reads, or null when it has none. */
export function toIso1(code: string | null | undefined): string | null {
  const three = toIso3(code);
  return three ? ((iso6393To1 as Record<string, string>)[three] ?? null) : null;
}

// `stopwords-iso` is CommonJS without type declarations: { [iso639_1]: string[] } (58 languages).
let stopwordLists: Record<string, string[]> | null = null;

/**
 * The stopwords-iso list of a language (any code toIso3 reads; `cmn`, `yue` and `zh` all give the
 * Chinese list), as published, or null when it has none. Callers normalise the words the way their
 * own word splitter does, so that list and text agree.
 */
export function stopwordList(lang: string | null | undefined): readonly string[] | null {
  const one = toIso1(lang);
  if (!one) return null;
  stopwordLists ??= createRequire(import.meta.url)('stopwords-iso') as Record<string, string[]>;
  const list = stopwordLists[one];
  return list && list.length > 0 ? list : null;
}

/** Every stopwords-iso list, in its key order (for a union when the language is unknown). */
export function allStopwordLists(): readonly (readonly string[])[] {
  stopwordLists ??= createRequire(import.meta.url)('stopwords-iso') as Record<string, string[]>;
  return Object.values(stopwordLists);
}
