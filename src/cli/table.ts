// Plain-text tables for `--format table`. Columns are padded to the widest
// cell; the last column is not padded so lines carry no trailing blanks.
// A cell is one line whatever it holds: its control characters (a label's
// newline or escape sequence) are shown escaped, so no value can add a row,
// move the cursor or restyle the terminal.

import { escapeControls } from '../common/terminal-text.js';

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  /** Right-align (numbers, sizes). */
  align?: 'left' | 'right';
}

export function renderTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map((column) => escapeControls(column.value(row))));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((line) => (line[i] ?? '').length)),
  );
  const renderLine = (line: readonly string[]): string =>
    line
      .map((cell, i) => {
        const width = widths[i] ?? 0;
        const isLast = i === line.length - 1;
        if (columns[i]?.align === 'right') return cell.padStart(width);
        return isLast ? cell : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [renderLine(columns.map((column) => column.header)), ...cells.map(renderLine)].join('\n');
}
