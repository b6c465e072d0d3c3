/**
 * Number formats and tables: the same table prints aligned on a terminal and as Markdown in
 * bench/RESULTS.md.
 */

/** A number with 3 significant digits, grouped thousands above 1000: 0.0123, 4.56, 789, 12,345. */
export function num(value) {
  if (value === undefined || value === null || Number.isNaN(value)) return '–';
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs === 0) return '0';
  const digits = Math.max(0, 2 - Math.floor(Math.log10(abs)));
  return value.toFixed(Math.min(digits, 4));
}

/** `median (min–max)` of a summary, with a unit: `41.2 µs (39.8–45.0)`. */
export function spread(summary, unit = '', format = num) {
  const suffix = unit ? ` ${unit}` : '';
  if (summary.n <= 1) return `${format(summary.median)}${suffix}`;
  return `${format(summary.median)}${suffix} (${format(summary.min)}–${format(summary.max)})`;
}

/** A ratio summary: `1.04× (0.98–1.10)`. */
export function ratio(summary) {
  if (summary.n <= 1) return `${num(summary.median)}×`;
  return `${num(summary.median)}× (${num(summary.min)}–${num(summary.max)})`;
}

/** A count: 20, 1,234. */
export function int(value) {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : num(value);
}

/** Milliseconds as `12.3 ms`. */
export function ms(value) {
  return `${num(value)} ms`;
}

/** Bytes as MB (10^6), one decimal. */
export function mb(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * A table: `{ title, columns: string[], rows: string[][], notes?: string[], align?: ('l'|'r')[] }`.
 * Cells are already formatted strings; by default the first column is left-aligned, the rest
 * right-aligned (`align` overrides that in Markdown).
 */
export function textTable(table) {
  const widths = table.columns.map((column, i) => Math.max(column.length, ...table.rows.map((row) => String(row[i] ?? '').length)));
  const line = (cells) =>
    cells
      .map((cell, i) => {
        const text = String(cell ?? '');
        return i === 0 ? text.padEnd(widths[i]) : text.padStart(widths[i]);
      })
      .join('  ');
  const out = [`  ${table.title}`, `  ${line(table.columns)}`, `  ${widths.map((w) => '─'.repeat(w)).join('  ')}`];
  for (const row of table.rows) out.push(`  ${line(row)}`);
  for (const note of table.notes ?? []) out.push(`  ${note}`);
  return out.join('\n');
}

export function markdownTable(table) {
  const cellText = (cell) => String(cell ?? '').replaceAll('|', '\\|');
  const out = [
    `**${table.title}**`,
    '',
    `| ${table.columns.map(cellText).join(' | ')} |`,
    `| ${table.columns.map((_, i) => ((table.align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'l' ? ':--' : '--:')).join(' | ')} |`,
  ];
  for (const row of table.rows) out.push(`| ${row.map(cellText).join(' | ')} |`);
  if (table.notes?.length) out.push('', ...table.notes.map((note) => `${note}  `));
  return out.join('\n');
}

/** One target line: `✔ met` / `✘ not met`, the figure and the goal. */
export function targetLine(target) {
  const mark = target.met === null ? '–  n/a    ' : target.met ? '✔  met    ' : '✘  not met';
  return `${mark}  ${target.name}: ${target.figure} (goal ${target.goal})`;
}
