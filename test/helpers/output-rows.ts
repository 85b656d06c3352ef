import { openCorpus } from '../../pipeline/query.ts';

/** Every row of docs and rejects, and the stats without timings and work counts: what "the same output" means. */
export async function outputRows(out: string) {
  const db = await openCorpus(out);
  try {
    return {
      docs: await db.all('SELECT * FROM docs ORDER BY doc_id'),
      rejects: await db.all('SELECT * FROM rejects ORDER BY doc_id, stage, reason, detail'),
      stats: await db.all("SELECT unit, stage, counter, value FROM stats WHERE counter NOT LIKE 'time:%' AND counter NOT LIKE 'work:%' ORDER BY unit, stage, counter"),
    };
  } finally {
    db.close();
  }
}
