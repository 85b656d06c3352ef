/** A real StageContext for driving a stage or reader directly in tests (records rejects and rows). */
import type { Doc } from '../../schemas/doc.ts';
import { loadConfig, type Config } from '../../pipeline/config.ts';
import type { StageContext } from '../../pipeline/stage.ts';
import { Counters } from '../../pipeline/stats.ts';

export interface TestContext extends StageContext {
  rejects: { doc: Doc; reason: string; detail: string | null }[];
  rows: { table: string; row: Record<string, unknown> }[];
}

export function testContext(config: Config = loadConfig(), unit = 'test'): TestContext {
  const rejects: TestContext['rejects'] = [];
  const rows: TestContext['rows'] = [];
  return {
    config,
    counters: new Counters(),
    reject: (doc, reason, detail) => rejects.push({ doc, reason, detail: detail ?? null }),
    emit: (table, row) => rows.push({ table, row }),
    resources: new Map(),
    unit,
    segment: `${unit}#0`,
    signal: new AbortController().signal,
    log: () => {},
    rejects,
    rows,
  };
}
