/**
 * The body of one worker thread of `corpus run` (started by pipeline/workers.ts through
 * worker-entry.mjs, which loads tsx first). It opens the stages once, then runs the units the main
 * thread sends it, one at a time, and reports progress, completions and failures as messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { UnitRunner } from './unit.ts';
import type { FromWorker, ToWorker, WorkerInit } from './workers.ts';

const init = workerData as WorkerInit;
const port = parentPort!;
const send = (m: FromWorker) => port.postMessage(m);
const budget = new Int32Array(init.pageBudget);

// Progress is batched: one message every 200 ms at most, whatever the page rate.
let delta = { pages: 0, bytes: 0, docs: 0, drops: {} as Record<string, number>, unit: '', position: 0 };
function flush(): void {
  if (delta.pages === 0 && delta.docs === 0 && Object.keys(delta.drops).length === 0) return;
  send({ type: 'progress', ...delta });
  delta = { pages: 0, bytes: 0, docs: 0, drops: {}, unit: delta.unit, position: delta.position };
}
const timer = setInterval(flush, 200);
timer.unref();

const runner = await UnitRunner.open({
  out: init.out,
  config: init.config,
  inputFiles: init.inputFiles,
  log: (msg) => send({ type: 'log', msg }),
});

port.on('message', async (m: ToWorker) => {
  if (m.type === 'close') {
    clearInterval(timer);
    flush();
    await runner.close();
    port.close();
    return;
  }
  const { unit } = m;
  delta.unit = unit.key;
  delta.position = 0;
  try {
    const { marker, pages } = await runner.run(
      unit,
      m.leftovers,
      {
        page(bytes, position) {
          delta.pages++;
          delta.bytes += bytes;
          delta.position = position;
        },
        doc() {
          delta.docs++;
        },
        drop(stage, reason) {
          const k = `${stage}:${reason}`;
          delta.drops[k] = (delta.drops[k] ?? 0) + 1;
        },
        // The run's page budget (run.limit) is shared by all workers: [limited 0|1, pages left].
        reservePage: () => budget[0] === 0 || Atomics.sub(budget, 1, 1) > 0,
      },
      init.force,
    );
    flush();
    send({ type: 'done', unit: unit.key, marker, pages });
  } catch (err) {
    // A bug or an I/O failure in one unit must not stop the batch; the unit is retried next run.
    flush();
    send({ type: 'failed', unit: unit.key, error: String((err as Error)?.message ?? err), stack: (err as Error)?.stack ?? String(err) });
  }
});

send({ type: 'ready' });
