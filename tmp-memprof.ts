import { UnitRunner } from './pipeline/unit.ts';
import { loadConfig } from './pipeline/config.ts';
import { expandInputs } from './stages/read/index.ts';
import { mkdir, rm } from 'node:fs/promises';
const out = '/tmp/o-memprof'; await rm(out, { recursive: true, force: true }); await mkdir(out + '/_done', { recursive: true });
const r = await UnitRunner.open({ out, config: loadConfig(), inputFiles: [], log: (m) => console.log(m) });
const [u] = await expandInputs([process.argv[2]!]);
let docs = 0, pos = 0; const f = (n: number) => (n / 1e6).toFixed(0);
const t0 = Date.now();
const t = setInterval(async () => {
  const m = process.memoryUsage();
  let duck = '';
  try { const rows = await (r as any).db.all("SELECT sum(memory_usage_bytes)::BIGINT AS b FROM duckdb_memory()"); duck = f(Number(rows[0].b)); } catch (e) { duck = 'err'; }
  console.log(`${((Date.now() - t0) / 1000).toFixed(0)}s pos ${f(pos)} docs ${docs} rss ${f(m.rss)} heapTot ${f(m.heapTotal)} heapUsed ${f(m.heapUsed)} ext ${f(m.external)} ab ${f(m.arrayBuffers)} duck ${duck}`);
}, 15000);
await r.run(u!, [], { page(_b, p) { pos = p; }, doc() { docs++; }, drop() {}, reservePage: () => true });
clearInterval(t);
console.log('maxrss', f(process.resourceUsage().maxRSS * 1024));
await r.close();
