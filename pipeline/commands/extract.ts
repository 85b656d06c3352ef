/**
 * `corpus extract`: the debugging view. Reads pages the way `corpus run` does and prints what the
 * extract stage makes of each, one JSON line per page (or Markdown), without writing anything.
 */
import { parse, UsageError } from '../cli.ts';
import { loadConfig } from '../config.ts';
import { Counters } from '../stats.ts';
import type { StageContext } from '../stage.ts';
import { expandInputs, readUnit } from '../../stages/read/index.ts';
import { extractHtml } from '../../stages/extract/index.ts';
import type { Segment } from '../../schemas/doc.ts';

function markdown(title: string | null, url: string, segments: Segment[]): string {
  const out = [`# ${title ?? url}`, `<${url}>`, ''];
  for (const s of segments) {
    if (s.kind === 'image') out.push(`![${s.alt ?? ''}](${s.url})`, '');
    else if (s.tag && /^h[1-6]$/.test(s.tag)) out.push(`${'#'.repeat(Math.min(6, Number(s.tag[1]) + 1))} ${s.text}`, '');
    else if (s.tag === 'li') out.push(`- ${s.text}`);
    else out.push(s.text ?? '', '');
  }
  return out.join('\n') + '\n';
}

export async function extractCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    url: { type: 'string' },
    format: { type: 'string', short: 'f' },
    limit: { type: 'string' },
    config: { type: 'string' },
  });
  if (positionals.length === 0) throw new UsageError('usage: corpus extract <page.html|dir|file.warc.gz…> [--url U] [--format jsonl|markdown]');
  const format = values.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'markdown') throw new UsageError(`--format is jsonl or markdown, got ${format}`);
  const limit = values.limit ? Number(values.limit) : Infinity;
  const config = loadConfig(values.config);
  const counters = new Counters();
  let n = 0;
  for (const unit of await expandInputs(positionals)) {
    const ctx: StageContext = {
      config,
      counters,
      reject: (doc, reason, detail) => process.stderr.write(`skipped ${doc.url} (${doc.source.file}@${doc.source.offset}): ${reason}${detail ? ` ${detail}` : ''}\n`),
      emit: () => {},
      resources: new Map(),
      unit: unit.key,
      segment: `${unit.key}#0`,
      signal: new AbortController().signal,
      log: (m) => process.stderr.write(`${m}\n`),
    };
    for await (const page of readUnit(unit, ctx)) {
      if (n++ >= limit) return 0;
      const url = values.url ?? page.url;
      const ex = extractHtml(page.html, url, config.extract);
      const source = `${page.source.file}${page.source.recordType === 'file' ? '' : `@${page.source.offset}`}`;
      if (format === 'jsonl') {
        process.stdout.write(JSON.stringify({ source, url, title: ex.title, segments: ex.segments }) + '\n');
      } else process.stdout.write(markdown(ex.title, url, ex.segments) + '\n');
    }
  }
  return 0;
}
