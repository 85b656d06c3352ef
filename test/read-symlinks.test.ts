/**
 * A folder of symbolic links to the inputs (to files and to a folder, plus a dangling link and a link
 * loop) is read like the files themselves: `corpus run` over it gives the same docs as over the targets.
 */
import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig } from '../pipeline/config.ts';
import { runCorpus } from '../pipeline/run.ts';
import { queryCorpus } from '../pipeline/query.ts';
import { expandInputs } from '../stages/read/index.ts';
import { fixture } from './helpers/fixtures.ts';

describe('a directory of symlinked inputs', () => {
  it('corpus run reads linked files and linked folders, skips dangling links and walks a loop once', async () => {
    const base = await mkdtemp(join(tmpdir(), 'corpus-links-'));
    const warc = fixture('warc/webrecorder__warcio/example.warc.gz');
    // (newspaper4k has no near-duplicate pages. In readability/, wikipedia.html and wikipedia.expected.html
    // are near-duplicates, and which of them in-run dedup keeps depends on path-derived doc ids.)
    const page = fixture('html/newspaper4k/chinese_article.html');
    const links = join(base, 'links');
    await mkdir(links);
    await symlink(warc, join(links, 'example.warc.gz'));
    await symlink(dirname(page), join(links, 'pages'));
    await symlink(join(base, 'gone.warc.gz'), join(links, 'dangling.warc.gz'));
    await symlink(links, join(links, 'loop'));

    const units = await expandInputs([links]);
    expect(units.map((u) => u.kind).sort()).toEqual(['archive', 'html']);

    const viaLinks = join(base, 'out-links');
    const direct = join(base, 'out-direct');
    await runCorpus({ inputs: [links], out: viaLinks, config: loadConfig(), progress: false, log: () => {} });
    await runCorpus({ inputs: [warc, dirname(page)], out: direct, config: loadConfig(), progress: false, log: () => {} });
    const count = async (out: string) => Number((await queryCorpus(out, 'SELECT count(*)::INT AS n FROM docs'))[0]!.n);
    expect(await count(viaLinks)).toBeGreaterThan(1);
    expect(await count(viaLinks)).toBe(await count(direct));
  }, 120_000);
});
