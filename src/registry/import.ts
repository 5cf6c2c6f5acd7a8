// Registering devices from a CSV file, all or none: every row is checked as POST /devices checks one
// (the same zod schema, a known kind, a known area and unit), against the other rows (one id twice) and
// against what is registered, before anything is written. A file with any problem registers nothing and
// says, per line and field, what to fix; a clean one goes in as one INSERT (one transaction), with each
// device's one-time secret in the answer.
import type { z } from 'zod';
import { DeviceInput } from '../api/schemas.ts';
import type { Catalog } from '../catalog/index.ts';
import { AppError } from '../errors.ts';
import type { Places } from '../places/index.ts';
import type { DeviceFields, DeviceQueries } from '../storage/devices.ts';
import { topicPrefix } from './fleets.ts';
import { CsvSyntaxError, deviceCsvColumns, parseCsv } from './importCsv.ts';
import type { DeviceRegistry } from './index.ts';

/** One thing wrong with the file: where (line, column) and what to do, Vietnamese / English. */
export interface ImportProblem {
  line: number;
  /** The column, or '' for the row or the file as a whole. */
  field: string;
  message: string;
}

export interface ImportCheck {
  /** Data rows read (the header not counted). */
  rows: number;
  devices: DeviceFields[];
  problems: ImportProblem[];
}

export interface ImportedCredentials {
  id: string;
  kind: string;
  city: string;
  username: string;
  secret: string;
  topicPrefix: string;
}

/** The most rows one file may hold: a province's fleet, with room to spare. */
export const maxImportRows = 20_000;
/** Problems listed in one answer; a file wrong on every line is summed up after these. */
const maxProblems = 1_000;

const required = new Set(['id', 'kind', 'city', 'ward', 'lat', 'lon', 'name']);
const known = new Set<string>(deviceCsvColumns);

const bilingual = (vi: string, en: string) => `${vi} / ${en}`;

/** A cell as the schema expects it: numbers for lat and lon, null for an empty pole or zone. */
function cellValue(column: string, cell: string): unknown {
  const text = cell.trim();
  if (column === 'lat' || column === 'lon') {
    const n = Number(text);
    return text !== '' && Number.isFinite(n) ? n : text;
  }
  if (column === 'pole' || column === 'zone') return text === '' ? null : text;
  return text;
}

function zodProblems(line: number, error: z.ZodError): ImportProblem[] {
  return error.issues.map((issue) => ({
    line,
    field: String(issue.path[0] ?? ''),
    message: bilingual('Giá trị không hợp lệ', issue.message),
  }));
}

