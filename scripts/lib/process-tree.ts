/** Resident memory and CPU time of a child process and its descendants, read from /proc (Linux). */
import { readFile, readdir } from 'node:fs/promises';

/** The pids of a process and its descendants (worker threads are in the same process). */
export async function tree(pid: number): Promise<number[]> {
  const out = [pid];
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  for (const t of tasks) {
    const kids = (await readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => '')).split(' ').filter(Boolean);
    for (const k of kids) out.push(...(await tree(Number(k))));
  }
  return out;
}

/** Summed RSS (bytes) and user + system CPU (seconds) of `pids`. */
export async function rssAndCpu(pids: number[]): Promise<{ rss: number; cpu: number }> {
  let rss = 0;
  let cpu = 0;
  for (const p of pids) {
    const status = await readFile(`/proc/${p}/status`, 'utf8').catch(() => '');
    rss += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
    const st = (await readFile(`/proc/${p}/stat`, 'utf8').catch(() => '')).split(') ')[1]?.split(' ') ?? [];
    cpu += (Number(st[11] ?? 0) + Number(st[12] ?? 0)) / 100; // utime + stime, in clock ticks (100/s)
  }
  return { rss, cpu };
}
