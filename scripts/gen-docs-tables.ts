/** Rewrite docs/tables.md from the ColumnSpecs (pipeline/tables-doc.ts). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tablesMarkdown } from '../pipeline/tables-doc.ts';

const file = fileURLToPath(new URL('../docs/tables.md', import.meta.url));
writeFileSync(file, tablesMarkdown());
process.stdout.write(`wrote ${file}\n`);
