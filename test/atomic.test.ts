/** stages/lib/atomic.ts: outputs appear whole or not at all, on the real filesystem. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishAtomically, writeFileAtomically } from '../stages/lib/atomic.ts';

describe('publishAtomically', () => {
  it('replaces a file; a failed write leaves the old one and no temporary behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    const file = join(dir, 'manifest.json');
    await writeFileAtomically(file, 'one');
    await writeFileAtomically(file, 'two');
    expect(readFileSync(file, 'utf8')).toBe('two');
    await expect(
      publishAtomically(file, async (tmp) => {
        await writeFile(tmp, 'half');
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(readFileSync(file, 'utf8')).toBe('two');
    expect(readdirSync(dir)).toEqual(['manifest.json']);
  });

  it('replaces a whole directory: no file of the old one survives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    const table = join(dir, 'packed');
    mkdirSync(table);
    writeFileSync(join(table, 'old.parquet'), 'x');
    await publishAtomically(table, async (tmp) => {
      mkdirSync(tmp);
      writeFileSync(join(tmp, 'a.parquet'), 'a');
      writeFileSync(join(tmp, 'b.parquet'), 'b');
    });
    expect(readdirSync(table).sort()).toEqual(['a.parquet', 'b.parquet']);
    expect(readdirSync(dir)).toEqual(['packed']);
  });
});
