// Spreadsheet formula injection (OWASP "CSV Injection"): a CSV cell that starts with = + - @, a tab
// or a carriage return runs as a formula when the file is opened in Excel, LibreOffice or Google
// Sheets. Every text cell we write to a CSV file gets a leading ' when it starts with one of them
// (JSON keeps the text as it is), and reading our CSV back takes that ' off again. A text that
// really starts with ' and then one of them gets one more ', so every text comes back exactly:
// "=1+1" → "'=1+1", "'=x" → "''=x", "'hello" and "-5" as a number stay as they are.

/** Any run of ' followed by a character a spreadsheet reads as the start of a formula. */
const RISKY = /^'*[=+\-@\t\r]/;
const ESCAPED = /^'+[=+\-@\t\r]/;

/** A text as it goes into a CSV cell. */
export function toCsvText(text: string): string {
  return RISKY.test(text) ? `'${text}` : text;
}

/** A CSV cell's text as it was before toCsvText. */
export function fromCsvText(cell: string): string {
  return ESCAPED.test(cell) ? cell.slice(1) : cell;
}
