/**
 * The report's charts: small hand-written SVG (horizontal bars and vertical histograms). No charting
 * library: two chart shapes cover every plot, and the output is plain markup the test can inspect.
 * Colours come from CSS classes (s0, s1, ...) so the page's stylesheet owns the palette.
 */
import { esc, fmtNum } from './html.ts';

export interface HBar {
  label: string;
  /** One value per series, stacked left to right. */
  values: number[];
  /** Text after the bar (default: the total). */
  note?: string;
}

const FONT = 12;
const CHAR_W = 6.6; // approximate advance of the 12 px sans-serif digits and letters, for layout

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** CSS colour class of series i: `classes[i]` when given, else s0, s1, ... */
function cls(classes: string[] | undefined, i: number): string {
  return classes?.[i] ?? `s${i}`;
}

function legend(series: string[], x: number, y: number, classes?: string[]): string {
  if (series.length < 2) return '';
  let dx = x;
  return series
    .map((name, i) => {
      const g = `<g class="legend"><rect class="${cls(classes, i)}" x="${dx}" y="${y - 9}" width="10" height="10"/><text x="${dx + 14}" y="${y}">${esc(name)}</text></g>`;
      dx += 14 + name.length * CHAR_W + 16;
      return g;
    })
    .join('');
}

/** Horizontal bars, one row per item, series stacked; the label column is clipped with the full text in a tooltip. */
export function hbarChart(
  bars: HBar[],
  opts: { series: string[]; classes?: string[]; width?: number; labelChars?: number; caption?: string },
): string {
  const width = opts.width ?? 760;
  const labelChars = Math.min(opts.labelChars ?? 34, Math.max(4, ...bars.map((b) => b.label.length)));
  const labelW = labelChars * CHAR_W + 10;
  const notes = bars.map((b) => b.note ?? fmtNum(b.values.reduce((a, v) => a + v, 0)));
  const noteW = Math.max(...notes.map((n) => n.length), 1) * CHAR_W + 10;
  const plotW = Math.max(80, width - labelW - noteW);
  const rowH = 20;
  const top = opts.series.length > 1 || opts.caption ? 22 : 4;
  const height = top + bars.length * rowH + 4;
  const max = Math.max(1e-12, ...bars.map((b) => b.values.reduce((a, v) => a + Math.max(0, v), 0)));
  const rows = bars.map((b, r) => {
    const y = top + r * rowH;
    let x = labelW;
    const rects = b.values
      .map((v, i) => {
        const w = (Math.max(0, v) / max) * plotW;
        const rect = v > 0
          ? `<rect class="bar ${cls(opts.classes, i)}" x="${x.toFixed(1)}" y="${y + 3}" width="${Math.max(w, 1).toFixed(1)}" height="${rowH - 6}"><title>${esc(`${b.label} — ${opts.series[i] ?? ''}: ${fmtNum(v)}`)}</title></rect>`
          : '';
        x += w;
        return rect;
      })
      .join('');
    return (
      `<g class="row"><text class="label" x="${labelW - 6}" y="${y + rowH / 2 + 4}" text-anchor="end"><title>${esc(b.label)}</title>${esc(clip(b.label, labelChars))}</text>` +
      `${rects}<text class="note" x="${(x + 4).toFixed(1)}" y="${y + rowH / 2 + 4}">${esc(notes[r]!)}</text></g>`
    );
  });
  return (
    `<svg class="chart hbar" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" font-size="${FONT}">` +
    (opts.caption ? `<text class="caption" x="${labelW}" y="14">${esc(opts.caption)}</text>` : legend(opts.series, labelW, 14, opts.classes)) +
    rows.join('') +
    '</svg>'
  );
}

export interface Bin {
  /** Full label (tooltip); `tick` is the short one under the bar (default: label). */
  label: string;
  tick?: string;
  /** One count per series, stacked bottom to top. */
  values: number[];
}

/** A round axis maximum at or above `v` (so the mid tick is round too). */
function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  if (v <= 2) return 2;
  const pow = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.6, 2, 3, 4, 5, 6, 8, 10]) if (m * pow >= v) return m * pow;
  return 10 * pow;
}

export interface Marker {
  /** Position in bin units: 0 = left edge of the first bin, bins.length = right edge of the last. */
  at: number;
  label: string;
}

