/**
 * Reader of Excel `.xlsx` landing files, through exceljs (see README "Landing files" for why that
 * library). One worksheet, chosen by name (default: the first); column names from `headerRow`;
 * every later non-empty row yielded as a record tagged with the file and its Excel row number.
 *
 * Cell values, as the workbook stores them:
 * - numbers stay numbers (the double Excel stored; shown as its shortest round-trip text);
 * - date cells become `YYYY-MM-DD` (midnight) or `YYYY-MM-DDTHH:mm:ss[.SSS]` without an offset: the
 *   wall-clock time written in the sheet (Excel has no zones); the pipeline's declared time zone, if
 *   any, applies when the time column is placed;
 * - formulas become their cached result (what Excel last computed), never re-evaluated;
 * - rich text and hyperlinks become their text; error cells (`#N/A`) the error text;
 * - every cell of a merged range reads the range's value (its top-left cell);
 * - empty rows are skipped; a row with only some cells empty has null for the others.
 *
 * Errors: an unreadable workbook, a missing sheet, or a header missing required columns fail
 * non-retryably naming the file (and sheet and row).
 */
import { stat } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import { FailureType, nonRetryable } from '../errors';
import { ROW_ERROR_FIELD } from './csv-files';
import type { SourceRecord } from './types';

/** Largest workbook read (exceljs holds it in memory). 128 MiB. */
export const MAX_XLSX_FILE_BYTES = 128 * 1024 * 1024;

/** What to read of a workbook. */
export interface XlsxOptions {
  /** Worksheet name. @default the first worksheet */
  readonly sheet?: string;
  /** 1-based row of the column names. @default 1 */
  readonly headerRow?: number;
  /** Columns the header must have. */
  readonly requiredColumns: readonly string[];
}

/**
 * The data rows of one worksheet of an `.xlsx` file, in row order.
 * @throws non-retryable SOURCE_FORMAT naming the file when it cannot be read as a workbook, the
 *   sheet is missing, or the header lacks a required column or repeats one.
 */
export async function* readXlsxFile(filePath: string, file: string, opts: XlsxOptions): AsyncGenerator<SourceRecord> {
  const size = (await stat(filePath)).size;
  if (size > MAX_XLSX_FILE_BYTES) {
    throw nonRetryable(FailureType.SOURCE_FORMAT, `${file}: ${size} bytes is more than the ${MAX_XLSX_FILE_BYTES} an xlsx file may have (export it as CSV)`);
  }
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.readFile(filePath);
  } catch (err) {
    throw nonRetryable(FailureType.SOURCE_FORMAT, `${file}: not a readable .xlsx workbook: ${(err as Error).message}`);
  }
  const ws = opts.sheet === undefined ? wb.worksheets[0] : wb.getWorksheet(opts.sheet);
  if (!ws) {
    const names = wb.worksheets.map((w) => JSON.stringify(w.name)).join(', ');
    throw nonRetryable(FailureType.SOURCE_FORMAT, `${file}: no worksheet ${opts.sheet === undefined ? '' : JSON.stringify(opts.sheet)} (sheets: ${names || 'none'})`);
  }
  const headerRow = opts.headerRow ?? 1;
  const where = `${file} sheet ${JSON.stringify(ws.name)}`;
  const headerCells = ws.getRow(headerRow);
  const header: (string | undefined)[] = [];
  for (let c = 1; c <= ws.columnCount; c++) {
    const v = cellValue(headerCells.getCell(c).value);
    header[c] = v === null ? undefined : String(v).trim();
  }
  const names = header.filter((h): h is string => h !== undefined && h !== '');
  const missing = opts.requiredColumns.filter((c) => !names.includes(c));
  if (missing.length > 0) {
    throw nonRetryable(FailureType.SOURCE_FORMAT, `${where} row ${headerRow}: missing column(s) ${missing.join(', ')}; header is ${JSON.stringify(names)}`);
  }
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length > 0) throw nonRetryable(FailureType.SOURCE_FORMAT, `${where} row ${headerRow}: column(s) ${[...new Set(twice)].join(', ')} appear more than once in the header`);
  if (names.includes(ROW_ERROR_FIELD)) throw nonRetryable(FailureType.SOURCE_FORMAT, `${where} row ${headerRow}: column ${ROW_ERROR_FIELD} is reserved by DataPulse`);

  for (let r = headerRow + 1; r <= ws.rowCount; r++) {
    const row = ws.getRow(r);
    const record: Record<string, unknown> = {};
    let any = false;
    let stray: number | undefined;
    for (let c = 1; c <= ws.columnCount; c++) {
      const v = cellValue(row.getCell(c).value);
      const name = header[c];
      if (name === undefined || name === '') {
        if (v !== null && v !== '') stray = c;
        continue;
      }
      record[name] = v;
      if (v !== null && v !== '') any = true;
    }
    if (!any && stray === undefined) continue; // empty row
    if (stray !== undefined) record[ROW_ERROR_FIELD] = `column ${stray} has a value but no header`;
    yield { sourceFile: file, lineNo: r, record };
  }
}

/** The JSON value of a cell as described in the module comment. */
export function cellValue(v: ExcelJS.CellValue): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (v instanceof Date) return wallClock(v);
  if (typeof v === 'object') {
    if ('result' in v || 'formula' in v || 'sharedFormula' in v) {
      const result = (v as { result?: unknown }).result;
      if (result === undefined || result === null) return null;
      if (typeof result === 'object' && result !== null && 'error' in result) return String((result as { error: unknown }).error);
      return cellValue(result as ExcelJS.CellValue);
    }
    if ('richText' in v) return v.richText.map((t) => t.text).join('');
    if ('hyperlink' in v) return typeof v.text === 'string' ? v.text : cellValue(v.text as ExcelJS.CellValue);
    if ('error' in v) return String(v.error);
  }
  return String(v as unknown);
}

/** A date cell's wall-clock time: exceljs hands it over as that time in UTC. */
function wallClock(d: Date): string {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:mm:ss.SSSZ
  if (iso.endsWith('T00:00:00.000Z')) return iso.slice(0, 10);
  return iso.endsWith('.000Z') ? iso.slice(0, 19) : iso.slice(0, 23);
}