export function createDeviceImport(deps: {
  registry: DeviceRegistry;
  queries: Pick<DeviceQueries, 'getMany'>;
  catalog: Catalog;
  /** Areas and units; without them, the fleets' wards decide (as the registry does). */
  places?: Places;
}) {
  const { registry, queries, catalog, places } = deps;

  /** The row's fields with the unit in force, or the problems with its place. */
  function checkPlace(line: number, fields: DeviceFields): DeviceFields | ImportProblem {
    try {
      if (places) return { ...fields, ward: places.placeOf(fields).ward };
      if (catalog.hasWard(fields.city, fields.ward)) return fields;
      return {
        line,
        field: 'ward',
        message: bilingual(
          `"${fields.ward}" không phải phường/xã của ${fields.city}`,
          `"${fields.ward}" is not a unit of ${fields.city}`,
        ),
      };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const details = (error.details ?? {}) as Record<string, unknown>;
      return { line, field: 'ward' in details ? 'ward' : 'city', message: error.message };
    }
  }

  /** Reads and checks the whole file; writes nothing. */
  async function check(text: string): Promise<ImportCheck> {
    const problems: ImportProblem[] = [];
    let records: ReturnType<typeof parseCsv>;
    try {
      records = parseCsv(text);
    } catch (error) {
      if (!(error instanceof CsvSyntaxError)) throw error;
      return {
        rows: 0,
        devices: [],
        problems: [
          {
            line: error.line,
            field: '',
            message: bilingual('Dấu ngoặc kép chưa đóng', 'A quoted field is not closed'),
          },
        ],
      };
    }
    const [header, ...data] = records;
    if (!header) {
      return {
        rows: 0,
        devices: [],
        problems: [
          {
            line: 1,
            field: '',
            message: bilingual(
              `Tệp trống: dòng đầu là tên cột (${deviceCsvColumns.join(',')})`,
              `The file is empty: the first line names the columns (${deviceCsvColumns.join(',')})`,
            ),
          },
        ],
      };
    }
    const columns = header.cells.map((c) => c.trim().toLowerCase());
    for (const column of columns) {
      if (!known.has(column))
        problems.push({
          line: 1,
          field: column,
          message: bilingual(
            `Cột không biết: "${column}"; các cột: ${deviceCsvColumns.join(', ')}`,
            `Unknown column "${column}"; the columns are ${deviceCsvColumns.join(', ')}`,
          ),
        });
    }
    for (const column of required) {
      if (!columns.includes(column))
        problems.push({ line: 1, field: column, message: bilingual('Thiếu cột', 'The column is missing') });
    }
    if (new Set(columns).size !== columns.length)
      problems.push({
        line: 1,
        field: '',
        message: bilingual('Một cột có hai lần', 'A column appears twice'),
      });
    if (data.length > maxImportRows)
      problems.push({
        line: data[maxImportRows]!.line,
        field: '',
        message: bilingual(
          `Quá ${maxImportRows} dòng: chia tệp thành nhiều phần`,
          `Over ${maxImportRows} rows: split the file`,
        ),
      });
    if (problems.length > 0) return { rows: data.length, devices: [], problems };

    const devices: DeviceFields[] = [];
    const lineOf = new Map<string, number>();
    for (const record of data) {
      if (problems.length >= maxProblems) break;
      if (record.cells.length !== columns.length) {
        problems.push({
          line: record.line,
          field: '',
          message: bilingual(
            `Dòng có ${record.cells.length} ô, tiêu đề có ${columns.length}`,
            `The row has ${record.cells.length} cells, the header ${columns.length}`,
          ),
        });
        continue;
      }
      const raw: Record<string, unknown> = {};
      columns.forEach((column, i) => {
        raw[column] = cellValue(column, record.cells[i]!);
      });
      const parsed = DeviceInput.safeParse(raw);
      if (!parsed.success) {
        problems.push(...zodProblems(record.line, parsed.error));
        continue;
      }
      const input = parsed.data;
      if (!catalog.kinds.has(input.kind)) {
        problems.push({
          line: record.line,
          field: 'kind',
          message: bilingual(
            `Không có loại thiết bị "${input.kind}"; các loại: ${[...catalog.kinds.keys()].join(', ')}`,
            `There is no device kind "${input.kind}"; the kinds are ${[...catalog.kinds.keys()].join(', ')}`,
          ),
        });
        continue;
      }
      const first = lineOf.get(input.id);
      if (first !== undefined) {
        problems.push({
          line: record.line,
          field: 'id',
          message: bilingual(
            `Mã "${input.id}" đã có ở dòng ${first}`,
            `The id "${input.id}" is already on line ${first}`,
          ),
        });
        continue;
      }
      lineOf.set(input.id, record.line);
      const placed = checkPlace(record.line, {
        ...input,
        pole: input.pole ?? null,
        zone: input.zone ?? null,
      });
      if ('message' in placed) problems.push(placed);
      else devices.push(placed);
    }
    // Registered here or by another instance: the registry knows the first, the database both.
    const taken = new Set(devices.filter((d) => registry.get(d.id)).map((d) => d.id));
    for (const row of await queries.getMany(devices.map((d) => d.id))) taken.add(row.id);
    for (const id of taken) {
      problems.push({
        line: lineOf.get(id)!,
        field: 'id',
        message: bilingual(`Thiết bị "${id}" đã được đăng ký`, `The device "${id}" is already registered`),
      });
    }
    problems.sort((a, b) => a.line - b.line);
    if (problems.length >= maxProblems)
      problems.push({
        line: problems.at(-1)!.line,
        field: '',
        message: bilingual(
          `Dừng kiểm tra sau ${maxProblems} lỗi`,
          `Checking stopped after ${maxProblems} problems`,
        ),
      });
    return {
      rows: data.length,
      devices: taken.size ? devices.filter((d) => !taken.has(d.id)) : devices,
      problems,
    };
  }

  return {
    check,

    /** Registers every device of a clean file; refuses the whole file otherwise (VALIDATION_FAILED). */
    async run(text: string): Promise<{ rows: number; credentials: ImportedCredentials[] }> {
      const checked = await check(text);
      if (checked.problems.length > 0) throw importRefused(checked.problems);
      if (checked.devices.length === 0)
        throw new AppError(
          'VALIDATION_FAILED',
          bilingual('Tệp không có dòng thiết bị nào', 'The file holds no device rows'),
          { problems: [] },
        );
      const created = await registry.createMany(checked.devices);
      if (created.length !== checked.devices.length) {
        // Another admin or instance registered one of these ids between the check and the insert:
        // what this call inserted is taken out again, so the file is in whole or not at all.
        const mine = new Set(created.map((c) => c.id));
        for (const id of mine) await registry.remove(id).catch(() => {});
        throw new AppError(
          'CONFLICT',
          bilingual(
            'Một số thiết bị vừa được đăng ký ở nơi khác; không có thiết bị nào được nhập, hãy thử lại',
            'Some of these devices were just registered elsewhere; nothing was imported, try again',
          ),
        );
      }
      const secrets = new Map(created.map((c) => [c.id, c.secret]));
      return {
        rows: checked.rows,
        credentials: checked.devices.map((d) => ({
          id: d.id,
          kind: d.kind,
          city: d.city,
          username: d.id,
          secret: secrets.get(d.id)!,
          topicPrefix: topicPrefix(d),
        })),
      };
    },
  };
}

export type DeviceImport = ReturnType<typeof createDeviceImport>;

export function importRefused(problems: ImportProblem[]): AppError {
  return new AppError(
    'VALIDATION_FAILED',
    bilingual(
      `Không nhập thiết bị nào: ${problems.length} lỗi trong tệp, sửa rồi gửi lại cả tệp`,
      `Nothing was imported: ${problems.length} problem(s) in the file; fix them and send the whole file again`,
    ),
    { problems },
  );
}
