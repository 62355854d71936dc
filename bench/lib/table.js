// Markdown tables (they read fine in a terminal too).

export function table(headers, rows, align = []) {
  const cells = [headers, ...rows].map((r) => r.map((c) => String(c)));
  const widths = headers.map((_, i) => Math.max(3, ...cells.map((r) => r[i].length)));
  const pad = (text, i) => (align[i] === 'l' ? text.padEnd(widths[i]) : text.padStart(widths[i]));
  const line = (r) => `| ${r.map(pad).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (align[i] === 'l' ? `:${'-'.repeat(w - 1)}` : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n');
}

/** A number with a fixed count of significant figures, grouped by thousands when large. */
export function num(value, digits = 3) {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 10 ** digits) return Math.round(value).toLocaleString('en-US');
  if (abs === 0) return '0';
  return Number(value.toPrecision(digits)).toString();
}

export const ratio = (value) => (Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a');

export function bytes(value) {
  const abs = Math.abs(value);
  if (abs >= 1024 * 1024) return `${(value / 1024 / 1024).toFixed(1)} MiB`;
  if (abs >= 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${Math.round(value)} B`;
}
