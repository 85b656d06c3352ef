/**
 * Progress of a run on stderr: units done/total, docs, docs/s, input MB/s, ETA, top drop reasons.
 * On a terminal the line is redrawn in place (at most every 250 ms); otherwise a plain log line
 * every `logEveryMs` (30 s), so batch logs stay readable.
 */

export interface ProgressOptions {
  enabled: boolean;
  /** Non-terminal: one line this often. */
  logEveryMs?: number;
  write?: (s: string) => void;
  tty?: boolean;
}

export class Progress {
  private unitsDone = 0;
  private unitsFailed = 0;
  private docs = 0;
  private pages = 0;
  /** Input bytes of the units finished in this run (skipped ones excluded). */
  private bytesFinished = 0;
  private skippedBytes = 0;
  /** Units in progress -> how far into their input reading has got. */
  private readonly active = new Map<string, number>();
  private readonly drops = new Map<string, number>();
  private readonly started = Date.now();
  private lastDraw = 0;
  private readonly tty: boolean;
  private readonly every: number;
  private readonly write: (s: string) => void;

  constructor(
    private readonly unitsTotal: number,
    private readonly bytesTotal: number,
    private readonly opts: ProgressOptions,
  ) {
    this.tty = opts.tty ?? process.stderr.isTTY === true;
    this.every = this.tty ? 250 : (opts.logEveryMs ?? 30_000);
    this.write = opts.write ?? ((s) => process.stderr.write(s));
  }

  /** Units already complete from an earlier run. */
  skipped(units: number, bytes: number): void {
    this.unitsDone += units;
    this.skippedBytes += bytes;
  }

  add(d: { pages: number; docs: number; drops: Record<string, number>; unit: string; position: number }): void {
    this.pages += d.pages;
    this.docs += d.docs;
    for (const [k, v] of Object.entries(d.drops)) this.drops.set(k, (this.drops.get(k) ?? 0) + v);
    if (d.unit) this.active.set(d.unit, d.position);
    this.maybeDraw();
  }

  unitDone(unit: string, bytes: number, failed = false): void {
    this.active.delete(unit);
    this.unitsDone++;
    if (failed) this.unitsFailed++;
    this.bytesFinished += bytes;
    this.maybeDraw();
  }

  line(): string {
    const s = Math.max((Date.now() - this.started) / 1000, 1e-3);
    let processed = this.bytesFinished;
    for (const p of this.active.values()) processed += p;
    const rate = processed / s;
    const left = this.bytesTotal - this.skippedBytes - processed;
    const eta = rate > 0 && left > 0 && this.unitsDone < this.unitsTotal ? duration(left / rate) : '-';
    const top = [...this.drops.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k}=${v}`).join(' ');
    return (
      `units ${this.unitsDone}/${this.unitsTotal}${this.unitsFailed ? ` (${this.unitsFailed} failed)` : ''}  ` +
      `docs ${this.docs}  ${(this.docs / s).toFixed(1)} docs/s  ${(rate / 1e6).toFixed(2)} MB/s  ETA ${eta}` +
      (top ? `  drops: ${top}` : '')
    );
  }

  /** A log message that does not garble the live line. */
  log(msg: string): void {
    if (this.opts.enabled && this.tty) this.write(`\r\x1b[K${msg}\n${this.line()}`);
    else this.write(`${msg}\n`);
  }

  private maybeDraw(): void {
    if (!this.opts.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < this.every) return;
    this.lastDraw = now;
    if (this.tty) this.write(`\r\x1b[K${this.line()}`);
    else this.write(`${new Date().toISOString()} ${this.line()}\n`);
  }

  end(): void {
    if (!this.opts.enabled) return;
    if (this.tty) this.write(`\r\x1b[K${this.line()}\n`);
    else this.write(`${new Date().toISOString()} ${this.line()}\n`);
  }
}

function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)}s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m`;
  return `${(seconds / 3600).toFixed(1)}h`;
}
