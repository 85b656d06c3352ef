/**
 * Progress on stderr: units done/total, pages, docs/s, MB/s, ETA, top drop reasons. On a terminal the
 * line is redrawn in place (at most every 250 ms); otherwise a plain log line every 30 s.
 */
import type { StatsSummary } from './stats.ts';

export class Progress {
  private unitsDone = 0;
  private bytesDone = 0;
  private pages = 0;
  private docs = 0;
  private bytesRead = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  private readonly drops = new Map<string, number>();
  private readonly tty = process.stderr.isTTY === true;

  constructor(
    private readonly unitsTotal: number,
    private readonly bytesTotal: number,
    private readonly enabled: boolean,
  ) {}

  page(bytes: number): void {
    this.pages++;
    this.bytesRead += bytes;
    this.maybeDraw();
  }

  doc(): void {
    this.docs++;
  }

  unitDone(unitBytes: number, _seconds: number, stats: StatsSummary): void {
    this.unitsDone++;
    this.bytesDone += unitBytes;
    for (const [stage, counters] of Object.entries(stats)) {
      for (const [k, v] of Object.entries(counters)) {
        if (k.startsWith('dropped:')) this.drops.set(`${stage}:${k.slice(8)}`, (this.drops.get(`${stage}:${k.slice(8)}`) ?? 0) + v);
      }
    }
    this.maybeDraw(true);
  }

  line(): string {
    const s = Math.max((Date.now() - this.started) / 1000, 1e-3);
    const frac = this.bytesTotal > 0 ? this.bytesDone / this.bytesTotal : 0;
    const eta = frac > 0 && frac < 1 ? `${Math.round((s / frac) * (1 - frac))}s` : '-';
    const top = [...this.drops.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k}=${v}`).join(' ');
    return (
      `units ${this.unitsDone}/${this.unitsTotal}  pages ${this.pages}  docs ${this.docs}  ` +
      `${(this.docs / s).toFixed(1)} docs/s  ${(this.bytesRead / 1e6 / s).toFixed(2)} MB/s  ETA ${eta}` +
      (top ? `  drops: ${top}` : '')
    );
  }

  private maybeDraw(force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    const every = this.tty ? 250 : 30_000;
    if (!force && now - this.lastDraw < every) return;
    if (!this.tty && force && now - this.lastDraw < every) return;
    this.lastDraw = now;
    if (this.tty) process.stderr.write(`\r\x1b[K${this.line()}`);
    else process.stderr.write(`${new Date().toISOString()} ${this.line()}\n`);
  }

  end(): void {
    if (!this.enabled) return;
    if (this.tty) process.stderr.write(`\r\x1b[K${this.line()}\n`);
    else process.stderr.write(`${new Date().toISOString()} ${this.line()}\n`);
  }
}
