// Reading a devices CSV (RFC 4180: quoted fields, doubled quotes, CRLF or LF, an optional UTF-8 BOM as
// spreadsheets write it) into records that remember the line they started on, so every refusal names
// the line a person sees in their editor. Parsing only: what a row must hold is ./import.ts's job.

/** The columns of a devices file, as the export writes them and the import reads them. */
export const deviceCsvColumns = ['id', 'kind', 'city', 'ward', 'lat', 'lon', 'pole', 'zone', 'name'] as const;
export type DeviceCsvColumn = (typeof deviceCsvColumns)[number];

export interface CsvRecord {
  /** The file's line (1-based) the record starts on; the header is line 1. */
  line: number;
  cells: string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** Every record of the text, blank lines left out; throws CsvSyntaxError on an unclosed quote. */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let startLine = 1;
  let quoted = false;
  let touched = false;
  const endCell = () => {
    cells.push(cell);
    cell = '';
  };
  const endRecord = () => {
    endCell();
    if (touched || cells.length > 1 || cells[0] !== '') records.push({ line: startLine, cells });
    cells = [];
    touched = false;
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        cell += c;
      }
      continue;
    }
    if (c === '"' && cell === '') {
      quoted = true;
      touched = true;
    } else if (c === ',') endCell();
    else if (c === '\r' && body[i + 1] === '\n') continue;
    else if (c === '\n' || c === '\r') {
      endRecord();
      line++;
      startLine = line;
    } else cell += c;
  }
  if (quoted) throw new CsvSyntaxError(startLine, 'a quoted field is not closed');
  endRecord();
  return records;
}
