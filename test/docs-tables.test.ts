/** docs/tables.md is generated from the ColumnSpecs: it must name every column the code declares. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tablesMarkdown } from '../pipeline/tables-doc.ts';

describe('docs/tables.md', () => {
  it('is what scripts/gen-docs-tables.ts writes from the current ColumnSpecs (run it after adding a column)', () => {
    const onDisk = readFileSync(new URL('../docs/tables.md', import.meta.url), 'utf8');
    const now = tablesMarkdown();
    expect(now).toContain('| `doc_id` |');
    expect(now).toContain('## images');
    expect(onDisk).toBe(now);
  });
});