/** Vertical histogram over ordered bins, series stacked, with optional vertical marker lines (thresholds). */
export function histogram(
  bins: Bin[],
  opts: { series: string[]; classes?: string[]; xLabel: string; yLabel?: string; markers?: Marker[]; width?: number },
): string {
  const width = opts.width ?? 760;
  const left = 52;
  const right = 12;
  const markers = opts.markers ?? [];
  // Rows above the plot: the legend, then one line per marker label (so two thresholds never overlap).
  const legendRow = opts.series.length > 1 ? 20 : 0;
  const top = 12 + legendRow + markers.length * 16;
  const plotH = 150;
  const longest = Math.max(1, ...bins.map((b) => (b.tick ?? b.label).length));
  // Few bins stay narrow (at most 80 px) rather than stretching over the whole width.
  const plotW = Math.min(width - left - right, 80 * Math.max(bins.length, 1));
  const bw = plotW / Math.max(bins.length, 1);
  // Rotate the tick labels when they would overlap, and show every k-th one when still too dense.
  const rotate = longest * CHAR_W > bw - 2;
  const every = rotate ? Math.max(1, Math.ceil(14 / bw)) : 1;
  const labelsH = rotate ? Math.min(longest, 12) * CHAR_W * 0.75 + 10 : 18;
  const height = top + plotH + labelsH + 18;
  const max = niceMax(Math.max(...bins.map((b) => b.values.reduce((a, v) => a + Math.max(0, v), 0))));
  const yOf = (v: number) => top + plotH - (v / max) * plotH;
  const parts: string[] = [];
  for (const f of [0, 0.5, 1]) {
    const y = yOf(max * f);
    parts.push(`<line class="grid" x1="${left}" x2="${left + plotW}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}"/>`);
    parts.push(`<text class="tick" x="${left - 4}" y="${(y + 4).toFixed(1)}" text-anchor="end">${esc(fmtNum(max * f))}</text>`);
  }
  bins.forEach((b, i) => {
    const x = left + i * bw;
    let acc = 0;
    b.values.forEach((v, s) => {
      if (v <= 0) return;
      const y1 = yOf(acc + v);
      const h = yOf(acc) - y1;
      acc += v;
      parts.push(
        `<rect class="bar ${cls(opts.classes, s)}" x="${(x + Math.min(1, bw * 0.1)).toFixed(1)}" y="${y1.toFixed(1)}" width="${Math.max(1, bw - Math.min(2, bw * 0.2)).toFixed(1)}" height="${Math.max(h, 0.5).toFixed(1)}">` +
          `<title>${esc(`${b.label} — ${opts.series[s] ?? ''}: ${fmtNum(v)}`)}</title></rect>`,
      );
    });
    if (i % every === 0) {
      const tx = x + bw / 2;
      const ty = top + plotH + 12;
      const label = esc(clip(b.tick ?? b.label, 12));
      parts.push(
        rotate
          ? `<text class="tick" x="${tx.toFixed(1)}" y="${ty}" text-anchor="end" transform="rotate(-45 ${tx.toFixed(1)} ${ty})">${label}</text>`
          : `<text class="tick" x="${tx.toFixed(1)}" y="${ty}" text-anchor="middle">${label}</text>`,
      );
    }
  });
  parts.push(`<line class="axis" x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}"/>`);
  markers.forEach((m, i) => {
    const x = left + Math.min(Math.max(m.at, 0), bins.length) * bw;
    // Labels near the right edge grow leftwards so they stay inside the chart.
    const toLeft = x + m.label.length * CHAR_W > width - right && x - m.label.length * CHAR_W > 0;
    parts.push(
      `<g class="threshold"><line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${top - 18 - 16 * i}" y2="${top + plotH}"/>` +
        `<text x="${(toLeft ? x - 3 : x + 3).toFixed(1)}" y="${top - 6 - 16 * i}" text-anchor="${toLeft ? 'end' : 'start'}">${esc(m.label)}</text></g>`,
    );
  });
  parts.push(`<text class="axis-label" x="${left + plotW / 2}" y="${height - 3}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  if (opts.yLabel) parts.push(`<text class="axis-label" x="12" y="${top + plotH / 2}" text-anchor="middle" transform="rotate(-90 12 ${top + plotH / 2})">${esc(opts.yLabel)}</text>`);
  return (
    `<svg class="chart histogram" viewBox="0 0 ${width} ${height.toFixed(0)}" width="${width}" height="${height.toFixed(0)}" role="img" font-size="${FONT}">` +
    legend(opts.series, left, 14, opts.classes) +
    parts.join('') +
    '</svg>'
  );
}
