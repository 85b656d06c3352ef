/** The filter funnel as text: per stage in -> out, drops by reason, errors by kind. */
import type { StatsSummary } from './stats.ts';

export function formatFunnel(stats: StatsSummary): string {
  const lines = ['funnel:'];
  for (const [stage, c] of Object.entries(stats)) {
    const drops = Object.entries(c).filter(([k]) => k.startsWith('dropped:')).sort((a, b) => b[1] - a[1]);
    const errors = Object.entries(c).filter(([k]) => k.startsWith('error:')).sort((a, b) => b[1] - a[1]);
    let head: string;
    if (stage === 'read') {
      const records = Object.entries(c).filter(([k]) => k.startsWith('records:')).map(([k, v]) => `${k.slice(8)} ${v}`);
      head = `${(c.html ?? 0)} html pages` + (records.length ? ` (records: ${records.join(', ')})` : '');
    } else if (stage === 'write') {
      head = `${c.docs ?? 0} docs written`;
    } else {
      head = `${c.in ?? 0} in -> ${c.out ?? 0} out`;
    }
    lines.push(`  ${stage.padEnd(10)} ${head}`);
    if (drops.length) lines.push(`  ${''.padEnd(10)} dropped: ${drops.map(([k, v]) => `${k.slice(8)} ${v}`).join(', ')}`);
    if (errors.length) lines.push(`  ${''.padEnd(10)} errors: ${errors.map(([k, v]) => `${k.slice(6)} ${v}`).join(', ')}`);
  }
  return lines.join('\n');
}
