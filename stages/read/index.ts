/**
 * read: input paths -> units of work -> RawPage.
 * A unit is one archive file (WARC / WARC.gz, ARC / ARC.gz, WACZ), or one directory's HTML pages. Units are independent:
 * a run resumes, shards and parallelises by unit.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { glob } from 'tinyglobby';
import type { RawPage } from '../../schemas/doc.ts';
import type { ReadContext } from './config.ts';
import { isHtmlFile, readHtmlFile } from './html.ts';
import { isArcRecordStartAt } from '../lib/arc-parser.ts';
import { readArc } from './arc.ts';
import { readWacz } from './wacz.ts';
import { isRecordStartAt, readWarc, sniffArchive, type WarcRange } from './warc.ts';
import { archiveParts, type ArchivePart } from './parts.ts';
import { UserError } from '../lib/errors.ts';

export type { WarcRange };

export { readDefaults, type ReadConfig } from './config.ts';

export interface Unit {
  /** Stable key (the archive path, or the directory path for HTML pages). */
  key: string;
  kind: 'archive' | 'html';
  /** Archive: [path]; HTML: the page files, sorted. */
  files: string[];
  /** Bytes of input: the file, the part of it, or the HTML pages. */
  bytes: number;
  /** A part of a large archive (splitArchives): the bytes [start, end) of the file; absent = all of it. */
  part?: ArchivePart;
}

const ARCHIVE = /\.(warc|arc|wacz)(\.gz)?$/i;

export class InputError extends UserError {
  readonly code = 'ERR_INPUT';
}

/** Files under `dir`, following symbolic links (a folder of links to the inputs is common); a link loop is walked once. */
async function walk(dir: string, out: string[], seen = new Set<string>()): Promise<void> {
  const real = await realpath(dir);
  if (seen.has(real)) return;
  seen.add(real);
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    // A dangling link is skipped like any other non-file entry.
    const st = e.isSymbolicLink() ? await stat(p).catch(() => null) : e;
    if (st?.isDirectory()) await walk(p, out, seen);
    else if (st?.isFile()) out.push(p);
  }
}

/** Expand files, directories (recursively) and globs into sorted units. Missing inputs are an InputError. */
export async function expandInputs(inputs: string[]): Promise<Unit[]> {
  const files: string[] = [];
  for (const input of inputs) {
    if (/[*?[{]/.test(input)) {
      const matched = await glob(input, { onlyFiles: true, absolute: false, expandDirectories: false });
      if (matched.length === 0) throw new InputError(`no files match ${input}`);
      files.push(...matched.sort());
      continue;
    }
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(input);
    } catch {
      throw new InputError(`input not found: ${input} (give WARC files, HTML files, directories or a quoted glob)`);
    }
    if (st.isDirectory()) await walk(input, files);
    else files.push(input);
  }
  const archives: Unit[] = [];
  const htmlDirs = new Map<string, string[]>();
  for (const f of files.map(normalize)) {
    if (ARCHIVE.test(f)) archives.push({ key: f, kind: 'archive', files: [f], bytes: (await stat(f)).size });
    else if (isHtmlFile(f)) {
      const d = dirname(f);
      if (!htmlDirs.has(d)) htmlDirs.set(d, []);
      htmlDirs.get(d)!.push(f);
    }
  }
  const units = [...archives];
  for (const [dir, pages] of htmlDirs) {
    let bytes = 0;
    for (const p of pages) bytes += (await stat(p)).size;
    units.push({ key: dir, kind: 'html', files: [...new Set(pages)].sort(), bytes });
  }
  if (units.length === 0) throw new InputError(`no WARC or HTML files found in ${inputs.join(' ')}`);
  // Dedupe (the same file given twice) and sort by key: the unit order is part of the output's identity.
  const seen = new Set<string>();
  return units.filter((u) => !seen.has(u.key) && seen.add(u.key)).sort((a, b) => (a.key < b.key ? -1 : 1));
}

/**
 * Cut archives larger than 1.5 `partBytes` into parts of about that size (stages/read/parts.ts), each
 * a unit keyed `<path>#<start>-<end>`; other units are returned as they are, in the same order.
 */
export async function splitArchives(units: Unit[], partBytes: number): Promise<Unit[]> {
  const out: Unit[] = [];
  for (const u of units) {
    const parts = u.kind === 'archive' && !u.part ? await archiveParts(u.files[0]!, u.bytes, partBytes).catch(() => []) : [];
    if (parts.length <= 1) out.push(u);
    else for (const part of parts) out.push({ ...u, key: `${u.key}#${part.start}-${part.end}`, bytes: part.end - part.start, part });
  }
  return out;
}

/**
 * The pages of one unit, in file/record order. An archive can be read in ranges (`range`, see
 * WarcRange): the generator returns the offset where the next range starts, or null at the end.
 * HTML directories are always read whole.
 */
export async function* readUnit(unit: Unit, ctx: ReadContext, range: WarcRange = {}): AsyncGenerator<RawPage, number | null> {
  if (unit.part) {
    // A part of a gzip WARC (splitArchives): its own bytes only, from its start or a checkpoint in it.
    const { start, end } = unit.part;
    return yield* readWarc(unit.files[0]!, ctx, { ...range, start: Math.max(range.start ?? start, start), end });
  }
  if (unit.kind === 'archive') {
    const path = unit.files[0]!;
    const format = await sniffArchive(path);
    if (format === 'arc') return yield* readArc(path, ctx, range);
    if (format === 'wacz') return yield* readWacz(path, ctx); // read whole: no resume points inside a ZIP
    return yield* readWarc(path, ctx, range);
  }
  for (const f of unit.files) {
    const page = await readHtmlFile(f, ctx);
    if (page) yield page;
  }
  return null;
}

/** Can reading of this unit resume at `offset` (a checkpoint)? Only archives, at a record start. */
export async function canResumeAt(unit: Unit, offset: number): Promise<boolean> {
  const [from, to] = unit.part ? [unit.part.start, unit.part.end] : [0, unit.bytes];
  if (unit.kind !== 'archive' || !Number.isInteger(offset) || offset < from || offset >= to) return false;
  try {
    const path = unit.files[0]!;
    const format = await sniffArchive(path);
    if (format === 'wacz') return false;
    return format === 'arc' ? await isArcRecordStartAt(path, offset) : await isRecordStartAt(path, offset);
  } catch {
    return false;
  }
}
