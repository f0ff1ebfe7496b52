/** Plain-text tables and number formats for the printed report. */

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].map((text) => `  ${text}`).join("\n");
}

/** Milliseconds with a precision that suits the size. */
export function ms(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "n/a";
  const abs = Math.abs(value);
  if (abs < 10) return value.toFixed(2);
  if (abs < 100) return value.toFixed(1);
  return value.toFixed(0);
}

/** A difference, always signed: "+0.42", "-0.03". */
export function added(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "n/a";
  const text = ms(value);
  return value >= 0 ? `+${text}` : text;
}

export function megabytes(kb: number | undefined): string {
  return kb === undefined ? "—" : `${(kb / 1024).toFixed(0)} MB`;
}

export function count(ok: number, total: number): string {
  return `${ok}/${total}`;
}
