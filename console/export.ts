/**
 * Dashboard exports: CSV (csv-stringify, RFC 4180) and Excel (ExcelJS, typed cells). Text cells
 * that a spreadsheet would run as a formula (= + - @ at the start) are prefixed with an apostrophe
 * in CSV (OWASP's CSV-injection advice); Excel cells are written as values, never formulas.
 */
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';

function csvSafe(v: unknown): unknown {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(v)) return `'${v}`;
  if (typeof v === 'object') return JSON.stringify(v);
  return v;
}

/** CSV text with a header line. */
export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  return stringify(
    rows.map((r) => columns.map((c) => csvSafe(r[c]))),
    { header: true, columns: [...columns] },
  );
}

function cellValue(v: unknown): ExcelJS.CellValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'boolean' || v instanceof Date) return v;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** An .xlsx workbook with one sheet per table (sheet names cut to Excel's 31 characters). */
export async function toXlsx(sheets: readonly { name: string; columns: readonly string[]; rows: readonly Record<string, unknown>[] }[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'DataPulse';
  for (const s of sheets) {
    const ws = wb.addWorksheet(s.name.replace(/[\\/?*[\]:]/g, '_').slice(0, 31));
    ws.addRow([...s.columns]).font = { bold: true };
    for (const r of s.rows) ws.addRow(s.columns.map((c) => cellValue(r[c])));
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}
