/** Plain-text tables for terminals and CI logs, and two of them side by side. */

export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string | number | null;
  readonly align?: 'left' | 'right';
}

export function renderTable<Row>(
  title: string,
  rows: readonly Row[],
  columns: readonly Column<Row>[],
): string[] {
  const cells = rows.map((row) => columns.map((column) => format(column.value(row))));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((line) => line[i]?.length ?? 0)),
  );
  const line = (values: readonly string[]) =>
    values
      .map((value, i) =>
        columns[i]?.align === 'left'
          ? value.padEnd(widths[i] ?? 0)
          : value.padStart(widths[i] ?? 0),
      )
      .join('  ');
  const header = line(columns.map((column) => column.header));
  return [title, '-'.repeat(header.length), header, ...cells.map(line)];
}

export function sideBySide(left: readonly string[], right: readonly string[], gap = 4): string {
  const width = Math.max(0, ...left.map((text) => text.length));
  const lines: string[] = [];
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    lines.push(`${(left[i] ?? '').padEnd(width + gap)}${right[i] ?? ''}`.trimEnd());
  }
  return lines.join('\n');
}

function format(value: string | number | null): string {
  if (value === null) return '-';
  if (typeof value === 'string') return value;
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value.toLocaleString('en-US', { maximumFractionDigits: 1 });
}
