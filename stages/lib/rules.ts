/**
 * Threshold rules: the decisions of the filter stages (langid, quality, safety), written once as
 * data so that the same list both decides in the stage (JS) and renders as SQL over the stored
 * signal columns. Retuning a threshold and running the SQL shows its effect without reprocessing,
 * and a test checks that the SQL agrees with what the run decided.
 *
 * A rule drops a document when its column violates the threshold; a null signal (not measurable
 * for this document, e.g. no stopword list for its language) never drops. Rules are checked in
 * order; the first violated rule is the drop reason.
 */

/** Per-language overrides: `[{ lang: 'zho', minWords: 30 }]` (an array, so JSON configs can add languages). */
export type LangOverrides<T> = Array<{ lang: string } & Partial<T>>;

export type Rule =
  /** Drop when value < threshold (value is a number column). `setting`: the config key it comes from (shown by the report). */
  | { reason: string; column: string; kind: 'min'; threshold: number; byLang?: Record<string, number>; setting?: string }
  /** Drop when value > threshold. */
  | { reason: string; column: string; kind: 'max'; threshold: number; byLang?: Record<string, number>; setting?: string }
  /** Drop when the column is null. */
  | { reason: string; column: string; kind: 'present' }
  /** Drop when the column is not null (e.g. the blocklist entry a URL matched). */
  | { reason: string; column: string; kind: 'absent' }
  /** Drop when `values` is non-empty and the column is not one of them. */
  | { reason: string; column: string; kind: 'oneOf'; values: string[] }
  /** Drop when the boolean column is true. */
  | { reason: string; column: string; kind: 'isFalse' };

export type Row = Record<string, unknown>;

/**
 * Build `min`/`max` rules from a thresholds object and its per-language overrides.
 * `spec` maps a threshold key to [reason, column, kind]; keys whose value is null are off.
 */
export function thresholdRules<T extends { [K in keyof T]: number | null }>(
  thresholds: T,
  overrides: LangOverrides<T>,
  spec: { [K in keyof T]: [reason: string, column: string, kind: 'min' | 'max'] },
  /** Config path of the thresholds object (e.g. 'quality'): each rule records `<section>.<key>` as its setting. */
  section?: string,
): Rule[] {
  const rules: Rule[] = [];
  for (const key of Object.keys(spec) as (keyof T)[]) {
    const [reason, column, kind] = spec[key];
    const threshold = thresholds[key];
    const byLang: Record<string, number> = {};
    for (const o of overrides) {
      const v = o[key];
      // null switches the rule off for that language (JSON has no Infinity).
      if (typeof v === 'number') byLang[o.lang] = v;
      else if (v === null) byLang[o.lang] = kind === 'min' ? -Infinity : Infinity;
    }
    if (threshold === null && Object.keys(byLang).length === 0) continue;
    // A null default with overrides: only the listed languages are checked.
    const setting = section ? `${section}.${String(key)}` : undefined;
    rules.push({ reason, column, kind, threshold: threshold ?? (kind === 'min' ? -Infinity : Infinity), byLang, ...(setting ? { setting } : {}) });
  }
  return rules;
}

/** The reason the first violated rule gives, or null to keep. `lang` picks per-language thresholds. */
export function dropReason(rules: Rule[], row: Row, lang: string | null): string | null {
  for (const r of rules) {
    const v = row[r.column];
    switch (r.kind) {
      case 'present':
        if (v === null || v === undefined) return r.reason;
        break;
      case 'absent':
        if (v !== null && v !== undefined) return r.reason;
        break;
      case 'oneOf':
        if (r.values.length > 0 && !r.values.includes(v as string)) return r.reason;
        break;
      case 'isFalse':
        if (v === true) return r.reason;
        break;
      case 'min':
      case 'max': {
        if (typeof v !== 'number' || Number.isNaN(v)) break;
        const t = (lang !== null ? r.byLang?.[lang] : undefined) ?? r.threshold;
        if (r.kind === 'min' ? v < t : v > t) return r.reason;
        break;
      }
    }
  }
  return null;
}

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const sqlIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;
const sqlNumber = (n: number): string =>
  n === Infinity ? "'infinity'::DOUBLE" : n === -Infinity ? "'-infinity'::DOUBLE" : `${n}::DOUBLE`; // DOUBLE, as the signals: no DECIMAL rounding

/** The SQL condition under which one rule drops (true = drop). `langColumn` names the language column. */
export function ruleSql(r: Rule, langColumn = 'lang'): string {
  const c = sqlIdent(r.column);
  switch (r.kind) {
    case 'present':
      return `${c} IS NULL`;
    case 'absent':
      return `${c} IS NOT NULL`;
    case 'oneOf':
      return r.values.length === 0 ? 'false' : `(${c} IS NULL OR ${c} NOT IN (${r.values.map(sqlString).join(', ')}))`;
    case 'isFalse':
      return `coalesce(${c}, false)`;
    case 'min':
    case 'max': {
      const entries = Object.entries(r.byLang ?? {});
      const t = entries.length === 0
        ? sqlNumber(r.threshold)
        : `CASE ${sqlIdent(langColumn)} ${entries.map(([l, v]) => `WHEN ${sqlString(l)} THEN ${sqlNumber(v)}`).join(' ')} ELSE ${sqlNumber(r.threshold)} END`;
      return `(${c} IS NOT NULL AND ${c} ${r.kind === 'min' ? '<' : '>'} ${t})`;
    }
  }
}

/** SQL expression giving the drop reason of a row (first violated rule), or NULL when kept. */
export function dropReasonSql(rules: Rule[], langColumn = 'lang'): string {
  if (rules.length === 0) return 'NULL';
  return `CASE ${rules.map((r) => `WHEN ${ruleSql(r, langColumn)} THEN ${sqlString(r.reason)}`).join(' ')} ELSE NULL END`;
}

/** SQL WHERE condition that is true for the rows these rules keep. */
export function keepSql(rules: Rule[], langColumn = 'lang'): string {
  if (rules.length === 0) return 'true';
  return `NOT (${rules.map((r) => ruleSql(r, langColumn)).join(' OR ')})`;
}
