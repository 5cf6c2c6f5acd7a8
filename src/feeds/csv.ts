// CSV for spreadsheets: RFC 4180 quoting, CRLF line ends, and a UTF-8 byte-order mark so that Excel
// opens Vietnamese (Phường, Hội An) correctly instead of guessing a legacy code page.
export function toCsv(columns: readonly string[], rows: ReadonlyArray<Record<string, unknown>>): string {
  const cell = (value: unknown) => {
    if (value === null || value === undefined) return '';
    const text = value instanceof Date ? value.toISOString() : String(value);
    // A leading =, +, - or @ would be run as a formula by a spreadsheet: quote it as text.
    const safe = /^[=+\-@]/.test(text) && Number.isNaN(Number(text)) ? `'${text}` : text;
    return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
  };
  const lines = [columns.join(','), ...rows.map((row) => columns.map((c) => cell(row[c])).join(','))];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
