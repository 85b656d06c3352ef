/**
 * Run a command as a child process and sample the whole process tree every 100 ms: peak RSS (all
 * threads and child processes), CPU seconds (user + system) and wall seconds. Used by the benches
 * that time `corpus run` (bench-scale.ts, bench-e2e.ts).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rssAndCpu, tree } from './process-tree.ts';

export interface ChildRun {
  seconds: number;
  peakRss: number;
  /** RSS samples taken after `settleMs` (models loaded), sorted. */
  samples: number[];
  cpuSeconds: number;
  stderr: string;
}

/** Run `cmd args` to the end; throws with its stderr when it exits non-zero. */
export async function runChild(cmd: string, args: string[], opts: { settleMs?: number } = {}): Promise<ChildRun> {
  const t0 = performance.now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b) => (stderr += b));
  const exited = once(child, 'exit');
  let peakRss = 0;
  let cpuSeconds = 0;
  const samples: number[] = [];
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    const s = await rssAndCpu(await tree(child.pid!));
    if (s.rss > 0) {
      peakRss = Math.max(peakRss, s.rss);
      if (performance.now() - t0 > (opts.settleMs ?? 30_000)) samples.push(s.rss);
      cpuSeconds = Math.max(cpuSeconds, s.cpu);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const [code] = await exited;
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')}: exited ${code}\n${stderr}`);
  samples.sort((a, b) => a - b);
  return { seconds, peakRss, samples, cpuSeconds, stderr };
}
