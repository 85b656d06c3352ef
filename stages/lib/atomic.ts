/**
 * Outputs appear whole or not at all: everything is written under a temporary name beside its final
 * path (same directory, so the rename never crosses filesystems), flushed to disk, then renamed into
 * place. A reader, a resumed run or a rerun never sees half a file, and a crash leaves only `*.tmp-*`
 * names, which no reader globs.
 */
import { open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

let counter = 0;

/** A temporary name beside `path`, unique to this process and call. */
export function tempPathFor(path: string): string {
  counter += 1;
  return `${path}.tmp-${process.pid}-${counter}`;
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Flush a file, or every file under a directory (packed/ has a folder per bucket), to disk. */
async function flushToDisk(path: string): Promise<void> {
  const s = await stat(path);
  if (!s.isDirectory()) return fsyncPath(path);
  for (const e of await readdir(path, { withFileTypes: true, recursive: true })) if (e.isFile()) await fsyncPath(join(e.parentPath, e.name));
}

export interface PublishOptions {
  /** Flush to disk before and after the rename (default). Off for caches, which may be lost but never half-written. */
  flush?: boolean;
}

/**
 * Move a finished temporary file or directory onto `path`: flush it, rename it (a directory already at
 * `path` is removed first: directories cannot be renamed over), then flush the parent so the rename
 * itself survives a crash (best effort: some filesystems refuse to open a directory).
 */
export async function publishPath(tmp: string, path: string, opts: PublishOptions = {}): Promise<void> {
  const flush = opts.flush ?? true;
  if (flush) await flushToDisk(tmp);
  if ((await stat(tmp)).isDirectory()) await rm(path, { recursive: true, force: true });
  await rename(tmp, path);
  if (flush) await fsyncPath(dirname(path)).catch(() => {});
}

/**
 * Produce `path` atomically: `produce(tmp)` writes a file or a directory at `tmp`, which is then
 * published onto `path`. If `produce` throws, `tmp` is removed and the error passed on; `path` is
 * left as it was.
 */
export async function publishAtomically(path: string, produce: (tmp: string) => Promise<void>, opts: PublishOptions = {}): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    await produce(tmp);
    await publishPath(tmp, path, opts);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Write `data` to `path` atomically. */
export function writeFileAtomically(path: string, data: string | Uint8Array, opts: PublishOptions = {}): Promise<void> {
  return publishAtomically(path, (tmp) => writeFile(tmp, data), opts);
}
