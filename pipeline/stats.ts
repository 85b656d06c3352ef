/** Per-stage counters: in / out / dropped:<reason> / error:<kind> / custom keys, plus time:<stage>. */

export class Counters {
  readonly values = new Map<string, number>();
  add(key: string, n = 1): void {
    this.values.set(key, (this.values.get(key) ?? 0) + n);
  }
  get(key: string): number {
    return this.values.get(key) ?? 0;
  }
}

/** stage -> counters, for one unit of work. */
export class UnitStats {
  readonly stages = new Map<string, Counters>();
  for(stage: string): Counters {
    let c = this.stages.get(stage);
    if (!c) this.stages.set(stage, (c = new Counters()));
    return c;
  }
  /** Flat rows (stage, counter, value), the shape of the stats table. */
  rows(): { stage: string; counter: string; value: number }[] {
    const out: { stage: string; counter: string; value: number }[] = [];
    for (const [stage, c] of this.stages) for (const [counter, value] of c.values) out.push({ stage, counter, value });
    return out;
  }
}

export type StatsSummary = Record<string, Record<string, number>>;

/** Sum rows into { stage: { counter: value } }. */
export function summarize(rows: Iterable<{ stage: string; counter: string; value: number }>): StatsSummary {
  const out: StatsSummary = {};
  for (const r of rows) {
    const s = (out[r.stage] ??= {});
    s[r.counter] = (s[r.counter] ?? 0) + r.value;
  }
  return out;
}
